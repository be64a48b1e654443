import { secretsOf as pgSecretsOf, type PostgresSettings } from '@stowage/destination-postgres';
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
    ...(settings.port === undefined && settings.url === undefined ? { port: 5439 } : {}),
    ...(sslmode ? { sslmode } : {}),
  };
}

/** Whether a libpq URL has an `sslmode` parameter (`…/dev?sslmode=disable`). */
function urlGivesSslmode(url: string | undefined): boolean {
  const query = url?.indexOf('?') ?? -1;
  return query !== -1 && /(?:^|&)sslmode=/.test(url!.slice(query + 1).split('#')[0]!);
}

/** What must never be shown: the password (in the settings or the URL) and the secret access key. */
export function secretsOf(settings: RedshiftSettings): string[] {
  return [...pgSecretsOf(settings), ...(settings.secretAccessKey ? [settings.secretAccessKey] : [])];
}
