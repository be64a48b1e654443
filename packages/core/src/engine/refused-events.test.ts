import { describe, expect, it } from 'vitest';
import type { ActionEvent } from '../actions/events.js';
import { splitFailedWrite, type SplitWriter } from './refused-events.js';

const events = (n: number) => Array.from({ length: n }, (_, i) => ({ messageId: `m${i}` }) as ActionEvent);

/** A table that refuses some message ids, as a constraint would; `down` makes every statement fail. */
function table(refuses: (id: string) => boolean) {
  const rows: string[] = [];
  let writes = 0;
  let down = false;
  const writer: SplitWriter = {
    async write(part) {
      writes++;
      if (down) throw new Error('connection lost');
      const bad = part.find((e) => refuses(e.messageId));
      if (bad) throw new Error(`refused ${bad.messageId}`);
      rows.push(...part.map((e) => e.messageId));
    },
    async answers() {
      return !down;
    },
  };
  return { writer, rows, writes: () => writes, goDown: () => (down = true) };
}

describe('splitFailedWrite', () => {
  it('writes every event but the ones the warehouse refuses on their own, each with its own error', async () => {
    const t = table((id) => id === 'm3' || id === 'm900');
    const unwritten = await splitFailedWrite(t.writer, events(1000), new Error('refused m3'));
    expect(unwritten.map((u) => [u.events.map((e) => e.messageId), (u.error as Error).message])).toEqual([
      [['m3'], 'refused m3'],
      [['m900'], 'refused m900'],
    ]);
    expect(t.rows).toHaveLength(998);
    expect(new Set(t.rows).size).toBe(998);
    // Two refused events among 1,000: a few dozen writes, not one per event.
    expect(t.writes()).toBeLessThanOrEqual(40);
  });

  it('sets nothing apart while the warehouse does not answer: the write fails as a whole', async () => {
    const t = table(() => false);
    t.goDown();
    await expect(splitFailedWrite(t.writer, events(10), new Error('connection refused'))).rejects.toThrow('connection refused');
    expect(t.writes()).toBe(0);
  });

  it('stops when the warehouse goes down while the write is sorted out, setting nothing apart', async () => {
    const t = table((id) => id === 'm7');
    const writer: SplitWriter = {
      write: async (part) => {
        await t.writer.write(part);
        t.goDown();
      },
      answers: t.writer.answers,
    };
    await expect(splitFailedWrite(writer, events(8), new Error('refused m7'))).rejects.toThrow('connection lost');
    expect(t.rows).toEqual(['m0', 'm1', 'm2', 'm3']);
  });

  it('keeps what is still undecided queued as it is once the writes it may take are spent', async () => {
    const t = table(() => true);
    const unwritten = await splitFailedWrite(t.writer, events(10_000), new Error('refused m0'));
    expect(t.rows).toHaveLength(0);
    expect(t.writes()).toBe(64);
    // Every event is accounted for, in queue order.
    expect(unwritten.flatMap((u) => u.events.map((e) => e.messageId))).toEqual(events(10_000).map((e) => e.messageId));
  });
});
