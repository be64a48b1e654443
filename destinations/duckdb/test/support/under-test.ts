import { join } from 'node:path';
import type { Destination } from '@stowage/core';
import type { DestinationUnderTest } from '@stowage/testkit';
import { duckdb } from '../../src/index.js';
import type { DuckDBDriver } from '../../src/driver.js';

/**
 * DuckDB as the harness runs it: a file in each test's own folder, and, for a warehouse that
 * cannot be reached, one in a folder that does not exist. `settings` are added to the path.
 */
export function duckdbUnderTest(destination: Destination = duckdb as unknown as Destination, settings: Record<string, unknown> = {}): DestinationUnderTest {
  return {
    destination,
    module: '@stowage/destination-duckdb',
    settings: (dir) => ({ path: join(dir, 'warehouse.duckdb'), ...settings }),
    unreachable: (dir) => ({ path: join(dir, 'no', 'such', 'folder', 'warehouse.duckdb') }),
  };
}

/**
 * DuckDB whose sessions are the real ones with the methods `over` gives put over them (a lost
 * connection, a slow statement, a record of what ran); those reach the real session through the
 * driver they are given. The session inherits the rest from the real one (`Object.create`), so
 * that a real method calling one that is put over calls the one put over.
 */
export function duckdbWithSessions(over: (driver: DuckDBDriver) => Partial<DuckDBDriver>): Destination {
  return {
    ...(duckdb as unknown as Destination),
    connect: async (settings, context) => {
      const driver = (await duckdb.connect(settings as never, context)) as DuckDBDriver;
      return Object.assign(Object.create(driver) as DuckDBDriver, over(driver));
    },
  };
}
