import { describe, expect, it } from 'vitest';
import { HashSet64 } from './hash-set.js';
import { keyHash, quickKeyHashes } from './key-hash.js';

const hashes = (...ids: string[]) => BigUint64Array.from(ids.map(keyHash));
const hashesOf = (ids: string[]) => BigUint64Array.from(ids.map(keyHash));

describe('HashSet64', () => {
  it('says whether a lot of hashes is all new: none held before, none twice among them', () => {
    const set = new HashSet64();
    expect(set.addAll(hashes('a', 'b'))).toBe(true);
    expect(set.addAll(hashes('c', 'a'))).toBe(false);
    // What was new in a lot that was not is held all the same.
    expect(set.addAll(hashes('c'))).toBe(false);
    expect(set.addAll(hashes('d', 'e', 'd'))).toBe(false);
    expect(set.addAll(hashes('f'))).toBe(true);
    expect(set.size).toBe(6);
  });

  it('holds the hashes that share a low word, and the hash 0, apart from the empty slot', () => {
    const set = new HashSet64();
    expect(set.addAll(BigUint64Array.from([5n, (1n << 32n) | 5n, (2n << 32n) | 5n]))).toBe(true);
    expect(set.addAll(BigUint64Array.from([0n]))).toBe(true);
    expect(set.addAll(BigUint64Array.from([0n]))).toBe(false);
    expect(set.addAll(BigUint64Array.from([(1n << 32n) | 5n]))).toBe(false);
    expect(set.addAll(BigUint64Array.from([3n << 32n]))).toBe(true);
    expect(set.size).toBe(5);
  });

  it('keeps every hash as it grows past its first slots', () => {
    const set = new HashSet64();
    const ids = Array.from({ length: 150_000 }, (_, i) => `id-${i}`);
    expect(set.addAll(hashesOf(ids))).toBe(true);
    expect(set.size).toBe(150_000);
    for (const id of ['id-0', 'id-65535', 'id-149999']) expect(set.addAll(hashes(id))).toBe(false);
    expect(set.addAll(hashes('id-150000'))).toBe(true);
  });

  it('reads a lot that is a part of a larger array', () => {
    const all = hashes('a', 'b', 'c', 'd');
    const set = new HashSet64();
    expect(set.addAll(all.subarray(1, 3))).toBe(true);
    expect(set.addAll(all.subarray(0, 1))).toBe(true);
    expect(set.addAll(all.subarray(2, 4))).toBe(false);
  });
});

describe('quickKeyHashes', () => {
  it('hashes alike the ids a warehouse may take for one, as keyHash does, and others apart', () => {
    const [a, b, c, d, e] = [...Array(5)].map((_, i) => i);
    const words = quickKeyHashes(['Msg-1  ', 'msg-1', 'msg-2', ' msg-1', 'É']);
    const hash = (i: number) => `${words[i * 2]}:${words[i * 2 + 1]}`;
    expect(hash(a!)).toBe(hash(b!));
    expect(new Set([hash(b!), hash(c!), hash(d!), hash(e!)]).size).toBe(4);
  });

  it('tells 200,000 distinct ids apart', () => {
    const set = new HashSet64();
    expect(set.addWords(quickKeyHashes(Array.from({ length: 200_000 }, (_, i) => `ajs-${i.toString(36)}-${i % 7}`)))).toBe(true);
    expect(set.addWords(quickKeyHashes(['AJS-0-0']))).toBe(false);
  });
});
