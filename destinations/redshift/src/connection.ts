import { parseUrl, secretsOf as pgSecretsOf, type PostgresSettings } from '@stowage/destination-postgres';
import type { RedshiftSettings } from './settings.js';

/**
 * The pg settings of a Redshift warehouse: port 5439 unless the URL or the settings say
 * otherwise, and encrypted unless told not to (clusters may refuse plain connections; the
 * certificate is checked with `verify-full`). The `sslmode` setting wins; where it is not set, a
 * URL's own `sslmode` is taken (pg reads it), and `require` only where neither gives one.
 */
export function connectionSettings(settings: RedshiftSettings): PostgresSettings {
  // The setting decides where it is given: pg reads the URL's sslmode only where none is.
  const sslmode = settings.sslmode ?? (urlGivesSslmode(settings.url) ? undefined : 'require');
  return {
    ...settings,
    ...(settings.port === undefined && !urlGivesPort(settings.url) ? { port: 5439 } : {}),
    ...(sslmode ? { sslmode } : {}),
  };
}

/**
 * Whether a URL names a port (`…amazonaws.com:5439/dev`): one that does not
 * (`…amazonaws.com/dev`) means Redshift's 5439, where pg would take PostgreSQL's 5432 and wait
 * for a cluster that never answers there. A URL that cannot be read names none (the connection
 * then says what is wrong with it).
 */
function urlGivesPort(url: string | undefined): boolean {
  if (url === undefined) return false;
  try {
    return Boolean(parseUrl(url).port);
  } catch {
    return false;
  }
}

/** Whether a libpq URL has an `sslmode` parameter (`…/dev?sslmode=disable`). */
function urlGivesSslmode(url: string | undefined): boolean {
  const query = url?.indexOf('?') ?? -1;
  return query !== -1 && /(?:^|&)sslmode=/.test(url!.slice(query + 1).split('#')[0]!);
}

/** What must never be shown: the password (in the settings or the URL), the secret access key and its session token. */
export function secretsOf(settings: RedshiftSettings): string[] {
  return [...pgSecretsOf(settings), ...[settings.secretAccessKey, settings.sessionToken].filter((s): s is string => Boolean(s))];
}
