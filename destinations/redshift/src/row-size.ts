import { rowValue, type Column, type Row, type RowLimit } from '@stowage/core';
import { jsonLine } from './load/json-lines.js';

/**
 * COPY refuses an input row over 4 MB ("The maximum size of a single input row from any source is
 * 4 MB"): counted here as 4,000,000 bytes, below both readings of a megabyte.
 */
const MAX_INPUT_ROW_BYTES = 4_000_000;

/** `{`, `}` and the newline of a line. */
const LINE_BYTES = 3;

/**
 * Most bytes one character of a value or a name takes in the line: a control character is
 * escaped as `\u00XX`; any other takes at most 3 bytes of UTF-8 (a surrogate pair, two
 * characters, 4; a `|`, which COPY counts twice, 2). A JSON column's text goes into the line as
 * it is (a text that is not JSON, as a JSON string of it), which never makes it longer than this either.
 */
const BYTES_PER_CHARACTER = 6;

/** The most characters a number or a boolean takes in JSON: a double as a string of its digits, quotes included (`"-1.2345678901234567e-308"`). */
const SCALAR_CHARACTERS = 26;

/**
 * Redshift's bound on a row, as COPY reads it: the row's line of JSON (`jsonLine`, what the S3
 * staging writes). A bound from the lengths of the values comes first, in one pass over them;
 * only a row that bound puts over the limit is encoded and measured exactly, so that no value
 * is quarantined from a row that fits. A value has no bound of its own below the row's (a JSON
 * column is SUPER, up to 16 MB), so every row is measured.
 */
export const rowLimit: RowLimit = {
  maxBytes: MAX_INPUT_ROW_BYTES,
  maxValueBytes: Infinity,
  maxOverheadBytes: LINE_BYTES,
  rowBytes(columns: readonly Column[], row: Readonly<Record<string, unknown>>): number {
    let bound = LINE_BYTES;
    for (const { name } of columns) {
      const value = rowValue(row, name);
      if (value === null || value === undefined) continue;
      // `"name":` and a comma.
      bound += BYTES_PER_CHARACTER * name.length + 4;
      if (typeof value === 'string') bound += BYTES_PER_CHARACTER * value.length + 2;
      else if (typeof value === 'number' || typeof value === 'boolean') bound += SCALAR_CHARACTERS;
      else return exactBytes(columns, row);
    }
    return bound <= MAX_INPUT_ROW_BYTES ? bound : exactBytes(columns, row);
  },
};

/** A line's bytes as COPY counts them toward its 4 MB: "Amazon Redshift internally counts pipe characters ( | ) twice". */
function exactBytes(columns: readonly Column[], row: Readonly<Record<string, unknown>>): number {
  const line = jsonLine(columns, row as Row);
  let pipes = 0;
  for (let i = line.indexOf('|'); i !== -1; i = line.indexOf('|', i + 1)) pipes++;
  return Buffer.byteLength(line, 'utf8') + pipes;
}
