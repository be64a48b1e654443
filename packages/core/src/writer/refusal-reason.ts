import { redact } from '../history/redact.js';

/** Characters of a warehouse's reason for refusing a row that Stowage keeps (notices, `_stowage_rejects`). */
const REASON_CHARS = 300;

/**
 * A warehouse's reason for refusing a row, as told to the user: credentials redacted first (a cut
 * could leave half a secret the redaction no longer knows), then cut, since a warehouse's detail
 * may quote the whole row (PostgreSQL's `Failing row contains (…)`).
 */
export function refusalReason(error: unknown, secrets: readonly string[] = []): string {
  const full = redact((error as Error)?.message ?? String(error), secrets);
  return full.length > REASON_CHARS ? `${full.slice(0, REASON_CHARS)}…` : full;
}
