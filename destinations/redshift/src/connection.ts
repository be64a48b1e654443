import { secretsOf as pgSecretsOf, type PostgresSettings } from '@stowage/destination-postgres';
import type { RedshiftSettings } from './settings.js';

/**
 * The pg settings of a Redshift warehouse: port 5439 unless the URL or the settings say
 * otherwise, and encrypted unless told not to (clusters may refuse plain connections; the
 * certificate is checked with `verify-full`). A URL's own `sslmode` wins over both, as in pg.
 */
export function connectionSettings(settings: RedshiftSettings): PostgresSettings {
  return {
    ...settings,
    ...(settings.port === undefined && settings.url === undefined ? { port: 5439 } : {}),
    sslmode: settings.sslmode ?? 'require',
  };
}

/** What must never be shown: the password (in the settings or the URL) and the secret access key. */
export function secretsOf(settings: RedshiftSettings): string[] {
  return [...pgSecretsOf(settings), ...(settings.secretAccessKey ? [settings.secretAccessKey] : [])];
}
