import { afterAll, afterEach, describe, expect, it } from 'vitest';
import pg from 'pg';
import { removeHarnessDirs, testPostgres } from '@stowage/testkit';
import { connectPostgres } from '../src/index.js';

const server = await testPostgres();
afterEach(() => server.afterEach());
afterAll(async () => {
  await server.close();
  removeHarnessDirs();
});

describe(`PostgreSQL sessions (${server.label})`, () => {
  // Managed servers often give application roles a statement_timeout, and an idle-in-transaction
  // one. A load's statements (a users refresh, a large COPY) may run longer: killed at the same
  // point on every retry, the sync would never finish.
  it("are not cut short by a role's or a database's statement and idle-in-transaction timeouts", async () => {
    const url = await server.freshDatabase();
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      await admin.query(`DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET statement_timeout = 20', current_database()); EXECUTE format('ALTER DATABASE %I SET idle_in_transaction_session_timeout = 20', current_database()); IF current_setting('server_version_num')::int >= 140000 THEN EXECUTE format('ALTER DATABASE %I SET idle_session_timeout = 20000', current_database()); END IF; END $$`);
      // PGlite serves every connection from one backend, which keeps these for the next one.
      await admin.query('SET statement_timeout = 20');
      await admin.query('SET idle_in_transaction_session_timeout = 20');
      await admin.query("SELECT set_config(name, '20000', false) FROM pg_settings WHERE name = 'idle_session_timeout'");
    } finally {
      await admin.end();
    }
    const driver = await connectPostgres({ url, ...(server.copy ? {} : { bulkLoad: 'insert' }) });
    try {
      expect(await driver.query('SHOW statement_timeout')).toEqual([{ statement_timeout: '0' }]);
      expect(await driver.query('SHOW idle_in_transaction_session_timeout')).toEqual([{ idle_in_transaction_session_timeout: '0' }]);
      // PostgreSQL 14 and later.
      expect(await driver.query("SELECT setting FROM pg_settings WHERE name = 'idle_session_timeout' AND setting <> '0'")).toEqual([]);
      await driver.transaction(async () => {
        await driver.query('SELECT pg_sleep(0.1)');
        await new Promise((resolve) => setTimeout(resolve, 100));
        await driver.execute('CREATE TABLE slow_but_whole (id text)');
      });
      expect(await driver.query("SELECT count(*)::int AS n FROM information_schema.tables WHERE table_name = 'slow_but_whole'")).toEqual([{ n: 1 }]);
    } finally {
      await driver.close();
    }
  });
});
