import type { LogicalType } from '../contract/logical-type.js';
import type { SqlValue } from '../contract/driver.js';
import { looksLikeDateTime, parseTimestamp } from './timestamp.js';
import { exactJsonText, exactNumberText } from './exact-json-text.js';

/** A value made fit for a column: kept as is, cast without loss, or refused with the reason. */
export type CastResult =
  | { ok: true; value: SqlValue; cast: boolean }
  | { ok: false; reason: string };

const keep = (value: SqlValue): CastResult => ({ ok: true, value, cast: false });
const cast = (value: SqlValue): CastResult => ({ ok: true, value, cast: true });
const refuse = (value: unknown, type: LogicalType): CastResult => ({
  ok: false,
  reason: `${describe(value)} cannot be stored without loss in a ${type} column`,
});

/** Digits of an integer too long for a double to hold exactly: sent as a JSON number, such an integer is read as them (`parseJsonExactly`). */
const LONG_INTEGER = /^-?[1-9]\d{15,}$/;

function describe(value: unknown): string {
  // Told as the integer it is, however it was sent: "the string" named a number the call sent as one.
  if (typeof value === 'string' && value.length <= 40 && LONG_INTEGER.test(value)) return `the integer ${value}`;
  if (typeof value === 'string') return value.length > 40 ? `a ${value.length}-character string` : `the string ${JSON.stringify(value)}`;
  return `the ${typeof value} ${typeof value === 'number' ? exactNumberText(value) : String(value)}`;
}

/** A decimal string that names one number a double holds: not past its range (`1e400`), nor too small for it and read as 0 (`1e-400`). */
function exactNumber(value: string): number | undefined {
  if (!/^-?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(value)) return undefined;
  const n = Number(value);
  if (n === 0 && /[1-9]/.test(value.split(/[eE]/)[0]!)) return undefined;
  return Number.isFinite(n) ? n : undefined;
}

/**
 * A decimal's value as its sign, its digits without leading or trailing zeros, and the power of ten
 * after them: `"0.10"`, `"1e-1"` and `"1.0E-1"` alike; zero's digits are `0`.
 */
function decimalParts(text: string): string {
  const [, sign, whole, fraction = '', power = '0'] = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/.exec(text) ?? [];
  let digits = `${whole ?? ''}${fraction}`.replace(/^0+/, '');
  if (digits === '') return '0';
  let exponent = Number(power) - fraction.length;
  const kept = digits.replace(/0+$/, '');
  exponent += digits.length - kept.length;
  digits = kept;
  return `${sign}${digits}e${exponent}`;
}

/**
 * Whether a number written as text is the double it reads as, spelt as that double's shortest
 * text (`"0.1"`, `"1.50"`, `"1e22"`); not where the double would change it (`"9007199254740993.0"`
 * is 2^53 + 1, stored as 2^53; `"0.12345678901234567890123"` would keep 17 digits).
 */
function sameAsDouble(value: string, n: number): boolean {
  return decimalParts(value) === (n === 0 ? '0' : decimalParts(String(n).replace('e+', 'e')));
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const INTEGER_TEXT = /^-?[1-9]\d*$/;
/** Digits after a leading zero: `"012"`, `"-007.5"`; not `"0.5"`. */
const LEADING_ZERO = /^-?0\d/;

/**
 * The decimal digits of an integer a 64-bit integer column holds, given as a number beyond 2^53
 * (exact, since a double holds only integers there: `2 ** 60`) or as its digits
 * (`"1234567890123456789"`, read so from a line, where a double would have changed it).
 * A double's own text would not do: `String(2 ** 60)` is `1152921504606847000`, its shortest
 * spelling, another integer. Undefined for anything else.
 */
export function int64Digits(value: unknown): string | undefined {
  let big: bigint;
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) return undefined;
    big = BigInt(value);
  } else if (typeof value === 'string' && INTEGER_TEXT.test(value) && value.length <= 20) {
    big = BigInt(value);
  } else {
    return undefined;
  }
  return big >= INT64_MIN && big <= INT64_MAX ? big.toString() : undefined;
}

const DATE_TIME_PARTS = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2}))?/;

/** Whether a date-time names a day or a time no calendar has (`2026-02-30`, `24:00`), rather than a year out of range. */
function offCalendar(value: string): boolean {
  const parts = DATE_TIME_PARTS.exec(value);
  if (!parts) return false;
  const [year, month, day, hour, minute, second = 0] = parts.slice(1).map(Number) as [number, number, number, number, number, number?];
  const days = new Date(Date.UTC(2000, month, 0)).getUTCDate() - (month === 2 && !(year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0)) ? 1 : 0);
  return month < 1 || month > 12 || day < 1 || day > days || hour > 23 || minute > 59 || second > 59;
}

/**
 * Makes a value fit a column of the given type when that loses nothing: `"12"` into bigint,
 * `12` into double, `true` into string, `"true"` into boolean. Anything else is refused; the
 * writer sends refused values to the quarantine table with the reason.
 */
export function castTo(value: unknown, type: LogicalType): CastResult {
  if (value === null || value === undefined) return keep(null);
  switch (type) {
    case 'boolean':
      if (typeof value === 'boolean') return keep(value);
      if (value === 'true' || value === 'false') return cast(value === 'true');
      return refuse(value, type);
    case 'bigint': {
      if (typeof value === 'number' && Number.isSafeInteger(value)) return keep(value);
      if (typeof value === 'string') {
        const n = exactNumber(value);
        if (n !== undefined && Number.isSafeInteger(n) && String(n) === value) return cast(n);
      }
      // Past 2^53, an integer goes to the load file as its digits, which the warehouse reads exactly.
      const digits = int64Digits(value);
      if (digits !== undefined) return typeof value === 'number' ? keep(digits) : cast(digits);
      return refuse(value, type);
    }
    case 'double':
      if (typeof value === 'number') return keep(value);
      // A leading zero (`"012"`, a zip code's `"01234"`) marks text, as a bigint column takes it: its zeros would go.
      if (typeof value === 'string' && !LEADING_ZERO.test(value)) {
        const n = exactNumber(value);
        // An integer's digits (read so because a double would change them) that a double does not hold.
        if (n !== undefined && INTEGER_TEXT.test(value) && BigInt(value) !== BigInt(n)) {
          return { ok: false, reason: `${describe(value)} is an integer a double column cannot hold exactly (it would be stored as ${exactNumberText(n)})` };
        }
        // Other numbers' text (a fraction, an exponent) against the double's shortest spelling.
        if (n !== undefined && !INTEGER_TEXT.test(value) && !sameAsDouble(value, n)) {
          return { ok: false, reason: `${describe(value)} has more digits than a double column holds (it would be stored as ${String(n)})` };
        }
        if (n !== undefined) return cast(n);
      }
      return refuse(value, type);
    case 'timestamp': {
      if (typeof value !== 'string') return refuse(value, type);
      const ts = parseTimestamp(value);
      if (ts === undefined && looksLikeDateTime(value)) {
        // Of the years a column holds, yet no moment: a day or a time the calendar does not have.
        const why = offCalendar(value) ? 'is not a day and time the calendar has (such as February 30, or 24:00)' : 'is not a moment of the years 0001 to 9999, which a timestamp column holds';
        return { ok: false, reason: `${describe(value)} ${why}` };
      }
      if (ts === undefined) return refuse(value, type);
      return ts === value ? keep(ts) : cast(ts);
    }
    case 'string':
      if (typeof value === 'string') return keep(value);
      if (typeof value === 'number') return cast(exactNumberText(value));
      if (typeof value === 'boolean') return cast(String(value));
      return cast(exactJsonText(value));
    case 'json':
      return typeof value === 'string' ? keep(value) : cast(exactJsonText(value));
  }
}

/**
 * Whether a value needs a wider column than `type` to be stored whole: a number an integer column
 * cannot hold (1.5, or 1e19, past the 64-bit range). An integer it holds, however large, is no
 * reason: widened to double, the column would round every later one past 2^53.
 */
export function widerTypeFor(value: unknown, type: LogicalType): LogicalType | undefined {
  if (type === 'bigint' && typeof value === 'number' && !Number.isSafeInteger(value) && int64Digits(value) === undefined) return 'double';
  return undefined;
}

/**
 * Whether a column of type `column` holds every value of a column of type `values`, cast in SQL
 * to the text Stowage itself would write: text holds integers, whose digits every warehouse
 * writes alike. Not booleans (Redshift cannot cast one to text), doubles (Redshift writes
 * `0.1` as `0.10000000000000001` with the digits a session reads back exactly), times (each
 * warehouse's own format, not ISO-8601), nor JSON (Redshift's SUPER object has no text cast).
 */
export function holdsEveryValueOf(column: LogicalType, values: LogicalType): boolean {
  return column === values || (column === 'string' && values === 'bigint');
}
