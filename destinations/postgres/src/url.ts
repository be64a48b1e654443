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
  const parsed = parseConnectionString(url, LIBPQ_COMPAT.test(url) ? {} : { useLibpqCompat: true });
  // pg reads the database name with decodeURI, which leaves `%23`, `%2F`, `%40`, `%3F`… as they
  // are: the server was asked for `we%23ird%2Fdb`. libpq decodes every escape, once.
  const database = rawDatabase(url);
  if (database !== undefined && parsed.database) {
    try {
      // Only where pg read the same part (a URL odd enough to be read otherwise keeps pg's reading).
      if (decodeURI(database) === parsed.database) parsed.database = decodeURIComponent(database);
    } catch {
      // A stray `%`: pg's reading stands.
    }
  }
  return parsed;
}

/** The database part of a URL as written: after the authority's end, before the query. */
function rawDatabase(url: string): string | undefined {
  const scheme = url.indexOf('://');
  if (scheme < 0) return undefined;
  const slash = url.indexOf('/', scheme + 3);
  if (slash < 0) return undefined;
  const end = url.slice(slash + 1).search(/[?#]/);
  return end < 0 ? url.slice(slash + 1) : url.slice(slash + 1, slash + 1 + end);
}
