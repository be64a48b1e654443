import { rowValue, type Column, type Row } from '@stowage/core';
import { foldCase } from '../dialect.js';

/** A JSON column's text as the value it names, so that COPY stores an object in SUPER, not a string holding one. */
function jsonValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
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
  const record: Record<string, unknown> = {};
  for (const column of columns) {
    const value = rowValue(row, column.name);
    if (value === null || value === undefined) continue;
    record[foldCase(column.name)] = column.type === 'json' && typeof value === 'string' ? jsonValue(value) : column.type === 'double' && typeof value === 'number' ? String(value) : value;
  }
  return JSON.stringify(record) + '\n';
}
