import { inheritedNames, loadValue, type Column, type Row, type SqlValue } from '@stowage/core';

/** Characters COPY's text format gives a meaning to, escaped with a backslash: tested for first, as most values hold none. */
const HAS_SPECIAL = /[\\\n\r\t]/;

/**
 * Text with COPY's escapes. One replace per character, not one regular expression with a
 * callback: that one gathers every match first, and a value with tens of millions of them (a
 * rejected row's JSON of a context of quotes, each escaped) ended the process with V8's fatal
 * "invalid size error", which no catch sees.
 */
const escapeText = (value: string) => value.replaceAll('\\', '\\\\').replaceAll('\n', '\\n').replaceAll('\r', '\\r').replaceAll('\t', '\\t');

/** One value in COPY's text format: `\N` for null, `t`/`f` for booleans, text escaped. */
export function copyTextValue(value: SqlValue | undefined): string {
  if (value === null || value === undefined) return '\\N';
  if (typeof value === 'string') return HAS_SPECIAL.test(value) ? escapeText(value) : value;
  if (typeof value === 'boolean') return value ? 't' : 'f';
  return String(value);
}

/**
 * The line of COPY's text format for each row, columns in the given order (their names, and which
 * of them a plain object inherits, read once, not per row).
 */
export function copyTextLines(columns: readonly Column[]): (row: Row) => string {
  const names = columns.map((c) => c.name);
  if (names.length === 0) return () => '\n';
  const inherited = inheritedNames(names);
  return (row) => {
    let line = copyTextValue(loadValue(row, names[0]!, inherited[0]!));
    for (let i = 1; i < names.length; i++) line += '\t' + copyTextValue(loadValue(row, names[i]!, inherited[i]!));
    return line + '\n';
  };
}

/** One row as a line of COPY's text format, columns in the given order. */
export function copyTextLine(columns: readonly Column[], row: Row): string {
  return copyTextLines(columns)(row);
}
