import { realpathSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { ActionWriter, withStorageActions, type Destination } from '@stowage/core';
import { capabilities } from './capabilities.js';
import { definition as baseDefinition, settingsSchema } from './definition.js';
import { dialect } from './dialect.js';
import { openDriver } from './open-driver.js';
import type { DuckDBSettings } from './settings.js';

/**
 * The actions-core definition with the Storage Actions action and presets. Used on its own (not
 * through Stowage's engine), each write opens the database file named by the settings.
 */
const definition = withStorageActions(baseDefinition, async (settings: DuckDBSettings) => {
  const driver = await openDriver({ ...settings, path: settings.path === ':memory:' ? settings.path : resolve(settings.path) });
  return { writer: new ActionWriter(driver, dialect, capabilities, undefined, (schema) => duckdb.schemaProblem!(schema, settings)), close: () => driver.close() };
});

/** The DuckDB warehouse: Stowage's embedded default. */
export const duckdb: Destination<DuckDBSettings> = {
  type: 'duckdb',
  definition,
  settingsSchema,
  capabilities,
  dialect,
  connect: (settings, { root, onWait }) =>
    openDriver({ ...settings, path: settings.path === ':memory:' ? settings.path : resolve(root, settings.path) }, onWait),
  // A DuckDB file has no credentials.
  secrets: () => [],
  location: (settings, { root }) => (settings.path === ':memory:' ? undefined : fileLocation(resolve(root, settings.path))),
  settingsProblems: (settings) => {
    const problems: string[] = [];
    // Resolved against the configuration's folder, "" is that folder, which DuckDB cannot open.
    if (typeof settings.path === 'string' && settings.path.trim() === '') problems.push('path: expected the path of a database file (or ":memory:"), not an empty string');
    // What DuckDB's SET memory_limit reads: a number and a unit (in any case), `-1`, or `none`
    // (in lower case, nothing around it: `NONE` or ` none ` is refused). Anything else failed every
    // sync with "Failed to set config".
    if (settings.memoryLimit !== undefined && settings.memoryLimit !== 'none' && !/^\s*(-1|\d+(\.\d+)?\s*(b|bytes?|k|kb|m|mb|g|gb|t|tb|kib|mib|gib|tib))\s*$/i.test(settings.memoryLimit)) {
      problems.push(`memoryLimit: ${JSON.stringify(settings.memoryLimit)} is not a size such as "512MB" or "2GB" (or "none", in lower case, for no limit)`);
    }
    if (settings.threads !== undefined && settings.threads < 1) problems.push(`threads: ${settings.threads} is not a number of threads; give 1 or more`);
    return problems;
  },
  schemaProblem: (schema, settings) => {
    // `t` in `"x"."t"` is looked for in catalog x too: a schema named like a catalog (the
    // database file's, or DuckDB's own) makes every statement on its tables ambiguous.
    const catalogs = ['system', 'temp', 'memory', catalogName(settings.path)];
    const clash = catalogs.find((c) => c === schema.toLowerCase());
    if (clash) return `"${schema}" is also the name of a DuckDB catalog ("${clash}"${clash === catalogName(settings.path) ? `, from the file name ${basename(settings.path)}` : ''}), which makes its tables' names ambiguous; choose another name`;
    // Views over the catalog, in every database: no table can be made there.
    if (['information_schema', 'pg_catalog'].includes(schema.toLowerCase())) return `"${schema}" is DuckDB's own schema of catalog views, where no table can be made; choose another name`;
    return undefined;
  },
};

/** A database file's path with its folder's symbolic links followed (the file itself may not exist yet). */
function fileLocation(path: string): string {
  try {
    return join(realpathSync(dirname(path)), basename(path));
  } catch {
    return path;
  }
}

/** The catalog DuckDB names a database file after: its name without the extension. */
function catalogName(path: unknown): string {
  if (typeof path !== 'string') return 'memory';
  // Up to the first dot: `my.data.duckdb` is catalog `my`.
  return path === ':memory:' ? 'memory' : basename(path).split('.')[0]!.toLowerCase();
}

export default duckdb;
// The driver is at `@stowage/destination-duckdb/driver`, so that importing this module does not load DuckDB.
export { dialect, capabilities, definition };
export type { DuckDBSettings };
