import type { ColumnBounds } from '../contract/logical-type.js';
import { isCalendarDate } from '../types/timestamp.js';

/** Characters (code points) of a string, as PostgreSQL counts them for `varchar(n)`. */
function characters(value: string, atMost: number): number {
  // A string of at most n UTF-16 units has at most n characters: counted only past that.
  if (value.length <= atMost) return value.length;
  let n = 0;
  for (const _ of value) n++;
  return n;
}

const UUID = /^\{?[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}\}?$/i;

const FORMATS: Readonly<Record<NonNullable<ColumnBounds['format']>, { test: (value: string) => boolean; what: string }>> = {
  uuid: { test: (value) => UUID.test(value), what: 'a UUID' },
  // A day no calendar has (`2026-02-30`) is refused by the warehouse, which would fail the whole call.
  date: { test: isCalendarDate, what: 'a date written YYYY-MM-DD, of a day the calendar has in the years 0001 to 9999 (the column keeps no time)' },
};

/**
 * The number a single-precision float column gives back for a double, as its shortest decimal text
 * reads (what the warehouse prints; a client that reads the float itself gets the float): `0.1`,
 * stored as the float nearest to it, reads back 0.1; `16777217` reads back 16777216. Infinity past
 * its range, 0 below it.
 */
function readBackFromSingle(value: number): number {
  const single = Math.fround(value);
  if (single === value || !Number.isFinite(single) || single === 0) return single;
  // A float's shortest text has at most 9 significant digits.
  for (let digits = 1; digits < 9; digits++) {
    const text = Number(single.toPrecision(digits));
    if (Math.fround(text) === single) return text;
  }
  return Number(single.toPrecision(9));
}

/** A timestamp's text (`…T10:00:00.777Z`) with its fraction of a second cut to `digits` (none: `…T10:00:00Z`). */
export function cutFraction(value: string, digits: number): string {
  return value.replace(/\.(\d+)/, (_, fraction: string) => (digits === 0 ? '' : `.${fraction.slice(0, digits)}`));
}

/**
 * Why a value, already of its column's logical type, does not fit the column's narrower physical
 * type (`ColumnBounds`); undefined when it fits. Values of Stowage's own columns never come here.
 */
export function outOfBounds(value: unknown, bounds: ColumnBounds): string | undefined {
  const { physical } = bounds;
  if (typeof value === 'string' && bounds.format !== undefined) {
    const format = FORMATS[bounds.format];
    return format.test(value) ? undefined : `the value is not ${format.what}, which the column's type ${physical} holds`;
  }
  // Before the length: the warehouse refuses such a value whatever its length.
  if (typeof value === 'string' && bounds.ascii && /[^\u0000-\u007f]/.test(value)) return `the value holds a character beyond ASCII, which the column's type ${physical} does not hold`;
  if (typeof value === 'string' && bounds.maxLength !== undefined) {
    if (bounds.lengthIn === 'bytes') {
      // A UTF-16 unit takes at most 3 bytes of UTF-8: measured only when it could be over.
      if (value.length * 3 <= bounds.maxLength) return undefined;
      const bytes = Buffer.byteLength(value, 'utf8');
      return bytes > bounds.maxLength ? `the value takes ${bytes} bytes, more than the ${bounds.maxLength} of the column's type ${physical}` : undefined;
    }
    const n = characters(value, bounds.maxLength);
    return n > bounds.maxLength ? `the value has ${n} characters, more than the ${bounds.maxLength} of the column's type ${physical}` : undefined;
  }
  if (bounds.min !== undefined && bounds.max !== undefined && (typeof value === 'number' || typeof value === 'string')) {
    // Integers a double cannot hold arrive as their digits (`parseJsonExactly`): far out of any narrower range.
    const n = Number(value);
    // A text column of an integer type (DuckDB's HUGEINT) takes no fraction, nor text that is no
    // integer's digits (Number reads `''` as 0 and `0x1F` as 31).
    if (!Number.isInteger(n) || (typeof value === 'string' && !/^[+-]?\d+$/.test(value))) return `the value is not an integer, which the column's type ${physical} holds`;
    return n < bounds.min || n > bounds.max ? `the value is outside ${bounds.min} to ${bounds.max}, the range of the column's type ${physical}` : undefined;
  }
  if (typeof value === 'string' && bounds.fractionDigits !== undefined) {
    // A timestamp as the plan gives it: `…T10:00:00.700Z`, milliseconds always written.
    const fraction = /\.(\d+)/.exec(value)?.[1] ?? '';
    if (/[1-9]/.test(fraction.slice(bounds.fractionDigits))) return `the value has more digits of a second than the ${bounds.fractionDigits} the column's type ${physical} keeps, which it would round`;
  }
  if (typeof value === 'number' && bounds.single) {
    const stored = readBackFromSingle(value);
    if (stored !== value) return `the value is more than the column's type ${physical} (a single-precision float) holds: it would read back as ${stored}`;
  }
  if (typeof value === 'number' && bounds.below !== undefined && bounds.scale !== undefined) {
    if (Math.abs(value) >= bounds.below) return `the value is ${bounds.below} or more in absolute value, more than the column's type ${physical} holds`;
    // The warehouse would round the digits past the scale without a word.
    if (Number(value.toFixed(bounds.scale)) !== value) return `the value has more than ${bounds.scale} digits after the point, which the column's type ${physical} would round away`;
  }
  return undefined;
}
