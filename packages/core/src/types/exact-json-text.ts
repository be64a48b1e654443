import { randomBytes } from 'node:crypto';

/**
 * A number of sixteen digits or more where a value starts, in JSON.stringify's output (no
 * whitespace), or a positive exponent (`1e+21`, how JavaScript writes integers from 10^21): the
 * integers it may write with other digits than the double's. Three plain looks: 0.9 µs for a
 * kilobyte of JSON without one (an entity context), where one regular expression with the three
 * as alternatives took 2 µs; its JSON.stringify takes ~4.5 µs.
 */
const LONG_NUMBER = /[:,[]-?\d{16}/;
const LONG_NUMBER_FIRST = /^-?\d{16}/;
export const mayHoldLongIntegers = (text: string): boolean => LONG_NUMBER.test(text) || text.includes('e+') || LONG_NUMBER_FIRST.test(text);

/** Marks a number's exact digits in the first pass's output; unforgeable by a value (random per process). */
const MARK = `stowage${randomBytes(8).toString('hex')}`;
const MARKED = new RegExp(`"${MARK}(-?\\d+)${MARK}"`, 'g');

/**
 * Past 2^128 no warehouse has an integer type for the number (DuckDB's HUGEINT; Snowflake's and
 * BigQuery's 38 digits are fewer): JavaScript's text (`1.5e+300`) is kept there, not 301 digits.
 */
const TWO_TO_128 = 2 ** 128;

/** JavaScript's text of a number, as an integer (`1e+21`, `1.5e+21`, `1152921504606847000`); undefined for a fraction. */
const JS_INTEGER_TEXT = /^-?(\d+)(?:\.(\d+))?(?:e\+(\d+))?$/;

/** Whether JavaScript writes the integer `v` as another integer: its shortest digits, padded with zeros. */
function writtenOtherwise(v: number): boolean {
  const m = JS_INTEGER_TEXT.exec(String(v));
  if (!m) return false;
  const fraction = m[2] ?? '';
  const written = BigInt(m[1]! + fraction) * 10n ** BigInt(Number(m[3] ?? 0) - fraction.length);
  const exact = BigInt(v);
  return written !== (exact < 0n ? -exact : exact);
}

const needsDigits = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && Math.abs(v) > Number.MAX_SAFE_INTEGER && Math.abs(v) < TWO_TO_128 && writtenOtherwise(v);

/**
 * A number's text: String(n), except for an integer past 2^53 (every double past it is one) and
 * below 2^128, written with its exact digits (2^60: `1152921504606846976`, where String gives
 * `1152921504606847000`; 2^70: `1180591620717411303424`, not `1.1805916207174113e+21`), as a
 * text column or the quarantine must keep it. One JavaScript writes exactly stays so (`1e+21`).
 */
export function exactNumberText(n: number): string {
  return needsDigits(n) ? BigInt(n).toString() : String(n);
}

/**
 * JSON.stringify, except that an integer past 2^53 that a double holds (2^60, a number read from
 * `1152921504606846976`) is written with its exact digits, where JavaScript writes the shortest
 * digits that give the double back (`1152921504606847000`): a warehouse that reads the JSON's
 * numbers as integers (`json_extract(…)::BIGINT`, Snowflake's NUMBER) would get another number
 * than the one sent, and than the one an integer column of the same row holds. Integers a
 * double cannot hold were read as their digits' text already (`parseJsonExactly`).
 */
export function exactJsonText(value: unknown): string {
  const text = JSON.stringify(value);
  // JSON.stringify gives undefined for undefined and functions, whatever its type says.
  if (text === undefined || !mayHoldLongIntegers(text)) return text;
  let marked = false;
  const withMarks = JSON.stringify(value, (_key, v: unknown) => {
    if (!needsDigits(v)) return v;
    marked = true;
    return `${MARK}${BigInt(v)}${MARK}`;
  });
  return marked ? withMarks.replace(MARKED, '$1') : text;
}
