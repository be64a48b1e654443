import type { DuckDBDriver } from './driver.js';
import type { DuckDBSettings } from './settings.js';

/**
 * Opens a session on a database file. The driver, and with it `@duckdb/node-api` (~35 MB of memory
 * and ~180 ms to load), is loaded with the first session: a command that opens none, or a
 * configuration whose warehouses are all elsewhere, never loads it.
 */
export async function openDriver(settings: DuckDBSettings, onWait?: (holder: string | undefined) => void): Promise<DuckDBDriver> {
  const { DuckDBDriver } = await import('./driver.js');
  return DuckDBDriver.open(settings, onWait ? { onWait } : {});
}
