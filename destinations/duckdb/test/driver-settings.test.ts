import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { engineThreads } from '@stowage/core';
import { DuckDBDriver, heldElsewhere } from '../src/driver.js';

describe('a DuckDB session\'s settings', () => {
  const dir = mkdtempSync(join(tmpdir(), 'stowage-duckdb-settings-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function settingsOf(settings: { memoryLimit?: string; threads?: number }) {
    const driver = await DuckDBDriver.open({ path: join(dir, `${Math.random().toString(36).slice(2)}.duckdb`), ...settings });
    try {
      const [row] = await driver.query<{ threads: number; memory: string }>("SELECT current_setting('threads') AS threads, current_setting('memory_limit') AS memory");
      return row!;
    } finally {
      await driver.close();
    }
  }

  it('leaves a core to the client by default (one thread per core but one, at least one) and bounds memory at 512MB', async () => {
    const defaults = await settingsOf({});
    expect(Number(defaults.threads)).toBe(engineThreads());
    expect(defaults.memory).toMatch(/^(512\.0 MiB|488\.2 MiB)$/);
  });

  it('sizes a users refresh slice to the memory limit and the columns, unbounded with no limit', async () => {
    const slice = async (memoryLimit: string | undefined, columns: number) => {
      const driver = await DuckDBDriver.open({ path: join(dir, `${Math.random().toString(36).slice(2)}.duckdb`), ...(memoryLimit ? { memoryLimit } : {}) });
      try {
        return driver.latestSliceKeys(columns);
      } finally {
        await driver.close();
      }
    };
    // A quarter of the limit (128MB of the default 512MB) for a narrow table: the aggregate's
    // memory comes on top of what the sync holds.
    expect(await slice(undefined, 20)).toBe(67_108);
    expect(await slice(undefined, 300)).toBe(4473);
    expect(await slice('2GB', 300)).toBeGreaterThan(await slice(undefined, 300));
    expect(await slice('128MB', 300)).toBe(1000);
    expect(await slice('none', 300)).toBe(Number.POSITIVE_INFINITY);
  });

  it('takes the threads and memory limit the settings give', async () => {
    const given = await settingsOf({ threads: 3, memoryLimit: '256MB' });
    expect(Number(given.threads)).toBe(3);
    expect(given.memory).toMatch(/^(256\.0 MiB|244\.1 MiB)$/);
  });
});

describe('a DuckDB file left empty (a command out of disk as it made it)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'stowage-duckdb-empty-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is made again, where DuckDB refused it on every open; a file holding anything is left as it is', async () => {
    const empty = join(dir, 'empty.duckdb');
    writeFileSync(empty, '');
    const driver = await DuckDBDriver.open({ path: empty });
    expect(await driver.query<{ one: number }>('SELECT 1 AS one')).toEqual([{ one: 1 }]);
    await driver.close();
    const other = join(dir, 'other.duckdb');
    writeFileSync(other, 'not a database');
    await expect(DuckDBDriver.open({ path: other })).rejects.toThrow(/not a valid DuckDB database file/);
    expect(readFileSync(other, 'utf8')).toBe('not a database');
  });

  it('removes the spill files a sync killed past its memory limit left beside the file, as it opens it', async () => {
    const path = join(dir, 'spilled.duckdb');
    let driver = await DuckDBDriver.open({ path });
    await driver.close();
    // What DuckDB leaves in warehouse.duckdb.tmp/ when its process is killed while a sync spills:
    // it removes them only when it closes.
    const spills = `${path}.tmp`;
    mkdirSync(spills);
    for (const name of ['duckdb_temp_storage_DEFAULT-0.tmp', 'duckdb_temp_storage_S32K-0.tmp']) writeFileSync(join(spills, name), Buffer.alloc(64 * 1024));
    driver = await DuckDBDriver.open({ path });
    expect(existsSync(spills)).toBe(false);
    await driver.close();
    // A file of anyone else's there is left alone, and so is the folder holding it.
    mkdirSync(spills);
    writeFileSync(join(spills, 'duckdb_temp_storage_DEFAULT-0.tmp'), 'spilled');
    writeFileSync(join(spills, 'notes.txt'), 'mine');
    driver = await DuckDBDriver.open({ path });
    await driver.close();
    expect(readdirSync(spills)).toEqual(['notes.txt']);
  });

  it('refuses a data file DuckDB would open as a database in memory, and a SQLite file, leaving them as they are', async () => {
    for (const [name, content] of [['stowage.config.json', '{"spaces":{}}\n'], ['members.csv', 'a,b\n1,2\n'], ['members.parquet', 'PAR1']] as const) {
      const path = join(dir, name);
      writeFileSync(path, content);
      await expect(DuckDBDriver.open({ path }), name).rejects.toThrow(`${path} is not a DuckDB database: DuckDB opens an existing file named like a data file`);
      expect(readFileSync(path, 'utf8')).toBe(content);
    }
    // A new file of any name is a database file of its own.
    const fresh = join(dir, 'new.csv');
    const driver = await DuckDBDriver.open({ path: fresh });
    await driver.execute('CREATE TABLE t AS SELECT 1 AS one');
    await driver.close();
    const again = await DuckDBDriver.open({ path: fresh });
    expect(await again.query<{ one: number }>('SELECT one FROM t')).toEqual([{ one: 1 }]);
    await again.close();
    // SQLite's header: DuckDB would attach it through an extension it fetches.
    const sqlite = join(dir, 'app.sqlite');
    const header = Buffer.concat([Buffer.from('SQLite format 3\0'), Buffer.alloc(84)]);
    writeFileSync(sqlite, header);
    await expect(DuckDBDriver.open({ path: sqlite })).rejects.toThrow(`${sqlite} is not a DuckDB database: DuckDB reads it as a file of its sqlite extension, which Stowage does not load`);
    expect(readFileSync(sqlite).equals(header)).toBe(true);
  });

  it('refuses a path in a folder that does not exist, saying to make it (DuckDB makes the file, not its folder)', async () => {
    const missing = join(dir, 'no', 'such', 'w.duckdb');
    await expect(DuckDBDriver.open({ path: missing })).rejects.toThrow(`${missing} cannot be made: its folder ${join(dir, 'no', 'such')} does not exist. Create the folder, or give the warehouse's \`path\` a file in one that does`);
  });
});

describe('a DuckDB file another process holds', () => {
  it('is named with the process, how long it waited, and what to do, past the wait', () => {
    const duckdb = 'IO Error: Could not set lock on file "/srv/w.duckdb": Conflicting lock is held in /usr/bin/node (PID 4242) by user me. See also https://duckdb.org/docs/stable/connect/concurrency\nmore';
    const message = heldElsewhere('/srv/w.duckdb', duckdb);
    expect(message).toMatch(/^the DuckDB file \/srv\/w\.duckdb is held by another process \(PID 4242\), and was still held after 15 s: DuckDB lets one process write a file at a time\. Let that process finish/);
    expect(message).toContain('(DuckDB: IO Error: Could not set lock on file');
    expect(message).not.toContain('\nmore');
    // Past other holders first: the wait in all is said too.
    expect(heldElsewhere('/srv/w.duckdb', duckdb, { heldMs: 15_100, waitedMs: 41_000 })).toMatch(/still held after 15 s \(after 41 s of waiting in all, for the processes ahead of this one\): DuckDB lets/);
    // Given up after the longest wait in all, the file passing from one process to the next.
    expect(heldElsewhere('/srv/w.duckdb', duckdb, { heldMs: 2_000, waitedMs: 300_100 })).toMatch(/held by another process \(PID 4242\), and processes took it in turn for 300 s, the longest a session waits for it: DuckDB lets/);
  });
});
