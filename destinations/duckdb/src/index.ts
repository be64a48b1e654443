import { resolve } from 'node:path';
import type { Destination } from '@stowage/core';
import { capabilities } from './capabilities.js';
import { definition, settingsSchema } from './definition.js';
import { dialect } from './dialect.js';
import { DuckDBDriver } from './driver.js';
import type { DuckDBSettings } from './settings.js';

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
