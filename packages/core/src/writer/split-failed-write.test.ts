import { describe, expect, it } from 'vitest';
import type { ActionEvent } from '../actions/events.js';
import { splitFailedWrite, type SplitWriter } from './split-failed-write.js';

const events = (n: number) => Array.from({ length: n }, (_, i) => ({ messageId: `m${i}` }) as ActionEvent);

/** A row's error, as a driver's `rowError` knows it. */
class RowError extends Error {}

/** A table that refuses some message ids, as a constraint would; `down` makes every statement fail. */
function table(refuses: (id: string) => boolean) {
  const rows: string[] = [];
  let writes = 0;
  let down = false;
  const writer: SplitWriter<ActionEvent> = {
    async write(part) {
      writes++;
      if (down) throw new Error('connection lost');
      const bad = part.find((e) => refuses(e.messageId));
      if (bad) throw new RowError(`refused ${bad.messageId}`);
      rows.push(...part.map((e) => e.messageId));
    },
    rowError: (error) => error instanceof RowError,
    async answers() {
      return !down;
    },
  };
  return { writer, rows, writes: () => writes, goDown: () => (down = true) };
}

describe('splitFailedWrite', () => {
  it('writes every event but the ones the warehouse refuses on their own, each with its own error', async () => {
    const t = table((id) => id === 'm3' || id === 'm900');
    const budget = { writes: 64 };
    const unwritten = await splitFailedWrite(t.writer, events(1000), new RowError('refused m3'), budget);
    expect(unwritten.map((u) => [u.events.map((e) => e.messageId), (u.error as Error).message, u.refused])).toEqual([
      [['m3'], 'refused m3', true],
      [['m900'], 'refused m900', true],
    ]);
    expect(t.rows).toHaveLength(998);
    expect(new Set(t.rows).size).toBe(998);
    // Two refused events among 1,000: a few dozen writes, not one per event.
    expect(t.writes()).toBeLessThanOrEqual(40);
    expect(budget.writes).toBe(64 - t.writes());
  });

  it('sets nothing apart for an error that is not a row\'s, or while the warehouse does not answer: the write fails as a whole', async () => {
    const t = table(() => false);
    await expect(splitFailedWrite(t.writer, events(10), new Error('disk full'), { writes: 64 })).rejects.toThrow('disk full');
    t.goDown();
    await expect(splitFailedWrite(t.writer, events(10), new RowError('refused'), { writes: 64 })).rejects.toThrow('refused');
    expect(t.writes()).toBe(0);
  });

  it('stops when the warehouse goes down while the write is sorted out, setting nothing apart', async () => {
    const t = table((id) => id === 'm7');
    const writer: SplitWriter<ActionEvent> = {
      ...t.writer,
      write: async (part) => {
        await t.writer.write(part);
        t.goDown();
      },
    };
    await expect(splitFailedWrite(writer, events(8), new RowError('refused m7'), { writes: 64 })).rejects.toThrow('connection lost');
    expect(t.rows).toEqual(['m0', 'm1', 'm2', 'm3']);
  });

  it('sets each refused event apart at once, so that a part can be "the first n of what is left" (the users refresh)', async () => {
    // A queue of marks read front first: a part writes its first n, an event set apart leaves it.
    const left = ['a', 'b', 'c', 'd', 'e', 'f', 'g'];
    const written: string[] = [];
    const apart: string[] = [];
    const writer: SplitWriter<number> = {
      async write(part) {
        const front = left.slice(0, part.length);
        if (front.includes('c') || front.includes('f')) throw new RowError(`refused ${front.find((k) => k === 'c' || k === 'f')}`);
        written.push(...left.splice(0, part.length));
      },
      async setApart(_, error) {
        apart.push(`${left.shift()}: ${(error as Error).message}`);
      },
      rowError: (error) => error instanceof RowError,
      answers: async () => true,
    };
    const unwritten = await splitFailedWrite(writer, [0, 1, 2, 3, 4, 5, 6], new RowError('refused c'), { writes: 64 });
    expect(written).toEqual(['a', 'b', 'd', 'e', 'g']);
    expect(apart).toEqual(['c: refused c', 'f: refused f']);
    expect(left).toEqual([]);
    expect(unwritten.map((u) => u.refused)).toEqual([true, true]);
  });

  it('keeps what is still undecided queued as it is, unsorted, once the drain\'s writes are spent', async () => {
    const t = table(() => true);
    const budget = { writes: 64 };
    const unwritten = await splitFailedWrite(t.writer, events(10_000), new RowError('refused m0'), budget);
    expect(t.rows).toHaveLength(0);
    expect(t.writes()).toBe(64);
    expect(budget.writes).toBe(0);
    expect(unwritten.some((u) => !u.refused)).toBe(true);
    // Every event is accounted for, in queue order.
    expect(unwritten.flatMap((u) => u.events.map((e) => e.messageId))).toEqual(events(10_000).map((e) => e.messageId));
    // The next failed write of the same drain splits nothing.
    const next = await splitFailedWrite(t.writer, events(4), new RowError('refused m0'), budget);
    expect(next).toEqual([{ events: events(2), error: expect.any(RowError), refused: false }, { events: events(4).slice(2), error: expect.any(RowError), refused: false }]);
  });
});
