/** ISO-8601 date-time: a date, `T` or a space, a time, an optional fraction and zone. */
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}(:?\d{2})?)?$/;
const HAS_ZONE = /(Z|[+-]\d{2}(:?\d{2})?)$/;

const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** The decimal number written at value[from, to), or -1 when a character there is not a digit. */
function digits(value: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) {
    const d = value.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

function daysIn(year: number, month: number): number {
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return month === 2 && leap ? 29 : (DAYS[month - 1] ?? 0);
}

/**
 * Whether the written date and time exist: Date.parse rolls `2026-02-30` over to March 2 instead
 * of refusing it, and a warehouse refuses it outright, which would fail every batch holding it.
 * Expects the shape ISO_DATE_TIME already checked (or the canonical one).
 */
function existsOnCalendar(value: string): boolean {
  const year = digits(value, 0, 4);
  const month = digits(value, 5, 7);
  const day = digits(value, 8, 10);
  const seconds = value.charCodeAt(16) === 58 /* : */ ? digits(value, 17, 19) : 0;
  return month >= 1 && day >= 1 && day <= daysIn(year, month) && digits(value, 11, 13) <= 23 && digits(value, 14, 16) <= 59 && seconds <= 59;
}

/** Whether the string is a date written `YYYY-MM-DD` of a day the calendar has, in the years 0001 to 9999. */
export function isCalendarDate(value: string): boolean {
  if (value.length !== 10 || value.charCodeAt(4) !== 45 /* - */ || value.charCodeAt(7) !== 45) return false;
  const year = digits(value, 0, 4);
  const month = digits(value, 5, 7);
  const day = digits(value, 8, 10);
  return year >= 1 && month >= 1 && month <= 12 && day >= 1 && day <= daysIn(year, month);
}

/** Days from 1970-01-01 to a date of the proleptic Gregorian calendar (Hinnant's days_from_civil). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  return era * 146_097 + yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear - 719_468;
}

/**
 * Milliseconds since the epoch of a string in the canonical UTC form Stowage stores
 * (`2026-01-02T03:04:05.000Z`) naming a moment that exists, else NaN. Checked and computed in one
 * pass, character by character and without a Date: every call carries several timestamps, and a
 * regular expression plus Date.parse per value was a tenth of a sync's time.
 */
function canonicalMillis(value: string): number {
  if (
    value.length !== 24 ||
    value.charCodeAt(4) !== 45 /* - */ ||
    value.charCodeAt(7) !== 45 ||
    value.charCodeAt(10) !== 84 /* T */ ||
    value.charCodeAt(13) !== 58 /* : */ ||
    value.charCodeAt(16) !== 58 ||
    value.charCodeAt(19) !== 46 /* . */ ||
    value.charCodeAt(23) !== 90 /* Z */
  ) {
    return Number.NaN;
  }
  const year = digits(value, 0, 4);
  const month = digits(value, 5, 7);
  const day = digits(value, 8, 10);
  const hour = digits(value, 11, 13);
  const minute = digits(value, 14, 16);
  const second = digits(value, 17, 19);
  const millis = digits(value, 20, 23);
  const exists = year >= 1 && month >= 1 && day >= 1 && day <= daysIn(year, month) && hour >= 0 && hour <= 23 && minute >= 0 && minute <= 59 && second >= 0 && second <= 59 && millis >= 0;
  return exists ? daysFromCivil(year, month, day) * 86_400_000 + hour * 3_600_000 + minute * 60_000 + second * 1000 + millis : Number.NaN;
}

/**
 * The moments a timestamp column holds: years 0001 to 9999, the range every warehouse stores
 * (BigQuery's, the narrowest; PostgreSQL refuses year 0000). A date-time outside it is text: as a
 * timestamp it would fail its batch on every retry.
 */
const FIRST_MS = daysFromCivil(1, 1, 1) * 86_400_000;
const LAST_MS = daysFromCivil(10_000, 1, 1) * 86_400_000 - 1;

/** Whether milliseconds since the epoch fall in the years a timestamp column holds. */
export function storableMillis(ms: number): boolean {
  return ms >= FIRST_MS && ms <= LAST_MS;
}

/** The nearest moment a timestamp column holds: a bound a day past 9999-12-31 is that day's end, one before 0001-01-01 its start. */
export function clampToStorable(ms: number): number {
  return Math.min(LAST_MS, Math.max(FIRST_MS, ms));
}

/** Whether a string is written as a date-time (of any year, `+010000-…` too), whether or not a column can hold it. */
export function looksLikeDateTime(value: string): boolean {
  return value.length <= 40 && (ISO_DATE_TIME.test(value) || /^[+-]\d{6}-\d{2}-\d{2}T/.test(value));
}

/** Whether the string is the canonical UTC form Stowage stores, of a moment that exists. */
function isCanonical(value: string): boolean {
  return !Number.isNaN(canonicalMillis(value));
}

/**
 * Milliseconds since the epoch of a timestamp in the canonical form (which every call in the log
 * has: they are canonicalised when accepted), or of any ISO-8601 date-time; NaN when neither.
 */
export function timestampMillis(value: string): number {
  const ms = canonicalMillis(value);
  if (!Number.isNaN(ms)) return ms;
  const parsed = parseTimestamp(value);
  return parsed === undefined ? Number.NaN : Date.parse(parsed);
}

/**
 * Parses an ISO-8601 date-time into the UTC form stored in timestamp columns
 * (`2026-01-02T03:04:05.000Z`), or undefined when the string is not one. A string without a zone
 * is read as UTC, as Segment's loaders do.
 */
export function parseTimestamp(value: string): string | undefined {
  if (isCanonical(value)) return value;
  if (value.length > 40 || !ISO_DATE_TIME.test(value) || !existsOnCalendar(value)) return undefined;
  const normalized = value.replace(' ', 'T');
  const ms = Date.parse(HAS_ZONE.test(value.slice(10)) ? withFullZone(normalized) : `${normalized}Z`);
  // A zone can move a moment of the year 9999 into 10000, or of 0001 into 0000.
  return storableMillis(ms) ? new Date(ms).toISOString() : undefined;
}

/**
 * Why a string written as a date-time is none `parseTimestamp` reads, for an error to name: a day
 * or a time the calendar has not (`2026-02-29`, `24:00`), or a moment outside the years 0001 to
 * 9999 once its zone is applied. Undefined for a string not written so, or one it reads.
 */
export function dateTimeProblem(value: string): string | undefined {
  if (value.length > 40 || !ISO_DATE_TIME.test(value) || parseTimestamp(value) !== undefined) return undefined;
  if (!existsOnCalendar(value)) return `${value.slice(0, value.charCodeAt(16) === 58 ? 19 : 16).replace(' ', 'T')} is no day and time of the calendar`;
  return 'its moment falls outside the years 0001 to 9999';
}

/** `+05` as `+05:00`, which Date.parse needs (it takes `+0530` and `+05:30`, not hours alone). */
function withFullZone(value: string): string {
  return /[+-]\d{2}$/.test(value) ? `${value}:00` : value;
}
