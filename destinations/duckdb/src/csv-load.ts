import type { LoadFile, Row, SqlValue } from '@stowage/core';
import { dialect } from './dialect.js';

/**
 * DuckDB's load files are CSV: positional, so half the bytes of NDJSON (whose every line repeats
 * every column name), cheaper to encode in JS, and parsed by DuckDB's CSV reader at twice the
 * speed of `read_json` on one thread, which is all DuckDB gets while the next batch is encoded.
 *
 * The dialect is pinned on both sides, never sniffed: `,` between fields, `"` around a field that
 * needs it and `""` for a quote inside one. An empty field is NULL and `""` is the empty string
 * (`allow_quoted_nulls = false`), so the two never meet. Nothing else is special: backslashes,
 * U+0000, tabs and surrounding spaces are data.
 */

/** A field that must be quoted: a delimiter, a quote or a line break inside it (or nothing at all). */
const NEEDS_QUOTES = /[",\n\r]/;

function field(value: SqlValue | undefined): string {
  if (value === null || value === undefined) return '';
  if (typeof value !== 'string') return String(value);
  return value === '' || NEEDS_QUOTES.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

/** One CSV line of a row, its fields in the order of `names`. */
export function csvLine(row: Row, names: readonly string[]): string {
  let line = field(row[names[0]!]);
  for (let i = 1; i < names.length; i++) line += ',' + field(row[names[i]!]);
  return line + '\n';
}

/** DuckDB's CSV line limit (2 MB), raised only for a file holding a longer line (a big value). */
const DEFAULT_MAX_LINE_BYTES = 2 * 1024 * 1024;

/**
 * The relation that reads a CSV load file with its columns' types. A line may hold a value of
 * any size: past the default limit, the limit and the read buffer (which must be larger) are
 * raised for this file only.
 */
export function csvRelation(file: LoadFile): string {
  const types = file.columns.map((c) => `${dialect.literal(c.name)}: ${dialect.literal(dialect.physicalType(c.type))}`).join(', ');
  // longestRow counts UTF-16 code units; one takes at most 3 bytes of UTF-8.
  const longest = file.longestRow * 3 + 1024;
  const limits = longest > DEFAULT_MAX_LINE_BYTES ? `, max_line_size = ${longest}, buffer_size = ${Math.max(32 * 1024 * 1024, longest * 2)}` : '';
  return (
    `read_csv(${dialect.literal(file.path)}, header = false, auto_detect = false, ` +
    `delim = ',', quote = '"', escape = '"', nullstr = '', allow_quoted_nulls = false${limits}, columns = {${types}})`
  );
}
