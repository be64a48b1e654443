import { inheritedNames, loadValue, type Column, type LoadFile, type Row, type SqlValue } from '@stowage/core';
import { dialect } from './dialect.js';

/**
 * DuckDB's load files are CSV: positional, so half the bytes of NDJSON (whose every line repeats
 * every column name), cheaper to encode in JS, and parsed by DuckDB's CSV reader at twice the
 * speed of `read_json` on one thread, which is all DuckDB gets while the next batch is encoded.
 *
 * The dialect is pinned on both sides, never sniffed (the line ending too: guessed from the first
 * line, a `\r` inside its quoted field was read as `\r\n`, and the file failed to load). Fields
 * are separated by U+0002 and quoted with U+0001 (doubled inside a quoted field), not by `,` and
 * `"`: JSON text never holds a raw control character (JSON.stringify escapes them all), so an entity context or any JSON value is
 * written as it is, where the comma dialect quoted it and doubled each of its hundreds of quotes
 * (eight times the JS work for a kilobyte of JSON, and DuckDB's slower path for quoted fields).
 * A field is quoted only when it holds U+0001, U+0002 or a line break, or is the empty string:
 * an empty field is NULL and a quoted empty one is `''` (`allow_quoted_nulls = false`), so the two
 * never meet. Nothing else is special: commas, `"`, backslashes, U+0000, tabs and surrounding
 * spaces are data.
 */

const QUOTE = '\u0001';
const DELIMITER = '\u0002';

/** A field that must be quoted: the quote, the delimiter or a line break inside it. */
const NEEDS_QUOTES = /[\u0001\u0002\n\r]/;

/**
 * Or a U+FEFF first, which DuckDB's reader takes for a byte-order mark and drops when the file
 * begins with it (quoted, the file begins with the quote instead).
 */
const BOM = 0xfeff;

function field(value: SqlValue | undefined): string {
  if (value === null || value === undefined) return '';
  if (typeof value !== 'string') return String(value);
  return value === '' || value.charCodeAt(0) === BOM || NEEDS_QUOTES.test(value) ? QUOTE + value.replaceAll(QUOTE, QUOTE + QUOTE) + QUOTE : value;
}

/**
 * A field of a column whose values need no look (numbers, booleans, and timestamps, which the
 * plan made canonical: `2026-01-02T03:04:05.000Z`).
 */
function plainField(value: SqlValue | undefined): string {
  return value === null || value === undefined ? '' : String(value);
}

type FieldEncoder = (value: SqlValue | undefined) => string;

/** How each column's fields are written: only text and JSON may need quoting. */
export function csvEncoders(columns: readonly Column[]): FieldEncoder[] {
  return columns.map((c) => (c.type === 'string' || c.type === 'json' ? field : plainField));
}

/**
 * The CSV line of each row, its fields in the order of `names`, each written by its encoder (the
 * names, and which of them a plain object inherits, read once, not per row).
 */
export function csvLines(names: readonly string[], encoders: readonly FieldEncoder[] = names.map(() => field)): (row: Row) => string {
  const inherited = inheritedNames(names);
  return (row) => {
    let line = encoders[0]!(loadValue(row, names[0]!, inherited[0]!));
    for (let i = 1; i < names.length; i++) line += DELIMITER + encoders[i]!(loadValue(row, names[i]!, inherited[i]!));
    return line + '\n';
  };
}

/** One CSV line of a row, its fields in the order of `names`, each written by its encoder. */
export function csvLine(row: Row, names: readonly string[], encoders?: readonly FieldEncoder[]): string {
  return csvLines(names, encoders)(row);
}

/**
 * DuckDB's CSV line limit, 2,000,000 bytes (not 2 MiB: a line of 2,000,000 to 2,097,152 bytes,
 * under a limit taken for 2 MiB, was never raised for, and its write failed on every retry),
 * raised only for a file holding a longer line (a big value).
 */
const DEFAULT_MAX_LINE_BYTES = 2_000_000;

/**
 * The relation that reads a CSV load file with its columns' types. A line may hold a value of
 * any size: past the default limit, the limit and the read buffer (which must be larger) are
 * raised for this file only.
 */
export function csvRelation(file: LoadFile): string {
  const types = file.columns.map((c) => `${dialect.literal(c.name)}: ${dialect.literal(dialect.physicalType(c.type))}`).join(', ');
  const longest = file.longestRow + 1024;
  const limits = longest > DEFAULT_MAX_LINE_BYTES ? `, max_line_size = ${longest}, buffer_size = ${Math.max(32 * 1024 * 1024, longest * 2)}` : '';
  return (
    `read_csv(${dialect.literal(file.path)}, header = false, auto_detect = false, ` +
    `delim = ${dialect.literal(DELIMITER)}, quote = ${dialect.literal(QUOTE)}, escape = ${dialect.literal(QUOTE)}, new_line = '\\n', nullstr = '', allow_quoted_nulls = false${limits}, columns = {${types}})`
  );
}
