import { ActionWriter, withStorageActions, type Destination } from '@stowage/core';
import { capabilities } from './capabilities.js';
import { postgresDefinition, settingsSchema } from './definition.js';
import { dialect } from './dialect.js';
import type { PgDriver, PgDriverOptions } from './driver.js';
import { secretsOf, serverLocation, urlProblem } from './connection.js';
import type { PostgresSettings } from './settings.js';

/** Opens a session, loading `pg` with the first one (`./connect.js`, the package's `./driver` entry). */
export async function connectPostgres(settings: PostgresSettings): Promise<PgDriver> {
  return (await import('./connect.js')).connectPostgres(settings);
}

const definition = withStorageActions(postgresDefinition(connectPostgres), async (settings: PostgresSettings) => {
  const driver = await connectPostgres(settings);
  return { writer: new ActionWriter(driver, dialect, capabilities, undefined, (schema) => systemSchemaProblem(schema, 'PostgreSQL')), close: () => driver.close() };
});

/** The PostgreSQL warehouse: `pg` with COPY FROM STDIN into session-local stages. */
export const postgres: Destination<PostgresSettings> = {
  type: 'postgres',
  definition,
  settingsSchema,
  capabilities,
  dialect,
  connect: (settings) => connectPostgres(settings),
  secrets: (settings) => secretsOf(settings),
  location: (settings) => serverLocation(settings),
  schemaProblem: (schema) => systemSchemaProblem(schema, 'PostgreSQL'),
  settingsProblems: (settings) => [
    ...pgSettingsProblems(settings),
    // SET lock_timeout takes milliseconds up to 2^31 − 1.
    ...(settings.lockTimeoutSeconds !== undefined && !(settings.lockTimeoutSeconds >= 0 && settings.lockTimeoutSeconds * 1000 <= 2_147_483_647)
      ? [`lockTimeoutSeconds: expected a number of seconds from 0 (wait as long as it takes) to 2147483, not ${settings.lockTimeoutSeconds}`]
      : []),
  ],
};

/**
 * A schema of the server's own (its catalog, `information_schema`), where no table can be made:
 * names beginning with `pg_` are reserved (`CREATE SCHEMA` refuses them). As written: a quoted
 * `PG_x` is another name, except where the warehouse folds case (Redshift; `folded`).
 */
export function systemSchemaProblem(schema: string, warehouse: string, folded = false): string | undefined {
  const name = folded ? schema.toLowerCase() : schema;
  if (name !== 'information_schema' && !name.startsWith('pg_')) return undefined;
  return `"${schema}" is a schema of ${warehouse}'s own (names beginning with pg_ are reserved, and information_schema holds its catalog views), where no table can be made; choose another name`;
}

/** The settings of a server of the PostgreSQL protocol that their schema lets through and a connection would not. */
export function pgSettingsProblems(settings: PostgresSettings, schemes?: readonly string[]): string[] {
  const problems: string[] = [];
  const problem = settings.url === undefined ? undefined : urlProblem(settings.url, schemes);
  if (problem) problems.push(`url: ${problem}`);
  // Past them, the client throws where no connection error is told (the command ended silently).
  if (settings.port !== undefined && !(settings.port >= 1 && settings.port <= 65_535)) problems.push(`port: expected a TCP port from 1 to 65535, not ${settings.port}`);
  const connect = settings.connectTimeoutSeconds;
  if (connect !== undefined && !(connect >= 1 && connect * 1000 <= 2_147_483_647)) problems.push(`connectTimeoutSeconds: expected a number of seconds from 1 to 2147483, not ${connect}`);
  return problems;
}

export default postgres;
// The driver and the loaders are at `@stowage/destination-postgres/driver`, so that importing this module does not load `pg`.
export { dialect, capabilities, definition };
export { POSTGRES_SCHEMES, secretsOf, serverLocation, settingsTarget } from './connection.js';
export { copyTextLine, copyTextValue } from './load/copy-text.js';
export { pgProtocolDefinition, type TestSession } from './definition.js';
export { POSTGRES_RESERVED_WORDS } from './reserved-words.js';
export { PG_CATALOG_TYPES } from './dialect.js';
export { parseUrl } from './url.js';
export type { Loader } from './load/loader.js';
export { LoaderError } from './load/loader.js';
export { POSTGRES_SESSION_SETUP } from './session-setup.js';
export type { PgDriver };
export type { PgDriverOptions, PostgresSettings };
export type { PgConnectionSettings } from './settings.js';
