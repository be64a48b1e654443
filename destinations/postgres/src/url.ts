import { parse as parseConnectionString } from 'pg-connection-string';

/** A URL that chooses libpq's meaning of its sslmode itself (`uselibpqcompat=`): asking again would be refused. */
const LIBPQ_COMPAT = /[?&]uselibpqcompat=/i;

/**
 * A URL read with libpq's meaning of its sslmode (`require`: encrypted, the certificate not
 * checked), as documented, rather than pg's (`require` read as `verify-full`, with a warning on
 * every read), unless the URL chooses itself. Apart from the client's configuration: validating a
 * configuration must not load `pg` (`test/lazy-imports.test.ts`).
 */
export function parseUrl(url: string): ReturnType<typeof parseConnectionString> {
  return parseConnectionString(url, LIBPQ_COMPAT.test(url) ? {} : { useLibpqCompat: true });
}
