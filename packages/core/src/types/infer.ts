import type { LogicalType } from '../contract/logical-type.js';
import { int64Digits } from './cast.js';
import { parseTimestamp } from './timestamp.js';

/**
 * The type a column gets from the first non-null value that creates it: booleans, whole numbers
 * of the 64-bit range as bigint, other numbers as double, ISO-8601 date-times as timestamp, everything else string.
 * Returns undefined for null: a null never creates a column.
 */
export function inferType(value: unknown): LogicalType | undefined {
  switch (typeof value) {
    case 'boolean':
      return 'boolean';
    case 'number':
      return Number.isSafeInteger(value) || int64Digits(value) !== undefined ? 'bigint' : 'double';
    case 'string':
      return parseTimestamp(value) !== undefined ? 'timestamp' : 'string';
    case 'bigint':
      return 'bigint';
    case 'undefined':
      return undefined;
    default:
      return value === null ? undefined : 'string';
  }
}
