import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { Harness, removeHarnessDirs, testPostgres } from '@stowage/testkit';
import { connectPostgres, PgDriver, postgres } from '../src/index.js';

const server = await testPostgres();
afterEach(() => server.afterEach());
afterAll(async () => {
  await server.close();
  removeHarnessDirs();
});

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
    const url = await server.freshDatabase();
    const driver = await connectPostgres({ url, ...(server.copy ? {} : { bulkLoad: 'insert' }) });
    try {
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
    } finally {
      await driver.close();
    }
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
