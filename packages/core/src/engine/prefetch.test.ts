import { describe, expect, it } from 'vitest';
import { prefetch } from './prefetch.js';
import { BatchesApplied } from './batches-applied.js';

const ticks = async (n: number) => {
  for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve));
};

async function* numbers(n: number) {
  for (let i = 0; i < n; i++) {
    await ticks(1);
    yield i;
  }
}

describe('prefetch', () => {
  it('yields every item in order, transformed one at a time', async () => {
    let running = 0;
    let most = 0;
    const transform = async (i: number) => {
      most = Math.max(most, ++running);
      await ticks(2);
      running--;
      return i * 10;
    };
    const out: number[] = [];
    for await (const x of prefetch(numbers(10), transform, 3)) out.push(x);
    expect(out).toEqual([0, 10, 20, 30, 40, 50, 60, 70, 80, 90]);
    expect(most).toBe(1);
  });

  it('prepares at most `ahead` items beyond the one being consumed, while the consumer works', async () => {
    const started: number[] = [];
    const items = prefetch(numbers(20), (i) => (started.push(i), i), 3);
    const first = await items.next();
    expect(first.value).toBe(0);
    // The consumer is slow with item 0: the next three are made meanwhile, and no more.
    await ticks(50);
    expect(started).toEqual([0, 1, 2, 3]);
    await items.next();
    await ticks(50);
    expect(started).toEqual([0, 1, 2, 3, 4]);
    await items.return(undefined);
  });

  it('hands the consumer the items before a failed one, then its error', async () => {
    const transform = (i: number) => {
      if (i === 2) throw new Error('item 2 failed');
      return i;
    };
    const out: number[] = [];
    await expect(
      (async () => {
        for await (const x of prefetch(numbers(5), transform, 3)) out.push(x);
      })(),
    ).rejects.toThrow('item 2 failed');
    expect(out).toEqual([0, 1]);
  });

  it('tells a transform that waits on the consumer, through its signal, that the consumer stopped', async () => {
    const applied = new BatchesApplied();
    let made = 0;
    // Each item waits until the consumer has taken the ones before it, as a batch waits for the earlier ones to be applied.
    const transform = async (i: number, stopped: AbortSignal) => {
      await applied.until(made++, stopped);
      return i;
    };
    const out: number[] = [];
    for await (const x of prefetch(numbers(10), transform, 3)) {
      out.push(x);
      if (x === 2) break;
      applied.applied();
    }
    expect(out).toEqual([0, 1, 2]);
  });
});
