import { resolve } from 'node:path';
import { ActionWriter, withStorageActions, type Destination } from '@stowage/core';
import { capabilities } from './capabilities.js';
import { definition as baseDefinition, settingsSchema } from './definition.js';
import { dialect } from './dialect.js';
import { DuckDBDriver } from './driver.js';
import type { DuckDBSettings } from './settings.js';

/**
 * The actions-core definition with the Storage Actions action and presets. Used on its own (not
 * through Stowage's engine), each write opens the database file named by the settings.
 */
const definition = withStorageActions(baseDefinition, async (settings: DuckDBSettings) => {
  const driver = await DuckDBDriver.open({ ...settings, path: settings.path === ':memory:' ? settings.path : resolve(settings.path) });
  return { writer: new ActionWriter(driver, dialect, capabilities), close: () => driver.close() };
});

/** The DuckDB warehouse: Stowage's embedded default. */
export const duckdb: Destination<DuckDBSettings> = {
  type: 'duckdb',
  definition,
  settingsSchema,
  capabilities,
  dialect,
  connect: (settings, { root }) =>
    DuckDBDriver.open({ ...settings, path: settings.path === ':memory:' ? settings.path : resolve(root, settings.path) }),
  // A DuckDB file has no credentials.
  secrets: () => [],
};

export default duckdb;
export { DuckDBDriver, dialect, capabilities, definition };
export type { DuckDBSettings };
