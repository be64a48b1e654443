import { describe, expect, it } from 'vitest';
import { HashSet64 } from './hash-set.js';
import { keyHash, quickKeyHashes } from './key-hash.js';

/** The index's hashes of these ids, as the set takes them: low and high word each. */
const words = (hashes: BigUint64Array) => new Uint32Array(hashes.buffer, hashes.byteOffset, hashes.length * 2);
const hashesOf = (ids: string[]) => words(BigUint64Array.from(ids.map(keyHash)));
const hashes = (...ids: string[]) => hashesOf(ids);
const raw = (...values: bigint[]) => words(BigUint64Array.from(values));

describe('HashSet64', () => {
  it('says whether a lot of hashes is all new: none held before, none twice among them', () => {
    const set = new HashSet64();
    expect(set.addWords(hashes('a', 'b'))).toBe(true);
    expect(set.addWords(hashes('c', 'a'))).toBe(false);
    // What was new in a lot that was not is held all the same.
    expect(set.addWords(hashes('c'))).toBe(false);
    expect(set.addWords(hashes('d', 'e', 'd'))).toBe(false);
    expect(set.addWords(hashes('f'))).toBe(true);
    expect(set.size).toBe(6);
  });

  it('tells which hashes of a lot it held before the lot, not those the lot repeats alone', () => {
    const set = new HashSet64();
    expect(set.addWordsTellingEarlier(hashes('a', 'b', 'a'))).toEqual([]);
    expect(set.addWordsTellingEarlier(hashes('c', 'b', 'd', 'd', 'a'))).toEqual([1, 4]);
    expect(set.addWordsTellingEarlier(raw(0n, 0n))).toEqual([]);
    expect(set.addWordsTellingEarlier(raw(7n, 0n))).toEqual([1]);
    expect(set.size).toBe(6);
  });

  it('holds the hashes that share a low word, and the hash 0, apart from the empty slot', () => {
    const set = new HashSet64();
    expect(set.addWords(raw(5n, (1n << 32n) | 5n, (2n << 32n) | 5n))).toBe(true);
    expect(set.addWords(raw(0n))).toBe(true);
    expect(set.addWords(raw(0n))).toBe(false);
    expect(set.addWords(raw((1n << 32n) | 5n))).toBe(false);
    expect(set.addWords(raw(3n << 32n))).toBe(true);
    expect(set.size).toBe(5);
  });

  it('keeps every hash as it grows past its first slots', () => {
    const set = new HashSet64();
    const ids = Array.from({ length: 150_000 }, (_, i) => `id-${i}`);
    expect(set.addWords(hashesOf(ids))).toBe(true);
    expect(set.size).toBe(150_000);
    for (const id of ['id-0', 'id-65535', 'id-149999']) expect(set.addWords(hashes(id))).toBe(false);
    expect(set.addWords(hashes('id-150000'))).toBe(true);
  });

});

describe('quickKeyHashes', () => {
  it('hashes alike the ids a warehouse may take for one, as keyHash does, and others apart', () => {
    const quick = quickKeyHashes(['Msg-1  ', 'msg-1', 'msg-2', ' msg-1', 'É']);
    const hash = (i: number) => `${quick[i * 2]}:${quick[i * 2 + 1]}`;
    expect(hash(0)).toBe(hash(1));
    expect(new Set([hash(1), hash(2), hash(3), hash(4)]).size).toBe(4);
  });

  it('tells 200,000 distinct ids apart', () => {
    const set = new HashSet64();
    expect(set.addWords(quickKeyHashes(Array.from({ length: 200_000 }, (_, i) => `ajs-${i.toString(36)}-${i % 7}`)))).toBe(true);
    expect(set.addWords(quickKeyHashes(['AJS-0-0']))).toBe(false);
  });
});
