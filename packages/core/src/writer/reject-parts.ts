import { stableHash } from '../naming/stable-hash.js';

/**
 * A quarantined value longer than a text column holds (Redshift's VARCHAR(65535)) is kept whole in
 * several `_stowage_rejects` rows, never cut: the quarantine is where a value goes so as not to be
 * lost. Each part's reason starts with `value <hash>, part i of n`: ordered by reason, the parts of
 * one value come together and in order (numbers padded), even beside another long value of the
 * same id, table, column and time (the same context value in `tracks` and an event table, or two
 * copies of a call refused in one batch).
 */

const PART = /^value ([0-9a-f]{8}), part (\d+) of (\d+) /;

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
  const hash = stableHash(value);
  return pieces.map((piece, i) => ({
    value: piece,
    reason: utf8Pieces(`value ${hash}, part ${String(i + 1).padStart(width, '0')} of ${n} (a value longer than the ${maxBytes} bytes a text column holds here: the parts, in order, make it whole): ${reason}`, maxBytes)[0]!,
  }));
}

/**
 * Rows of `_stowage_rejects` read back, with the parts of each value joined again (what
 * `rejectParts` split), in the order of each value's first part; a value missing a part is left
 * out rather than given back cut.
 */
export function joinRejectParts<T extends { id: string; value: string; reason: string }>(rows: readonly T[]): T[] {
  const out: Array<{ row: T } | { key: string }> = [];
  const values = new Map<string, { row: T; parts: string[]; count: number }>();
  for (const row of rows) {
    const part = PART.exec(row.reason);
    if (!part) {
      out.push({ row });
      continue;
    }
    const key = `${row.id}\u0000${part[1]}`;
    let value = values.get(key);
    if (!value) {
      values.set(key, (value = { row, parts: [], count: Number(part[3]) }));
      out.push({ key });
    }
    // Two identical values (a copy) fill the same parts.
    value.parts[Number(part[2]) - 1] = row.value;
  }
  return out.flatMap((entry) => {
    if ('row' in entry) return [entry.row];
    const { row, parts, count } = values.get(entry.key)!;
    const joined = Array.from({ length: count }, (_, i) => parts[i]);
    return joined.every((p) => p !== undefined) ? [{ ...row, value: joined.join('') }] : [];
  });
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
