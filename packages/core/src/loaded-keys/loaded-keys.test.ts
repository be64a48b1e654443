import { mkdtempSync, readdirSync, rmSync, statSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { findInRun, mergeRuns, runChunks, writeRun } from './hash-runs.js';
import { hexHash, keyHash } from './key-hash.js';
import { LoadedKeys } from './loaded-keys.js';

const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'stowage-keys-'));
  dirs.push(dir);
  return dir;
};
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const hashes = (...ids: string[]) => BigUint64Array.from(ids.map(keyHash));
const sorted = (...ids: string[]) => hashes(...ids).sort();
const held = (keys: LoadedKeys, ...ids: string[]) => {
  const found = keys.find(sorted(...ids));
  return ids.filter((id) => found.has(keyHash(id)));
};

describe('keyHash', () => {
  it('is the first 64 bits of the MD5 of the id, as the warehouse computes it in SQL', () => {
    // md5('abc') = 900150983cd24fb0d6963f7d28e17f72
    expect(keyHash('abc')).toBe(0x900150983cd24fb0n);
    expect(hexHash('900150983cd24fb0')).toBe(0x900150983cd24fb0n);
    expect(hexHash('xx900150983CD24FB0', 2)).toBe(0x900150983cd24fb0n);
  });

  it('hashes alike the ids a warehouse may take for one: trailing blanks cut, ASCII letters in either case', () => {
    expect(keyHash('ABC  ')).toBe(keyHash('abc'));
    expect(keyHash('Msg-1')).toBe(keyHash('msg-1'));
    // Beyond ASCII each engine lowers letters its own way: left as they are, on both sides.
    expect(keyHash('É')).not.toBe(keyHash('é'));
    expect(keyHash(' abc')).not.toBe(keyHash('abc'));
  });

  it('refuses text that is not a hash', () => {
    expect(() => hexHash('90015098zcd24fb0')).toThrow(/16 hex digits/);
    expect(() => hexHash('9001')).toThrow(/16 hex digits/);
  });
});

describe('hash runs', () => {
  it('finds hashes across a run read in chunks, and merges runs keeping each hash once', () => {
    const dir = tempDir();
    const a = BigUint64Array.from([1n, 5n, 9n, 2n ** 63n + 1n]);
    const b = BigUint64Array.from([2n, 5n, 10n]);
    writeRun(join(dir, 'a'), a);
    writeRun(join(dir, 'b'), b);
    expect(mergeRuns(join(dir, 'm'), [runChunks(join(dir, 'a')), runChunks(join(dir, 'b'))])).toBe(6);
    expect([...runChunks(join(dir, 'm'))].flatMap((c) => [...c])).toEqual([1n, 2n, 5n, 9n, 10n, 2n ** 63n + 1n]);
    const query = BigUint64Array.from([0n, 2n, 3n, 10n, 2n ** 63n + 1n, 2n ** 64n - 1n]);
    const found = new Uint8Array(query.length);
    // Chunks of two: a query hash may fall in any chunk, or between two.
    findInRun([BigUint64Array.from([1n, 2n]), BigUint64Array.from([5n, 9n]), BigUint64Array.from([10n, 2n ** 63n + 1n])], query, found);
    expect([...found]).toEqual([0, 1, 0, 1, 1, 0]);
  });
});

describe('LoadedKeys', () => {
  it('holds what was added, across a restart, and covers the log up to the last batch added', () => {
    const dir = tempDir();
    const keys = LoadedKeys.create(dir, { segment: 0, offset: 0 });
    keys.add(hashes('a', 'b'), { segment: 0, offset: 100 });
    keys.add(hashes('c'), { segment: 1, offset: 20 });
    expect(held(keys, 'a', 'c', 'd')).toEqual(['a', 'c']);
    const again = LoadedKeys.open(dir)!;
    expect(again.coveredUntil).toEqual({ segment: 1, offset: 20 });
    expect(held(again, 'a', 'b', 'c', 'd')).toEqual(['a', 'b', 'c']);
  });

  it('cuts a batch torn by a crash while it was added (its batch was never applied), keeping those before it', () => {
    const dir = tempDir();
    const keys = LoadedKeys.create(dir, { segment: 0, offset: 0 });
    keys.add(hashes('a'), { segment: 0, offset: 10 });
    keys.add(hashes('b', 'c'), { segment: 0, offset: 30 });
    const pending = join(dir, 'pending.bin');
    truncateSync(pending, statSync(pending).size - 3);
    const again = LoadedKeys.open(dir)!;
    expect(again.coveredUntil).toEqual({ segment: 0, offset: 10 });
    expect(held(again, 'a', 'b', 'c')).toEqual(['a']);
    expect(statSync(pending).size).toBe(24 + 8);
    again.add(hashes('d'), { segment: 0, offset: 40 });
    expect(held(LoadedKeys.open(dir)!, 'a', 'b', 'd')).toEqual(['a', 'd']);
  });

  it('turns each sync pending hashes into a run, and merges runs while the older is no more than twice the newer', () => {
    const dir = tempDir();
    const keys = LoadedKeys.create(dir, { segment: 0, offset: 0 });
    const ids: string[] = [];
    for (let sync = 0; sync < 9; sync++) {
      const batch = Array.from({ length: 100 }, (_, i) => `s${sync}-${i}`);
      ids.push(...batch);
      keys.add(hashes(...batch), { segment: 0, offset: sync + 1 });
      keys.compact();
    }
    const runs = readdirSync(dir).filter((f) => f.startsWith('run-'));
    // 900 hashes in sizes that at least double: 800 and 100.
    expect(runs).toHaveLength(2);
    expect(statSync(join(dir, 'pending.bin')).size).toBe(0);
    const again = LoadedKeys.open(dir)!;
    expect(again.size()).toBe(900);
    expect(held(again, ...ids, 'never')).toEqual(ids);
  });

  it('searches a large run for a few ids rather than reading it whole, and finds the same', () => {
    const dir = tempDir();
    const keys = LoadedKeys.create(dir, { segment: 0, offset: 0 });
    const ids = Array.from({ length: 20_000 }, (_, i) => `bulk-${i}`);
    keys.add(hashes(...ids), { segment: 0, offset: 1 });
    keys.compact();
    // 4 queries against 20,000 hashes: each searched; 20,000 queries: the run read in chunks.
    expect(held(keys, 'bulk-0', 'bulk-19999', 'bulk-777', 'absent')).toEqual(['bulk-0', 'bulk-19999', 'bulk-777']);
    expect(held(keys, ...ids.slice(0, 19_999), 'absent')).toEqual(ids.slice(0, 19_999));
  });

  it('is rebuilt from passes of hashes, one run however many passes', async () => {
    const dir = tempDir();
    LoadedKeys.create(dir, { segment: 0, offset: 0 }).add(hashes('stale'), { segment: 0, offset: 5 });
    const all = sorted(...Array.from({ length: 50 }, (_, i) => `id-${i}`));
    async function* passes() {
      // Each pass's hashes in any order; the passes in ascending ranges.
      yield all.slice(0, 20).reverse();
      yield all.slice(20, 21);
      yield all.slice(21);
    }
    const keys = await LoadedKeys.rebuild(dir, { segment: 3, offset: 7 }, passes());
    expect(keys.size()).toBe(50);
    expect(keys.coveredUntil).toEqual({ segment: 3, offset: 7 });
    const again = LoadedKeys.open(dir)!;
    expect(held(again, 'id-0', 'id-49', 'stale')).toEqual(['id-0', 'id-49']);
    expect(readdirSync(dir).filter((f) => f.startsWith('run-'))).toEqual(['run-000000.bin']);
  });

  it('removes the runs a compaction killed midway left behind, keeping those its meta names', () => {
    const dir = tempDir();
    const keys = LoadedKeys.create(dir, { segment: 0, offset: 0 });
    keys.add(hashes('a'), { segment: 0, offset: 1 });
    keys.compact();
    writeRun(join(dir, 'run-000007.bin'), sorted('left', 'behind'));
    writeRun(join(dir, 'run-000008.bin.tmp'), sorted('half'));
    const again = LoadedKeys.open(dir)!;
    expect(readdirSync(dir).filter((f) => f.startsWith('run-'))).toEqual(['run-000000.bin']);
    expect(held(again, 'a', 'left', 'half')).toEqual(['a']);
  });

  it('is not there to open where none was made, or where its meta names a run that is gone', () => {
    const dir = tempDir();
    expect(LoadedKeys.open(join(dir, 'none'))).toBeUndefined();
    const keys = LoadedKeys.create(dir, { segment: 0, offset: 0 });
    keys.add(hashes('a'), { segment: 0, offset: 1 });
    keys.compact();
    for (const f of readdirSync(dir).filter((f) => f.startsWith('run-'))) rmSync(join(dir, f));
    expect(LoadedKeys.open(dir)).toBeUndefined();
  });
});
