import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig, type Destination } from '@stowage/core';
import { DuckDBDriver } from '../src/driver.js';
import { duckdb } from '../src/index.js';

const destinations = new Map<string, Destination>([['duckdb', duckdb as unknown as Destination]]);

/** The problems of a configuration with one activation writing to its space's schema. */
function problems(space: string, path: string): string[] {
  try {
    parseConfig(
      {
        spaces: { [space]: { computations: { carts: { type: 'linked_audience' } }, activations: { a: { computation: 'carts', warehouse: 'wh', table: 'carts' } } } },
        warehouses: { wh: { type: 'duckdb', settings: { path } } },
      },
      '/srv/stowage',
      destinations,
    );
    return [];
  } catch (error) {
    return (error as ConfigError).problems;
  }
}

describe('DuckDB settings', () => {
  const settingsProblems = (settings: Record<string, unknown>) => {
    try {
      parseConfig({ spaces: { s: {} }, warehouses: { wh: { type: 'duckdb', settings } } }, '/srv/stowage', destinations);
      return [];
    } catch (error) {
      return (error as ConfigError).problems;
    }
  };

  it('refuses what DuckDB would refuse as it opens, and a missing path, with the configuration', () => {
    expect(settingsProblems({ path: 'wh.duckdb', memoryLimit: 'lots', threads: 0 })).toEqual([
      '/warehouses/wh/settings/memoryLimit: "lots" is not a size such as "512MB" or "2GB" (or "none", in lower case, for no limit)',
      '/warehouses/wh/settings/threads: 0 is not a number of threads; give 1 or more',
    ]);
    expect(settingsProblems({})).toEqual([expect.stringMatching(/^\/warehouses\/wh\/settings: must have required property 'path'/)]);
    // "" is the configuration's folder, which DuckDB cannot open as a file.
    expect(settingsProblems({ path: ' ' })).toEqual(['/warehouses/wh/settings/path: expected the path of a database file (or ":memory:"), not an empty string']);
    // A value the schema refuses does not hide the others: every problem is listed, each once.
    expect(settingsProblems({ path: 'wh.duckdb', memoryLimit: 'lots', threads: 'two' })).toEqual([
      '/warehouses/wh/settings/threads: must be integer',
      '/warehouses/wh/settings/memoryLimit: "lots" is not a size such as "512MB" or "2GB" (or "none", in lower case, for no limit)',
    ]);
    for (const memoryLimit of ['1.5GB', '4G', '512M', '1 gb', '2GiB', '-1', 'none']) expect(settingsProblems({ path: 'wh.duckdb', memoryLimit, threads: 1 }), memoryLimit).toEqual([]);
  });

  it('takes no memoryLimit DuckDB then refuses: every one the configuration takes opens a session', async () => {
    // DuckDB reads `none` in lower case alone: `NONE`, `None` or ` none ` passed the configuration
    // and failed every sync and write with DuckDB's bare "Failed to set config".
    const dir = mkdtempSync(join(tmpdir(), 'stowage-duckdb-memory-'));
    try {
      for (const memoryLimit of ['none', 'NONE', 'None', ' none ', '-1', ' -1 ', '1 GB', '2gib', '512MB ', '1T']) {
        const taken = settingsProblems({ path: 'wh.duckdb', memoryLimit }).length === 0;
        const opened = await DuckDBDriver.open({ path: join(dir, 'w.duckdb'), memoryLimit }).then(
          (driver) => driver.close().then(() => true),
          () => false,
        );
        expect({ memoryLimit, taken }).toEqual({ memoryLimit, taken: opened });
      }
      expect(settingsProblems({ path: 'wh.duckdb', memoryLimit: 'NONE' })).toEqual(['/warehouses/wh/settings/memoryLimit: "NONE" is not a size such as "512MB" or "2GB" (or "none", in lower case, for no limit)']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('DuckDB schema names', () => {
  it("refuses a schema named like a catalog, which makes its tables' names ambiguous, when the configuration is read", () => {
    expect(problems('warehouse', 'data/warehouse.duckdb')).toEqual([
      '/spaces/warehouse/activations/a/warehouse: "warehouse" is also the name of a DuckDB catalog ("warehouse", from the file name warehouse.duckdb), which makes its tables\' names ambiguous; choose another name',
    ]);
    for (const space of ['temp', 'system']) expect(problems(space, 'wh.duckdb'), space).toEqual([expect.stringContaining(`"${space}" is also the name of a DuckDB catalog`)]);
    expect(problems('memory', ':memory:')).toEqual([expect.stringContaining('"memory" is also the name of a DuckDB catalog')]);
    expect(problems('shop', 'warehouse.duckdb')).toEqual([]);
    // DuckDB names the catalog up to the file name's first dot.
    expect(problems('my', 'my.data.duckdb')).toEqual([expect.stringContaining('"my" is also the name of a DuckDB catalog')]);
  });

  it("refuses DuckDB's own schemas of catalog views, where no table can be made", () => {
    for (const space of ['information_schema', 'pg_catalog']) expect(problems(space, 'wh.duckdb'), space).toEqual([expect.stringContaining(`"${space}" is DuckDB's own schema of catalog views`)]);
  });
});

describe('two DuckDB warehouses', () => {
  const config = (a: string, b: string) => () =>
    parseConfig({ spaces: { shop: {} }, warehouses: { a: { type: 'duckdb', settings: { path: a } }, b: { type: 'duckdb', settings: { path: b } } } }, '/srv/stowage', destinations);

  it('may not load one Classic schema of one file, however its path is written', () => {
    expect(config('data/wh.duckdb', './data/../data/wh.duckdb')).toThrow(/warehouse "b" would load schema "engage_shop" of space "shop" in the same duckdb database as warehouse "a" \(\/srv\/stowage\/data\/wh\.duckdb\)/);
    expect(config('data/wh.duckdb', '/srv/stowage/data/wh.duckdb')).toThrow(ConfigError);
    expect(config('a.duckdb', 'b.duckdb')).not.toThrow();
    // Each session of an in-memory warehouse is a database of its own.
    expect(config(':memory:', ':memory:')).not.toThrow();
  });

  it('may not load one Classic schema of one file through a symbolic link to its folder', () => {
    const root = mkdtempSync(join(tmpdir(), 'stowage-location-'));
    try {
      symlinkSync(root, join(root, 'link'));
      const parse = () =>
        parseConfig({ spaces: { shop: {} }, warehouses: { a: { type: 'duckdb', settings: { path: 'wh.duckdb' } }, b: { type: 'duckdb', settings: { path: 'link/wh.duckdb' } } } }, root, destinations);
      expect(parse).toThrow(/warehouse "b" would load schema "engage_shop" of space "shop" in the same duckdb database as warehouse "a"/);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
