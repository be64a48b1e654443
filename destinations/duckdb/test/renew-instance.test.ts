import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DuckDBDriver } from '../src/driver.js';

const dir = mkdtempSync(join(tmpdir(), 'stowage-renew-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const walBytes = (path: string) => (existsSync(`${path}.wal`) ? statSync(`${path}.wal`).size : 0);

/** A commit of `rows` rows into table t (made by the first). */
async function commit(driver: DuckDBDriver, from: number, rows: number): Promise<void> {
  await driver.transaction(async () => {
    await driver.execute('CREATE TABLE IF NOT EXISTS t (n BIGINT, s VARCHAR)');
    await driver.execute(`INSERT INTO t SELECT range, repeat('x', 100) FROM range(${from}, ${from + rows})`);
  });
}

/** The session's renewals really let go of the file and reopen it, then `then` says what the session gets. */
function afterRenewal(driver: DuckDBDriver, then: (hold: { release: () => void }) => unknown): void {
  const hold = (driver as unknown as { hold: { renew: (letGo: () => void) => Promise<unknown>; release: () => void } }).hold;
  const renew = hold.renew;
  hold.renew = async (letGo) => {
    await renew(letGo);
    return then(hold);
  };
}

const count = async (driver: DuckDBDriver) => (await driver.query<{ n: number }>('SELECT count(*) AS n FROM t'))[0]!.n;

// An instance keeps memory that a checkpoint does not give back, growing with the rows loaded:
// a long sync opens the file afresh once it has written a number of rows (400,000; here every commit).
describe('a DuckDB session that renews its instance as it writes rows', () => {
  it('checkpoints and opens the file again after a commit past the threshold, and loses nothing', async () => {
    const path = join(dir, 'renewed.duckdb');
    const driver = await DuckDBDriver.open({ path }, { renewAfterRows: 1 });
    try {
      await commit(driver, 0, 1000);
      expect(driver.renewals).toBe(1);
      expect(walBytes(path)).toBe(0);
      await commit(driver, 1000, 1000);
      expect(driver.renewals).toBe(2);
      expect(await count(driver)).toBe(2000);
    } finally {
      await driver.close();
    }
    const again = await DuckDBDriver.open({ path });
    try {
      expect(await count(again)).toBe(2000);
      expect(again.renewals).toBe(0);
    } finally {
      await again.close();
    }
  });

  it("renews right after a commit at which DuckDB's own threshold checkpointed, whatever the rows", async () => {
    const path = join(dir, 'auto.duckdb');
    const driver = await DuckDBDriver.open({ path }, { renewAfterRows: 1_000_000_000 });
    try {
      await commit(driver, 0, 1000);
      expect(walBytes(path)).toBeGreaterThan(0);
      expect(driver.renewals).toBe(0);
      // As a write of kilobyte contexts reaches DuckDB's 256MB: its commit checkpoints.
      await driver.execute("SET checkpoint_threshold = '1KB'");
      await commit(driver, 1000, 1000);
      expect(driver.renewals).toBe(1);
      expect(await count(driver)).toBe(2000);
      // The renewed instance has the session's own threshold again.
      const [row] = await driver.query<{ t: string }>("SELECT current_setting('checkpoint_threshold') AS t");
      expect(row!.t).toMatch(/^(256\.0 MiB|244\.1 MiB)$/);
    } finally {
      await driver.close();
    }
  });

  it('does not renew below the threshold', async () => {
    const driver = await DuckDBDriver.open({ path: join(dir, 'small.duckdb') });
    try {
      await commit(driver, 0, 1000);
      expect(driver.renewals).toBe(0);
    } finally {
      await driver.close();
    }
  });

  it('keeps a raised memory limit in the renewed instance', async () => {
    const driver = await DuckDBDriver.open({ path: join(dir, 'wide.duckdb') }, { renewAfterRows: 1 });
    try {
      // A table of 400 columns raises the default limit to 640MB (1.6MB a column).
      await driver.execute(`CREATE TABLE w (${Array.from({ length: 400 }, (_, i) => `c${i} INTEGER`).join(', ')})`);
      await driver.columns('main', 'w');
      await commit(driver, 0, 10);
      expect(driver.renewals).toBe(1);
      const [row] = await driver.query<{ memory: string }>("SELECT current_setting('memory_limit') AS memory");
      expect(row!.memory).toMatch(/^(640\.0 MiB|610\.3 MiB)$/);
    } finally {
      await driver.close();
    }
  });

  it('leaves the instance alone while another session of the process holds it', async () => {
    const path = join(dir, 'shared.duckdb');
    const a = await DuckDBDriver.open({ path }, { renewAfterRows: 1 });
    const b = await DuckDBDriver.open({ path }, { renewAfterRows: 1 });
    try {
      await commit(a, 0, 100);
      await commit(b, 100, 100);
      expect([a.renewals, b.renewals]).toEqual([0, 0]);
      expect([await count(a), await count(b)]).toEqual([200, 200]);
    } finally {
      await a.close();
      await b.close();
    }
    // Nor does it checkpoint at every commit past the threshold, which it cannot act on: DuckDB's
    // own threshold does, as without renewals.
    const d = await DuckDBDriver.open({ path }, { renewAfterRows: 1 });
    const e = await DuckDBDriver.open({ path }, { renewAfterRows: 1 });
    try {
      for (let i = 0; i < 3; i++) await commit(d, 1000 + i * 10, 10);
      expect(walBytes(path)).toBeGreaterThan(0);
    } finally {
      await d.close();
      await e.close();
    }
    // Once alone, it renews.
    const c = await DuckDBDriver.open({ path }, { renewAfterRows: 1 });
    try {
      await commit(c, 200, 100);
      expect(c.renewals).toBe(1);
      expect(await count(c)).toBe(330);
    } finally {
      await c.close();
    }
  });

  it('never renews an in-memory database, which closing would lose', async () => {
    const driver = await DuckDBDriver.open({ path: ':memory:' }, { renewAfterRows: 1 });
    try {
      await commit(driver, 0, 100);
      await driver.checkpoint();
      expect(driver.renewals).toBe(0);
      expect(await count(driver)).toBe(100);
    } finally {
      await driver.close();
    }
  });

  it('ends the session with an error that says why, when another process takes the file meanwhile', async () => {
    const path = join(dir, 'taken.duckdb');
    const driver = await DuckDBDriver.open({ path }, { renewAfterRows: 1 });
    // What shareInstance's renew meets when a process waiting for the file takes it in the moment
    // it is let go, and keeps it past the wait (another process cannot be made to, in a test, in
    // less than those 15 seconds).
    afterRenewal(driver, (hold) => {
      // Hold nothing afterwards, as a failed reopening leaves the session.
      hold.release();
      throw new Error(`the DuckDB file ${path} is held by another process (PID 4242), and was still held after 15 s`);
    });
    await commit(driver, 0, 10);
    await expect(driver.query('SELECT 1')).rejects.toThrow(
      `this session let go of the DuckDB file ${path} for a moment, to give back DuckDB's memory, and could not open it again: the DuckDB file ${path} is held by another process (PID 4242), and was still held after 15 s`,
    );
    await driver.close();
    // What was committed before stays.
    const again = await DuckDBDriver.open({ path });
    try {
      expect(await count(again)).toBe(10);
    } finally {
      await again.close();
    }
  });

  it('lets go of the file when the reopened instance gives no connection: another process can open it', async () => {
    const path = join(dir, 'no-connection.duckdb');
    const driver = await DuckDBDriver.open({ path }, { renewAfterRows: 1 });
    afterRenewal(driver, () => ({ connect: () => Promise.reject(new Error('no connection')) }));
    await commit(driver, 0, 10);
    await expect(driver.query('SELECT 1')).rejects.toThrow(/could not open it again: no connection/);
    await driver.close();
    // Another process: DuckDB lets one process hold a file at a time.
    const opened = spawnSync(process.execPath, ['--input-type=module', '-e', `import { DuckDBInstance } from '@duckdb/node-api'; const i = await DuckDBInstance.create(${JSON.stringify(path)}); const c = await i.connect(); const r = await c.runAndReadAll('SELECT count(*) AS n FROM t'); console.log(String(r.getRows()[0][0])); c.closeSync(); i.closeSync();`], { encoding: 'utf8', cwd: join(import.meta.dirname, '..') });
    expect(opened.stderr).toBe('');
    expect(opened.stdout.trim()).toBe('10');
  });

  it('waits for statements under way, and statements made meanwhile wait for the new instance', async () => {
    const driver = await DuckDBDriver.open({ path: join(dir, 'busy.duckdb') }, { renewAfterRows: 1 });
    try {
      await commit(driver, 0, 10);
      // Reads going on while commits (and their renewals) do, as a sync's next batch reads the
      // catalog while the warehouse applies the one before: none is cut off by a closed connection.
      let done = false;
      let reads = 0;
      const reader = async () => {
        while (!done) {
          await driver.query('SELECT count(*) AS n FROM t');
          await driver.tables('main');
          reads++;
        }
      };
      const readers = [reader(), reader(), reader()];
      for (let i = 1; i <= 20; i++) await commit(driver, i * 10, 10);
      done = true;
      await expect(Promise.all(readers)).resolves.toHaveLength(3);
      expect(reads).toBeGreaterThan(0);
      expect(driver.renewals).toBeGreaterThan(0);
      expect(await count(driver)).toBe(210);
    } finally {
      await driver.close();
    }
  });
  it('never renews inside a transaction: closing its connection would end it, and what follows would commit on its own', async () => {
    const path = join(dir, 'in-transaction.duckdb');
    const driver = await DuckDBDriver.open({ path }, { renewAfterRows: 1 });
    try {
      await commit(driver, 0, 1000);
      expect(driver.renewals).toBe(1);
      // Rows written outside a transaction make a checkpoint worth a renewal.
      await driver.execute(`INSERT INTO t SELECT range, 'y' FROM range(1000, 2000)`);
      await expect(
        driver.transaction(async () => {
          await driver.checkpoint();
          expect(driver.renewals).toBe(1);
          await driver.execute(`INSERT INTO t SELECT range, 'z' FROM range(2000, 3000)`);
          throw new Error('rolled back');
        }),
      ).rejects.toThrow('rolled back');
      expect(await count(driver)).toBe(2000);
    } finally {
      await driver.close();
    }
  });
});
