/**
 * Removes secrets from text meant for logs, errors and history: every given secret value, and
 * the password part of any URL (`postgres://user:secret@host` → `postgres://user:***@host`).
 */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text.replace(/(\b[a-z][a-z0-9+.-]*:\/\/[^:/\s@]*:)[^@\s/]+@/gi, '$1***@');
  for (const secret of secrets) if (secret && secret.length >= 3) out = out.split(secret).join('***');
  return out;
}
