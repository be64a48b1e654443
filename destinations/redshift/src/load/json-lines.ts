import { rowValue, type Column, type Row } from '@stowage/core';
import { foldCase } from '../dialect.js';

/**
 * A JSON column's text as it goes into the line: the text itself, which is JSON (the core makes
 * any other text a JSON string), so that COPY stores in SUPER the value it spells, digits as
 * written. Parsed by JavaScript and written again, it was another value: an integer past 2^53
 * rounded (`9007199254740993`, which SUPER holds as a BIGINT, became `9007199254740992`), `1.0`
 * made the integer `1`. Line breaks, which a JSON text holds only as blanks between its tokens,
 * become spaces: the line stays one line. Text that is not JSON goes as a JSON string.
 */
function jsonText(text: string): string {
  try {
    JSON.parse(text);
  } catch {
    return JSON.stringify(text);
  }
  return text.replace(/[\r\n]/g, ' ');
}

/**
 * One row as a line for COPY … FORMAT JSON 'auto', which matches keys to column names (hence
 * the lower case Redshift stores them in). JSON keeps what CSV blurs: a null is no key, an empty
 * string is `""`, and booleans and numbers keep their type. Timestamps stay ISO-8601 with `Z`,
 * which TIMEFORMAT 'auto' reads. An integer past 2^53 comes as its digits (`int64Digits`) and is
 * written as a JSON string of them; so is a double, as its shortest digits (`0.1`, `1e+21`): COPY
 * may lose precision reading a JSON number into a numeric column, and converts a string exactly,
 * as AWS's notes on COPY from JSON advise ("Represent the number as a string").
 */
export function jsonLine(columns: readonly Column[], row: Row): string {
  let line = '';
  for (const column of columns) {
    const value = rowValue(row, column.name);
    if (value === null || value === undefined) continue;
    const text = column.type === 'json' && typeof value === 'string' ? jsonText(value) : JSON.stringify(column.type === 'double' && typeof value === 'number' ? String(value) : value);
    line += `${line === '' ? '{' : ','}${JSON.stringify(foldCase(column.name))}:${text}`;
  }
  return `${line === '' ? '{' : line}}\n`;
}
