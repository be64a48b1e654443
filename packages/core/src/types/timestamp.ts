/** ISO-8601 date-time: a date, `T` or a space, a time, an optional fraction and zone. */
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}(:?\d{2})?)?$/;

/**
 * Parses an ISO-8601 date-time into the UTC form stored in timestamp columns
 * (`2026-01-02T03:04:05.000Z`), or undefined when the string is not one. A string without a zone
 * is read as UTC, as Segment's loaders do.
 */
export function parseTimestamp(value: string): string | undefined {
  if (value.length > 40 || !ISO_DATE_TIME.test(value)) return undefined;
  const hasZone = /(Z|[+-]\d{2}(:?\d{2})?)$/.test(value.slice(10));
  const ms = Date.parse(hasZone ? value.replace(' ', 'T') : `${value.replace(' ', 'T')}Z`);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}
