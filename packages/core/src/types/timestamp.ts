/** ISO-8601 date-time: a date, `T` or a space, a time, an optional fraction and zone. */
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}(:?\d{2})?)?$/;

const seen = new Map<string, boolean>();
const CANONICAL = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/**
 * Parses an ISO-8601 date-time into the UTC form stored in timestamp columns
 * (`2026-01-02T03:04:05.000Z`), or undefined when the string is not one. A string without a zone
 * is read as UTC, as Segment's loaders do.
 */
export function parseTimestamp(value: string): string | undefined {
  // Fast path: the canonical form, which every timestamp Stowage itself writes has; a
  // well-formed but impossible date (month 13) still fails Date.parse. The rows of a batch repeat
  // the same few timestamps (received_at, uuid_ts), so the answers are remembered.
  if (value.length === 24 && CANONICAL.test(value)) {
    let valid = seen.get(value);
    if (valid === undefined) {
      if (seen.size >= 10_000) seen.clear();
      seen.set(value, (valid = !Number.isNaN(Date.parse(value))));
    }
    return valid ? value : undefined;
  }
  if (value.length > 40 || !ISO_DATE_TIME.test(value)) return undefined;
  const hasZone = /(Z|[+-]\d{2}(:?\d{2})?)$/.test(value.slice(10));
  const ms = Date.parse(hasZone ? value.replace(' ', 'T') : `${value.replace(' ', 'T')}Z`);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}
