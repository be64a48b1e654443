import type { Column, Row } from '@stowage/core';
import { foldCase } from '../dialect.js';

/** A JSON column's text as the value it names, so that COPY stores an object in SUPER, not a string holding one. */
function jsonValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

const DIGITS = /^-?\d+$/;

/**
 * One row as a line for COPY … FORMAT JSON 'auto', which matches keys to column names (hence
 * the lower case Redshift stores them in). JSON keeps what CSV blurs: a null is no key, an empty
 * string is `""`, and booleans and numbers keep their type. Timestamps stay ISO-8601 with `Z`,
 * which TIMEFORMAT 'auto' reads.
 */
export function jsonLine(columns: readonly Column[], row: Row): string {
  const record: Record<string, unknown> = {};
  let digits: Array<[key: string, digits: string]> | undefined;
  for (const column of columns) {
    const value = row[column.name];
    if (value === null || value === undefined) continue;
    const key = foldCase(column.name);
    if (column.type === 'bigint' && typeof value === 'string' && DIGITS.test(value)) {
      // An integer past 2^53 comes as its digits (`int64Digits`): written as a JSON number, digit
      // for digit, which a double in between would have changed.
      (digits ??= []).push([key, value]);
      continue;
    }
    record[key] = column.type === 'json' && typeof value === 'string' ? jsonValue(value) : value;
  }
  if (!digits) return JSON.stringify(record) + '\n';
  const members = digits.map(([key, value]) => `${JSON.stringify(key)}:${value}`).join(',');
  const rest = JSON.stringify(record);
  return `${rest === '{}' ? `{${members}}` : `${rest.slice(0, -1)},${members}}`}\n`;
}
