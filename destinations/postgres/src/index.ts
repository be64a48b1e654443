import { ActionWriter, withStorageActions, type Destination } from '@stowage/core';
import { capabilities } from './capabilities.js';
import { postgresDefinition, settingsSchema } from './definition.js';
import { dialect } from './dialect.js';
import { PgDriver, type PgDriverOptions } from './driver.js';
import { copyLoader } from './load/copy-loader.js';
import { insertLoader } from './load/insert-loader.js';
import { secretsOf, urlProblem } from './connection.js';
import type { PostgresSettings } from './settings.js';

/** Every session runs in UTC, so timestamps read back and written without a zone mean UTC. */
const SETUP = ["SET TIME ZONE 'UTC'", 'SET standard_conforming_strings = on', 'SET client_min_messages = warning', "SET temp_buffers = '128MB'"];

/** Opens a session with the loader the settings choose. */
export function connectPostgres(settings: PostgresSettings): Promise<PgDriver> {
  return PgDriver.open(settings, { dialect, loader: settings.bulkLoad === 'insert' ? insertLoader : copyLoader, setup: SETUP, keyLookups: 'settings', directLoads: true });
}

const definition = withStorageActions(postgresDefinition(connectPostgres), async (settings: PostgresSettings) => {
  const driver = await connectPostgres(settings);
  return { writer: new ActionWriter(driver, dialect, capabilities), close: () => driver.close() };
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
  settingsProblems: (settings) => pgSettingsProblems(settings),
};

/** The settings of a server of the PostgreSQL protocol that their schema lets through and a connection would not. */
export function pgSettingsProblems(settings: PostgresSettings): string[] {
  const problem = settings.url === undefined ? undefined : urlProblem(settings.url);
  return problem ? [`url: ${problem}`] : [];
}

export default postgres;
export { PgDriver, dialect, capabilities, definition, copyLoader, insertLoader };
export { clientConfig, secretsOf } from './connection.js';
export { copyTextLine, copyTextValue } from './load/copy-text.js';
export { pgProtocolDefinition, type TestSession } from './definition.js';
export { POSTGRES_RESERVED_WORDS } from './reserved-words.js';
export { PG_CATALOG_TYPES } from './dialect.js';
export type { Loader } from './load/loader.js';
export type { PgDriverOptions, PostgresSettings };
export type { PgConnectionSettings } from './settings.js';
