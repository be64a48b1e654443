import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { TableWriter, type Driver, type WriteBatch } from '@stowage/core';
import { removeHarnessDirs, testPostgres, writeSameKeysAtOnce } from '@stowage/testkit';
import onPostgres from '../src/testing/on-postgres.js';

const server = await testPostgres();
afterEach(() => server.afterEach());
afterAll(async () => {
  await server.close();
  removeHarnessDirs();
});

const { capabilities, dialect } = onPostgres;
const connect = async (url: string) => (await onPostgres.connect({ url, sslmode: 'disable' }, { root: '.' })) as Driver;

/** Rows for `d.t` keyed by `id`, as Storage Actions' rows are: writes other sessions may make too. */
const batch = (keys: readonly string[]): WriteBatch => ({
  schema: 'd',
  tables: [{ table: 't', rows: keys.map((id) => ({ id, received_at: '2026-11-23T10:00:00.000Z' })), fixedTypes: new Map([['id', 'string'], ['received_at', 'timestamp']]), key: 'id', keyArrivesWith: 'received_at' }],
  latest: [],
  shared: true,
});

// Redshift's SNAPSHOT isolation (the default of Serverless, and of clusters made since 2024) lets
// two transactions each miss the other's new rows and insert the same keys, as READ COMMITTED
// does here: the writers take turns by LOCK.
describe(`Redshift's writes of the same keys by two sessions at once (on ${server.label})`, () => {
  // REPEATABLE READ is PostgreSQL's SNAPSHOT: a transaction sees what was committed at its first
  // read, so the turn must be taken before any (a look at the catalog first let both insert).
  for (const [claimed, isolation] of [[false, 'read committed'], [true, 'read committed'], [false, 'repeatable read'], [true, 'repeatable read']] as const) {
    it.skipIf(!server.copy)(`land once: the second waits for the first to commit, then finds its rows (${isolation}; ${claimed ? "the turn taken on the schema's _stowage_states, which readers of the table never wait for" : 'the turn taken on the table, in a schema without _stowage_states'})`, async () => {
      const url = await server.freshDatabase();
      const admin = await connect(url);
      await admin.execute(`ALTER DATABASE "${new URL(url).pathname.slice(1)}" SET default_transaction_isolation = '${isolation}'`);
      await admin.close();
      const first = await connect(url);
      const second = await connect(url);
      const reader = await connect(url);
      try {
        if (claimed) {
          await first.execute('CREATE SCHEMA d');
          await first.execute('CREATE TABLE d._stowage_states (state_id VARCHAR(65535))');
        }
        // A dashboard's query of the table answers meanwhile where the turn is the schema's own table.
        const meanwhile = async () => void (claimed && expect(await reader.query('SELECT count(*) AS n FROM d.t')).toEqual([{ n: 1 }]));
        const [wroteA, wroteB] = await writeSameKeysAtOnce(first, second, (driver, keys) => new TableWriter(driver, dialect, capabilities).write(batch(keys)), meanwhile);
        expect([wroteA.rows, wroteB.rows, wroteB.duplicates]).toEqual([{ t: 100 }, { t: 0 }, 100]);
        expect(await reader.query('SELECT count(*) AS n, count(DISTINCT id) AS ids FROM d.t')).toEqual([{ n: 101, ids: 101 }]);
      } finally {
        await first.close();
        await second.close();
        await reader.close();
      }
    });
  }
});
