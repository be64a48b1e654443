import { IntegrationError, fieldsToJsonSchema } from '@stowage/core';
import { openDriver } from './open-driver.js';
import type { DuckDBSettings } from './settings.js';

/** Settings fields: one source for the configuration's validation, its docs and its types. */
export const fields = {
  path: {
    label: 'Database file',
    description: 'Path of the DuckDB database file the warehouse lives in, relative to the configuration file; `:memory:` for a throw-away warehouse.',
    type: 'string' as const,
    required: true,
  },
  memoryLimit: {
    label: 'Memory limit',
    description: "DuckDB's memory_limit while loading, such as `1GB`; DuckDB spills to disk past it. Default `512MB`, raised to 1.6MB per column of the widest table (a table of 1,000 columns: 1,600MB); when set, it is kept as set.",
    type: 'string' as const,
  },
  threads: {
    label: 'Threads',
    description: 'Threads DuckDB may use while loading. Defaults to one per core but one (at least one), which leaves a core to the work of preparing the next batch.',
    type: 'integer' as const,
  },
};

/** The `@segment/actions-core` destination definition of the DuckDB warehouse. */
export const definition = {
  name: 'Stowage DuckDB',
  slug: 'stowage-duckdb',
  mode: 'cloud' as const,
  description: 'Lands Engage audiences, computed traits and journeys in an embedded DuckDB database file.',
  authentication: {
    scheme: 'custom' as const,
    fields,
    /** Opens the database file and runs one query: proves the path is writable and the file is DuckDB's. */
    testAuthentication: async (_request: unknown, { settings }: { settings: DuckDBSettings }) => {
      const driver = await openDriver(settings).catch((error: Error) => {
        throw new IntegrationError(`Cannot open DuckDB database ${settings.path}: ${error.message}`, 'INVALID_SETTINGS', 400);
      });
      try {
        await driver.query('SELECT 1 AS ok');
        return true;
      } finally {
        await driver.close();
      }
    },
  },
  actions: {},
};

export const settingsSchema = fieldsToJsonSchema(fields as never);
