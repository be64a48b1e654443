import type { Column, Row, SqlValue } from '@stowage/core';

/** Characters COPY's text format gives a meaning to: escaped with a backslash. */
const SPECIAL = /[\\\n\r\t]/g;
const ESCAPES: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** One value in COPY's text format: `\N` for null, `t`/`f` for booleans, text escaped. */
export function copyTextValue(value: SqlValue | undefined): string {
  if (value === null || value === undefined) return '\\N';
  if (typeof value === 'boolean') return value ? 't' : 'f';
  if (typeof value === 'number') return String(value);
  return value.replace(SPECIAL, (c) => ESCAPES[c]!);
}

/** One row as a line of COPY's text format, columns in the given order. */
export function copyTextLine(columns: readonly Column[], row: Row): string {
  let line = '';
  for (let i = 0; i < columns.length; i++) {
    if (i > 0) line += '\t';
    line += copyTextValue(row[columns[i]!.name]);
  }
  return line + '\n';
}
