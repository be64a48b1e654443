/**
 * A quarantined value longer than a text column holds (Redshift's VARCHAR(65535)) is kept whole in
 * several `_stowage_rejects` rows, never cut: the quarantine is where a value goes so as not to be
 * lost. Each part's reason starts with `part i of n`, numbers padded so that the reasons sort in
 * order; the parts of one value share its id, table, column and time.
 */

import { stableHash } from '../naming/stable-hash.js';

const PART = /^part (\d+) of (\d+) /;

/** The value in pieces of at most `maxBytes` UTF-8 bytes each, never splitting a character. */
export function utf8Pieces(value: string, maxBytes: number): string[] {
  // Every UTF-16 unit is at most 3 bytes (a surrogate pair, two units, is 4): most values take this path.
  if (value.length * 3 <= maxBytes || Buffer.byteLength(value) <= maxBytes) return [value];
  const pieces: string[] = [];
  let start = 0;
  let bytes = 0;
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    const pair = code >= 0xd800 && code <= 0xdbff && i + 1 < value.length && (value.charCodeAt(i + 1) & 0xfc00) === 0xdc00;
    const size = pair ? 4 : code < 0x80 ? 1 : code < 0x800 ? 2 : 3;
    if (bytes + size > maxBytes) {
      pieces.push(value.slice(start, i));
      start = i;
      bytes = 0;
    }
    bytes += size;
    if (pair) i++;
  }
  pieces.push(value.slice(start));
  return pieces;
}

/** The reject's value as one or more (value, reason) rows that each fit `maxBytes`. */
export function rejectParts(value: string, reason: string, maxBytes: number): Array<{ value: string; reason: string }> {
  const pieces = utf8Pieces(value, maxBytes);
  const whole = utf8Pieces(reason, maxBytes)[0]!;
  if (pieces.length === 1) return [{ value, reason: whole }];
  const width = String(pieces.length).length;
  const n = String(pieces.length);
  return pieces.map((piece, i) => ({
    value: piece,
    reason: utf8Pieces(`part ${String(i + 1).padStart(width, '0')} of ${n} (a value longer than the ${maxBytes} bytes a text column holds here: the parts, in order, make it whole): ${reason}`, maxBytes)[0]!,
  }));
}

/**
 * Rows of `_stowage_rejects` read back (ordered by time, id and reason), with the parts of one
 * value joined again: what `rejectParts` split.
 */
export function joinRejectParts<T extends { id: string; value: string; reason: string }>(rows: readonly T[]): T[] {
  const out: T[] = [];
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    const part = PART.exec(row.reason);
    if (!part || Number(part[1]) !== 1) {
      out.push(row);
      continue;
    }
    const count = Number(part[2]);
    let value = row.value;
    let j = i + 1;
    for (; j < rows.length && j - i < count && rows[j]!.id === row.id && Number(PART.exec(rows[j]!.reason)?.[1]) === j - i + 1; j++) value += rows[j]!.value;
    out.push({ ...row, value });
    i = j - 1;
  }
  return out;
}

/**
 * A reject's `id` that fits the column: a message id longer than the warehouse's text (the call
 * it names refused for it) is cut, with a hash of the whole id after `…`, so that the parts of
 * its value still share one id, the same at every replay. The whole id is in the value.
 */
export function fittedId(id: string, maxBytes: number): string {
  const [head, ...rest] = utf8Pieces(id, maxBytes);
  if (rest.length === 0) return id;
  const suffix = `…${stableHash(id, 16)}`;
  return utf8Pieces(head!, maxBytes - Buffer.byteLength(suffix))[0]! + suffix;
}
