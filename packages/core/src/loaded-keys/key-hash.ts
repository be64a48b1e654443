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

const TRAILING_BLANKS = / +$/;
const UPPER_ASCII = /[A-Z]/;

function comparableForm(key: string): string {
  const trimmed = key.charCodeAt(key.length - 1) === 32 ? key.replace(TRAILING_BLANKS, '') : key;
  // ASCII only, as SQL's TRANSLATE does it: beyond ASCII, JavaScript and each warehouse lower letters each their own way.
  return UPPER_ASCII.test(trimmed) ? trimmed.replace(/[A-Z]+/g, (s) => s.toLowerCase()) : trimmed;
}
