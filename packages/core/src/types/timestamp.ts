/** ISO-8601 date-time: a date, `T` or a space, a time, an optional fraction and zone. */
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}(:?\d{2})?)?$/;

const seen = new Map<string, boolean>();
const CANONICAL = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const num = (v: string, from: number, to: number) => Number(v.slice(from, to));

/**
 * Whether the written date and time exist: Date.parse rolls `2026-02-30` over to March 2 instead
 * of refusing it, and a warehouse refuses it outright, which would fail every batch holding it.
 */
function existsOnCalendar(value: string): boolean {
  const year = num(value, 0, 4);
  const month = num(value, 5, 7);
  const day = num(value, 8, 10);
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  const days = month === 2 && leap ? 29 : DAYS[month - 1];
  const seconds = value[16] === ':' ? num(value, 17, 19) : 0;
  return days !== undefined && day >= 1 && day <= days && num(value, 11, 13) <= 23 && num(value, 14, 16) <= 59 && seconds <= 59;
}

/**
 * Parses an ISO-8601 date-time into the UTC form stored in timestamp columns
 * (`2026-01-02T03:04:05.000Z`), or undefined when the string is not one. A string without a zone
 * is read as UTC, as Segment's loaders do.
 */
export function parseTimestamp(value: string): string | undefined {
  // Fast path: the canonical form, which every timestamp Stowage itself writes has. The rows of a
  // batch repeat the same few timestamps (received_at, uuid_ts), so the answers are remembered.
  if (value.length === 24 && CANONICAL.test(value)) {
    let valid = seen.get(value);
    if (valid === undefined) {
      if (seen.size >= 10_000) seen.clear();
      seen.set(value, (valid = existsOnCalendar(value) && !Number.isNaN(Date.parse(value))));
    }
    return valid ? value : undefined;
  }
  if (value.length > 40 || !ISO_DATE_TIME.test(value) || !existsOnCalendar(value)) return undefined;
  const hasZone = /(Z|[+-]\d{2}(:?\d{2})?)$/.test(value.slice(10));
  const ms = Date.parse(hasZone ? value.replace(' ', 'T') : `${value.replace(' ', 'T')}Z`);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}
