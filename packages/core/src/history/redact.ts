/**
 * A secret this long is taken out wherever it appears. A shorter one is taken out only where it
 * stands as a secret (a URL's userinfo, `password=…`): as bare text it is likely a word or number
 * of the message itself (a password `user` in `for user "app"`, `5432` in a host's port), and
 * taking those out garbled the message and told the password (`127.0.0.1:***` says it is the port).
 * No driver or error of Stowage's writes a setting's value bare.
 */
const BARE_SECRET_LENGTH = 8;

/** `password=…`, `password: …`, `"password":"…"` (a conninfo string, a settings object): the value, a quoted one whole. */
const PASSWORD_VALUE = /(\b(?:password|passwd|pwd|secret[_ -]?access[_ -]?key)["']?\s*[:=]\s*)("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|[^\s,;&}]+)/gi;

/**
 * Removes secrets from text meant for logs, errors and history: the password part of any URL
 * (`postgres://user:secret@host` → `postgres://user:***@host`), the value of a `password=` pair,
 * and every given secret value of BARE_SECRET_LENGTH characters or more, wherever it appears.
 */
export function redact(text: string, secrets: readonly string[]): string {
  // The known secrets first, longest first, each whole: a pattern's mask ending inside one (at a
  // space or a comma) would leave the rest of it.
  let out = text;
  for (const secret of [...secrets].sort((a, b) => b.length - a.length)) if (secret.length >= BARE_SECRET_LENGTH) out = out.split(secret).join('***');
  return out
    .replace(/(\b[a-z][a-z0-9+.-]*:\/\/[^:/\s@]*:)[^@\s/]+@/gi, '$1***@')
    .replace(PASSWORD_VALUE, (_match, key: string, value: string) => `${key}${value.startsWith('"') ? '"***"' : value.startsWith("'") ? "'***'" : '***'}`);
}
