import { describe, expect, it } from 'vitest';
import { lookPays, SyncKeys } from './sync-keys.js';

describe('lookPays', () => {
  it('looks once where batches would read tables of history, or a long sync would read its own rows over and over', () => {
    // 100,000 calls in batches of 20,000 into tables of 20,000,000 rows: five reads of them, or one.
    expect(lookPays({ rows: 20_000_000, keys: 100_000, batchKeys: 20_000 })).toBe(true);
    expect(lookPays({ rows: 1_000_000, keys: 100_000, batchKeys: 20_000 })).toBe(true);
    // A window of 2,000,000 calls into empty tables: its hundred batches read what the ones before loaded.
    expect(lookPays({ rows: 0, keys: 2_000_000, batchKeys: 20_000 })).toBe(true);
  });

  it("leaves a first sync into empty tables, and a sync of one batch, to the batches' own looks", () => {
    expect(lookPays({ rows: 0, keys: 100_000, batchKeys: 20_000 })).toBe(false);
    expect(lookPays({ rows: 0, keys: 1_000_000, batchKeys: 20_000 })).toBe(false);
    expect(lookPays({ rows: 50_000_000, keys: 20_000, batchKeys: 20_000 })).toBe(false);
  });
});

describe('SyncKeys', () => {
  it('admits a key once per table: never one the table held, a repeated one the first time only', () => {
    const keys = new SyncKeys('id', new Map([['identifies', new Set(['a'])]]), new Map([['r', 'r'], ['s', 's'], ['s ', 's']]));
    expect(['a', 'b', 'r', 'r', 'b'].map((k) => keys.admit('identifies', k))).toEqual([false, true, true, false, true]);
    expect(['a', 'r', 'r'].map((k) => keys.admit('tracks', k))).toEqual([true, true, false]);
    // Two spellings the warehouse takes for one key: the first admitted, the other a duplicate.
    expect(['s ', 's'].map((k) => keys.admit('identifies', k))).toEqual([true, false]);
  });
});
