import { describe, expect, it } from 'vitest';
import { BatchesApplied } from './batches-applied.js';

describe('BatchesApplied', () => {
  it('lets each waiter go once as many batches as it waits for are applied, in any order of asking', async () => {
    const applied = new BatchesApplied();
    const never = new AbortController().signal;
    const released: number[] = [];
    const waits = [3, 1, 2, 1].map((n) => applied.until(n, never).then(() => released.push(n)));
    await expect(applied.until(0, never)).resolves.toBeUndefined();
    applied.applied();
    await Promise.resolve();
    await Promise.resolve();
    expect(released.sort()).toEqual([1, 1]);
    applied.applied();
    applied.applied();
    await Promise.all(waits);
    expect(released.sort()).toEqual([1, 1, 2, 3]);
  });

  it('gives up a wait when the sync stops applying batches, and refuses one asked after', async () => {
    const applied = new BatchesApplied();
    const stop = new AbortController();
    const waiting = applied.until(2, stop.signal);
    applied.applied();
    stop.abort();
    await expect(waiting).rejects.toThrow('the sync stopped applying batches before the ones this batch waited for');
    await expect(applied.until(5, stop.signal)).rejects.toThrow('the sync stopped applying batches');
    // What is applied already needs no wait, stopped or not.
    await expect(applied.until(1, stop.signal)).resolves.toBeUndefined();
  });
});
