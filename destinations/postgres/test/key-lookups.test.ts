import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { Harness, removeHarnessDirs, testPostgres } from '@stowage/testkit';
import { TableWriter } from '@stowage/core';
import { capabilities, connectPostgres, dialect, postgres } from '../src/index.js';
import { PgDriver } from '../src/connect.js';

const server = await testPostgres();
afterEach(() => server.afterEach());
afterAll(async () => {
  await server.close();
  removeHarnessDirs();
});

/** A session on a fresh database, closed after `fn`. */
async function withDriver(fn: (driver: PgDriver) => Promise<void>): Promise<void> {
  const driver = await connectPostgres({ url: await server.freshDatabase(), ...(server.copy ? {} : { bulkLoad: 'insert' }) });
  try {
    await fn(driver);
  } finally {
    await driver.close();
  }
}

const columns = [
  { name: 'id', type: 'string' as const },
  { name: 'v', type: 'string' as const },
];

/** The plan of the writer's insert of new keys (Statements.insertNew's shape) from `stage` into k.t. */
async function insertPlan(driver: PgDriver, stage: string): Promise<string> {
  const rows = await driver.query<{ 'QUERY PLAN': string }>(
    `EXPLAIN INSERT INTO "k"."t" ("id", "v") SELECT s."id", s."v" FROM ${stage} s WHERE NOT EXISTS (SELECT 1 FROM "k"."t" t WHERE t."id" = s."id")`,
  );
  return rows.map((r) => r['QUERY PLAN']).join('\n');
}

describe(`PostgreSQL key lookups (${server.label})`, () => {
  it("make a batch's insert of new keys probe the key index, however many keys the stage holds", async () => {
    await withDriver(async (driver) => {
      await driver.execute('CREATE SCHEMA "k"');
      await driver.execute('CREATE TABLE "k"."t" ("id" text, "v" text)');
      await driver.execute(`INSERT INTO "k"."t" SELECT 'm' || g, 'x' FROM generate_series(1, 20000) g`);
      // The index the writer makes (`keyIndexMethod`).
      await driver.execute('CREATE INDEX ON "k"."t" USING hash ("id")');
      await driver.execute('ANALYZE "k"."t"');
      // As many new keys as the table holds: hashing the whole table is what a planner left to
      // itself chooses here, and what costs more every batch as the table grows.
      const file = await driver.writeLoadFile(columns, Array.from({ length: 20000 }, (_, i) => ({ id: `n${i}`, v: 'y' })));
      const plan = await driver.transaction(async () => insertPlan(driver, await driver.stage('_stowage_stage_t', file, { keys: ['id'] })));
      expect(plan).toMatch(/Nested Loop Anti Join/);
      expect(plan).toMatch(/Index (Only )?Scan using \w+ on t/);
      expect(plan).not.toMatch(/Hash/);
      // The settings end with the batch's transaction: the `users` refresh plans freely.
      const after = await driver.query<{ enable_hashjoin: string }>('SHOW enable_hashjoin');
      expect(after).toEqual([{ enable_hashjoin: 'on' }]);
      // Staged outside a transaction, SET LOCAL does nothing; the next transaction's stage sets it again.
      const outside = await driver.writeLoadFile(columns, [{ id: 'o1', v: 'y' }]);
      await driver.dropStage(await driver.stage('_stowage_stage_t', outside, { keys: ['id'] }));
      const again = await driver.writeLoadFile(columns, Array.from({ length: 20000 }, (_, i) => ({ id: `p${i}`, v: 'y' })));
      const second = await driver.transaction(async () => insertPlan(driver, await driver.stage('_stowage_stage_t', again, { keys: ['id'] })));
      expect(second).toMatch(/Nested Loop Anti Join/);
      expect(second).not.toMatch(/Hash/);
    });
  });

  it('leave hash joins on for a table without a key index (one Stowage did not make), which a lookup per key would scan once per key', async () => {
    await withDriver(async (driver) => {
      // A table already there, as another loader made it: no index at all.
      await driver.execute('CREATE SCHEMA "d"');
      await driver.execute('CREATE TABLE "d"."t" ("id" text, "v" text)');
      await driver.execute(`INSERT INTO "d"."t" SELECT 'm' || g, 'x' FROM generate_series(1, 200000) g`);
      await driver.execute('ANALYZE "d"."t"');
      // Not a measure of speed: a guard against what was wrong, a look per key that scans the
      // table per key, which takes 45 s here (its plan cannot be read through the driver).
      await driver.execute("SET statement_timeout = '10s'");
      const writer = new TableWriter(driver, dialect, capabilities);
      const batch = (ids: string[]) => ({ schema: 'd', tables: [{ table: 't', rows: ids.map((id) => ({ id, v: 'y' })), fixedTypes: new Map([['id', 'string' as const]]), key: 'id' }], latest: [] });
      const joins = async () => (await driver.query<{ enable_hashjoin: string }>('SHOW enable_hashjoin'))[0]!.enable_hashjoin;
      // The look for loaded ids, then the straight load.
      expect(await driver.transaction(async () => [await driver.holdsAnyKey!('d', 't', 'id', ['n1', 'n2']), await joins()])).toEqual([false, 'on']);
      expect((await writer.write(batch(Array.from({ length: 5000 }, (_, i) => `n${i}`)))).rows).toEqual({ t: 5000 });
      // A loaded id among new ones: staged, and inserted where new.
      const mixed = await writer.write(batch([...Array.from({ length: 5000 }, (_, i) => `p${i}`), 'm7']));
      expect(mixed).toMatchObject({ rows: { t: 5000 }, duplicates: 1 });
      expect(Number((await driver.query<{ n: string }>('SELECT count(*) AS n FROM "d"."t"'))[0]!.n)).toBe(210_000);
      // With the key index (the writer makes one for each table it creates, the user may make their own), off.
      await driver.execute('CREATE INDEX ON "d"."t" USING hash ("id")');
      expect(await driver.transaction(async () => [await driver.holdsAnyKey!('d', 't', 'id', ['m9']), await joins()])).toEqual([true, 'off']);
    });
  });

  it('look for loaded ids by the key index where there is one, and by one read of the table where there is none', async () => {
    await withDriver(async (driver) => {
      await driver.execute('CREATE SCHEMA "s"');
      for (const table of ['indexed', 'bare']) {
        await driver.execute(`CREATE TABLE "s"."${table}" ("id" text, "v" text)`);
        await driver.execute(`INSERT INTO "s"."${table}" SELECT 'm' || g, 'x' FROM generate_series(1, 50000) g`);
      }
      await driver.execute('CREATE INDEX ON "s"."indexed" USING hash ("id")');
      await driver.execute('ANALYZE "s"."indexed"');
      await driver.execute('ANALYZE "s"."bare"');
      // What the look read, as the server counts it: the plan itself, whatever the query's text.
      // The counts not yet flushed (the load, the index build) show too, so the look's are a difference.
      const reads = async (table: string) =>
        (await driver.query<{ seq: number; idx: number }>(`SELECT seq_scan::int AS seq, coalesce(idx_scan, 0)::int AS idx FROM pg_stat_xact_user_tables WHERE schemaname = 's' AND relname = $1`, [table]))[0]!;
      const keys = Array.from({ length: 2000 }, (_, i) => `n${i}`);
      const looked = (table: string) =>
        driver.transaction(async () => {
          const before = await reads(table);
          const found = await driver.holdsAnyKey!('s', table, 'id', keys);
          const after = await reads(table);
          return { found, seq: after.seq - before.seq, idx: after.idx - before.idx };
        });
      // No key is there: every one is probed in the index, and the table itself is not read.
      expect(await looked('indexed')).toEqual({ found: false, seq: 0, idx: keys.length });
      // Without an index, one pass over the table for all the keys, not a pass per key.
      expect(await looked('bare')).toEqual({ found: false, seq: 1, idx: 0 });
    });
  });
});

describe(`PostgreSQL statistics before the users recompute (${server.label})`, () => {
  it('gives a wide table never analyzed the statistics of its key, so that marked keys are not looked for row by row', async () => {
    await withDriver(async (driver) => {
      // A table of 300 text columns, as identifies is in a space of 300 traits, never analyzed.
      const traits = Array.from({ length: 300 }, (_, i) => `"t${i}"`);
      await driver.execute('CREATE SCHEMA "w"');
      await driver.execute(`CREATE TABLE "w"."identifies" ("user_id" text, ${traits.map((t) => `${t} text`).join(", ")}) WITH (autovacuum_enabled = false)`);
      await driver.execute(`INSERT INTO "w"."identifies" SELECT 'u' || (g % 1000), ${traits.map(() => "'v' || g").join(', ')} FROM generate_series(1, 2000) g`);
      await driver.execute('CREATE TABLE "w"."marks" ("key" text)');
      await driver.execute(`INSERT INTO "w"."marks" SELECT DISTINCT 'u' || (g % 1000) FROM generate_series(1, 2000) g`);
      const plan = async () =>
        (await driver.query<{ 'QUERY PLAN': string }>('EXPLAIN SELECT "user_id" FROM "w"."identifies" WHERE "user_id" IN (SELECT "key" FROM "w"."marks")')).map((r) => r['QUERY PLAN']).join('\n');
      const rows = async () => Number((await driver.query<{ reltuples: number }>("SELECT reltuples FROM pg_class WHERE relname = 'identifies'"))[0]!.reltuples);
      // Never analyzed. PostgreSQL 15 then guesses the rows from the width, one, and plans a nested
      // loop over the marks for each (newer versions may guess otherwise).
      expect(await rows()).toBeLessThanOrEqual(0);
      await driver.ensureStatistics('w', 'identifies', ['user_id']);
      expect(await rows()).toBe(2000);
      expect(await plan()).not.toMatch(/Nested Loop/);
      // Once analyzed, it is left alone.
      await driver.execute(`INSERT INTO "w"."identifies" ("user_id") SELECT 'x' || g FROM generate_series(1, 10) g`);
      await driver.ensureStatistics('w', 'identifies', ['user_id']);
      expect(await rows()).toBe(2000);
    });
  });
});

describe(`PostgreSQL key indexes (${server.label})`, () => {
  it('index every table by its key, with a hash index, but the users marks, which are only ever read a slice at a time', async () => {
    const h = await Harness.create({
      destination: postgres as never,
      module: '@stowage/destination-postgres',
      settings: async () => ({ url: await server.freshDatabase(), ...(server.copy ? {} : { bulkLoad: 'insert' }) }),
      unreachable: () => ({ url: 'postgres://postgres@127.0.0.1:1/none', connectTimeoutSeconds: 2 }),
    });
    const at = '2026-11-23T10:00:00.000Z';
    await h.calls([
      { type: 'identify', messageId: 'i1', userId: 'u1', traits: { plan: 'pro' }, timestamp: at },
      { type: 'track', messageId: 't1', userId: 'u1', event: 'Order Completed', properties: { total: 3 }, timestamp: at },
    ]);
    await h.sync();
    const driver = await connectPostgres(h.settings as never);
    try {
      // The users recompute gave identifies, new and never analyzed, the statistics of its key.
      const [stats] = await driver.query<{ reltuples: number }>("SELECT c.reltuples FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'engage_default' AND c.relname = 'identifies'");
      expect(Number(stats!.reltuples)).toBe(1);
      const indexed = await driver.query<{ tablename: string; indexdef: string }>(
        "SELECT tablename, indexdef FROM pg_indexes WHERE schemaname = 'engage_default' ORDER BY tablename",
      );
      expect(indexed.map((r) => r.tablename)).toEqual(['identifies', 'order_completed', 'tracks', 'users']);
      // Every lookup is an equality on the first key column (in users, id repeats user_id): a hash
      // index's inserts cost about half a btree's at a million random message ids.
      for (const { indexdef } of indexed) expect(indexdef).toMatch(/ USING hash \(id\)$/);
      expect(await driver.query('SELECT count(*)::int AS n FROM "engage_default"."_stowage_dirty"')).toEqual([{ n: 0 }]);
    } finally {
      await driver.close();
      await h.close();
    }
  });
});
