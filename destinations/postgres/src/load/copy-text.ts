import type { Column, Row, SqlValue } from '@stowage/core';

/** Characters COPY's text format gives a meaning to: escaped with a backslash. */
const SPECIAL = /[\\\n\r\t]/g;
/** The same, to test a value before replacing in it: most values hold none, and a replace with a callback costs several times a test. */
const HAS_SPECIAL = /[\\\n\r\t]/;
const ESCAPES: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };
const escape = (c: string) => ESCAPES[c]!;

/** One value in COPY's text format: `\N` for null, `t`/`f` for booleans, text escaped. */
export function copyTextValue(value: SqlValue | undefined): string {
  if (value === null || value === undefined) return '\\N';
  if (typeof value === 'string') return HAS_SPECIAL.test(value) ? value.replace(SPECIAL, escape) : value;
  if (typeof value === 'boolean') return value ? 't' : 'f';
  return String(value);
}

/** The line of COPY's text format for each row, columns in the given order (their names read once, not per row). */
export function copyTextLines(columns: readonly Column[]): (row: Row) => string {
  const names = columns.map((c) => c.name);
  if (names.length === 0) return () => '\n';
  return (row) => {
    let line = copyTextValue(row[names[0]!]);
    for (let i = 1; i < names.length; i++) line += '\t' + copyTextValue(row[names[i]!]);
    return line + '\n';
  };
}

/** One row as a line of COPY's text format, columns in the given order. */
export function copyTextLine(columns: readonly Column[], row: Row): string {
  return copyTextLines(columns)(row);
}
