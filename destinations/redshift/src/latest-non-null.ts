import type { LogicalType } from '@stowage/core';
import { MAX_VARCHAR_BYTES } from './max-varchar.js';

/**
 * Characters each `orderBy` column takes in the sort key. Timestamps need 29 (`2026-11-23
 * 10:00:00.123456+00`); message ids are usually under 40. An id longer than this is compared on
 * its first 64 characters only, which matters only between rows whose timestamps are equal to
 * the microsecond, and then the larger value wins.
 */
export const ORDER_KEY_WIDTH = 64;

/**
 * Most bytes the key of the core's recompute takes (timestamp, received_at, message id): RPAD
 * pads and cuts to ORDER_KEY_WIDTH *characters*, and a VARCHAR holds bytes. The timestamps' text
 * is ASCII; a message id's 64 characters take up to 4 bytes each. (Counted as 192 bytes, a
 * value that fit with an ASCII id overflowed VARCHAR(65535) behind an id of accented or CJK
 * characters.)
 */
export const ORDER_KEY_MAX_BYTES = 2 * ORDER_KEY_WIDTH + 4 * ORDER_KEY_WIDTH;

/**
 * What a key is padded with: U+0001, below every character text can hold (VARCHAR holds no NUL),
 * so that an id sorts after its own prefix whatever follows it (`k1` then `k1\t`). A space, below
 * the printable characters only, put `k1\t` first, where DuckDB and PostgreSQL order by code point.
 */
const PAD = '\u0001';

/** How a value of each type is made text for the key, and read back from it. */
const CODECS: Record<LogicalType, { encode(column: string): string; decode(text: string): string }> = {
  string: { encode: (c) => c, decode: (t) => t },
  bigint: { encode: (c) => `CAST(${c} AS VARCHAR)`, decode: (t) => `CAST(${t} AS BIGINT)` },
  // Exact: the session sets extra_float_digits = 2, so a double's text reads back to the same double.
  double: { encode: (c) => `CAST(${c} AS VARCHAR)`, decode: (t) => `CAST(${t} AS DOUBLE PRECISION)` },
  // The session's time zone is UTC, so the text carries the instant whole.
  timestamp: { encode: (c) => `CAST(${c} AS VARCHAR)`, decode: (t) => `CAST(${t} AS TIMESTAMPTZ)` },
  // Redshift cannot cast a boolean to text.
  boolean: { encode: (c) => `CASE WHEN ${c} THEN 't' ELSE 'f' END`, decode: (t) => `(${t} = 't')` },
  // SUPER has no text cast; PostgreSQL has neither SUPER nor these functions (nor does the core create JSON columns yet).
  json: { encode: (c) => `JSON_SERIALIZE(${c})`, decode: (t) => `JSON_PARSE(${t})` },
};

/**
 * Redshift has no `FILTER (WHERE …)`, no ordered `array_agg` and no `arg_max`, so the latest
 * non-null value is read from the MAX of a string that sorts like the row: each `orderBy` column
 * as text, padded to a fixed width (`PAD`), then the value as text; the key is cut off and
 * the value cast back to its type. A null column gives no string, so MAX skips its row; a null
 * `orderBy` value is padding only, so that row sorts first (never the newest), as with
 * PostgreSQL's DESC NULLS LAST. Text compares byte by byte on Redshift (and on PostgreSQL under
 * the C collation the tests use), and UTF-8's bytes order as its code points do, so the key
 * orders rows as the columns do: an id that ends in U+0001 ties with its prefix, and no other.
 * (Under a database made `COLLATE CASE_INSENSITIVE`, Redshift compares text without case: ids
 * that differ in case alone may then tie.) The `orderBy`
 * columns must be ones whose text sorts like their values: timestamps in UTC and strings, which
 * is what the core passes (timestamp, received_at, message id). Renders on PostgreSQL too,
 * except for SUPER columns.
 *
 * The key takes 64 characters per `orderBy` column (192 for the core's three, up to
 * ORDER_KEY_MAX_BYTES bytes): a string value longer than 65,535 − ORDER_KEY_MAX_BYTES bytes may
 * make a keyed string longer than VARCHAR can hold.
 */
export function latestNonNull(column: string, orderBy: readonly string[], type: LogicalType): string {
  const { encode, decode } = CODECS[type];
  // Cast to the widest VARCHAR (a cast to a shorter one may refuse a longer id), then RPAD cuts or pads.
  const key = orderBy.map((c) => `RPAD(COALESCE(CAST(${c} AS VARCHAR(${MAX_VARCHAR_BYTES})), ''), ${ORDER_KEY_WIDTH}, '${PAD}')`).join(' || ');
  const latest = `MAX(CASE WHEN ${column} IS NOT NULL THEN ${key} || ${encode(column)} END)`;
  return decode(`SUBSTRING(${latest} FROM ${orderBy.length * ORDER_KEY_WIDTH + 1})`);
}
