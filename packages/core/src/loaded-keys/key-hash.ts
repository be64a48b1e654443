import * as crypto from 'node:crypto';

/** MD5 as hex: `crypto.hash` where Node has it (20.12 and later: a third of `createHash`'s cost per id). */
const md5: (text: string) => string =
  typeof crypto.hash === 'function' ? (text) => crypto.hash('md5', text) : (text) => crypto.createHash('md5').update(text).digest('hex');

/**
 * A message id's 64-bit hash, as the loaded-keys index holds it: the first 16 hex digits of the
 * MD5 of the id with its trailing blanks (U+0020) cut and its ASCII letters lower-cased. Two ids a
 * warehouse may take for one (Redshift ignores trailing blanks; a case-insensitive collation,
 * case) hash alike, so the index finds at least every id the warehouse would; the warehouse's
 * own look settles the few it finds. MD5 because every warehouse computes the same in SQL, which
 * is how the index is rebuilt from the tables (`writer/key-hashes.ts`).
 */
export function keyHash(key: string): bigint {
  return hexHash(md5(comparableForm(key)));
}

/** The 64-bit hash written as 16 hex digits at `at` in `text` (as the warehouse computes it), as a number. */
export function hexHash(text: string, at = 0): bigint {
  return (BigInt(hex32(text, at)) << 32n) | BigInt(hex32(text, at + 8));
}

/** Eight hex digits as a number, read without slicing the text (millions of them in one rebuild). */
function hex32(text: string, at: number): number {
  let n = 0;
  for (let i = at; i < at + 8; i++) {
    const c = text.charCodeAt(i);
    const d = c <= 57 ? c - 48 : (c | 32) - 87;
    if (d < 0 || d > 15 || Number.isNaN(c)) throw new Error(`not a hash of 16 hex digits: ${JSON.stringify(text.slice(at, at + 16))}`);
    n = n * 16 + d;
  }
  return n;
}

/**
 * A cheap 64-bit hash of each id's comparable form (as `keyHash` takes it), as two 32-bit words
 * an id: to tell whether the ids of one sync repeat (`HashSet64.addWords`), where MD5, which the
 * index needs because the warehouse computes it too, costs ten times as much. Two FNV-1a hashes of
 * the UTF-16 units with different offsets, each mixed at the end (MurmurHash3's finalizer).
 */
export function quickKeyHashes(ids: readonly string[]): Uint32Array {
  const words = new Uint32Array(ids.length * 2);
  for (let i = 0; i < ids.length; i++) {
    const id = comparableForm(ids[i]!);
    let a = 0x811c9dc5;
    let b = 0x2a3b4c5d;
    for (let j = 0; j < id.length; j++) {
      const c = id.charCodeAt(j);
      a = Math.imul(a ^ c, 0x01000193);
      b = Math.imul(b ^ c, 0x5bd1e995);
    }
    words[i * 2] = mix(a);
    words[i * 2 + 1] = mix(b ^ id.length);
  }
  return words;
}

function mix(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

const TRAILING_BLANKS = / +$/;
const UPPER_ASCII = /[A-Z]/;

function comparableForm(key: string): string {
  const trimmed = key.charCodeAt(key.length - 1) === 32 ? key.replace(TRAILING_BLANKS, '') : key;
  // ASCII only, as SQL's TRANSLATE does it: beyond ASCII, JavaScript and each warehouse lower letters each their own way.
  return UPPER_ASCII.test(trimmed) ? trimmed.replace(/[A-Z]+/g, (s) => s.toLowerCase()) : trimmed;
}
