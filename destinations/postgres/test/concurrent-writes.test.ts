import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { ActionWriter, TableWriter, type Driver, type WriteBatch } from '@stowage/core';
import { overriding, removeHarnessDirs, testPostgres, writeSameKeysAtOnce } from '@stowage/testkit';
import { capabilities, connectPostgres, dialect } from '../src/index.js';

const server = await testPostgres();
afterEach(() => server.afterEach());
afterAll(async () => {
  await server.close();
  removeHarnessDirs();
});

const connect = (url: string) => connectPostgres({ url, ...(server.copy ? {} : { bulkLoad: 'insert' }) });

/** Rows for `d.t` keyed by `id`, arriving with `received_at` (as Storage Actions' rows do). */
const batch = (keys: readonly string[], receivedAt = '2026-11-23T10:00:00.000Z'): WriteBatch => ({
  schema: 'd',
  tables: [{ table: 't', rows: keys.map((id) => ({ id, received_at: receivedAt })), fixedTypes: new Map([['id', 'string'], ['received_at', 'timestamp']]), key: 'id', keyArrivesWith: 'received_at' }],
  latest: [],
  shared: true,
});

const count = async (driver: Driver) => (await driver.query<{ n: number; ids: number }>('SELECT count(*)::int AS n, count(DISTINCT id)::int AS ids FROM "d"."t"'))[0];

describe(`PostgreSQL writes of the same keys (${server.label})`, () => {
  // READ COMMITTED: each transaction's look missed the other's uncommitted rows, and both
  // inserted them (a run sent again while `stowage serve` wrote the same events from the queue).
  it.skipIf(!server.copy)(`by two sessions at once land once: the second waits for the first to commit, then finds its rows${server.copy ? '' : ' (not here: PGlite serves every connection from one session)'}`, async () => {
    const url = await server.freshDatabase();
    const first = await connect(url);
    const second = await connect(url);
    try {
      const [wroteA, wroteB] = await writeSameKeysAtOnce(first, second, (driver, keys) => new TableWriter(driver, dialect, capabilities).write(batch(keys)));
      expect([wroteA.rows, wroteB.rows, wroteB.duplicates]).toEqual([{ t: 100 }, { t: 0 }, 100]);
      expect(await count(first)).toEqual({ n: 101, ids: 101 });
    } finally {
      await first.close();
      await second.close();
    }
  });

  // Its turn taken after the statements that make Stowage's own tables, a writer held the locks
  // of a CREATE INDEX IF NOT EXISTS while it waited for the turn, which the other, holding the
  // turn, then waited on to make the same table: PostgreSQL found a deadlock and failed one.
  it.skipIf(!server.copy)(`by two sessions at once, each making the quarantine as it goes, land once, neither failed as a deadlock${server.copy ? '' : ' (not here: PGlite serves every connection from one session)'}`, async () => {
    const url = await server.freshDatabase();
    const first = await connect(url);
    const second = await connect(url);
    try {
      await new TableWriter(first, dialect, capabilities).write(batch(['x']));
      const quarantining = (keys: readonly string[]): WriteBatch => ({ ...batch(keys), rejects: [{ messageId: keys[0]!, table: 't', column: 'v', value: 'a value', reason: 'refused' }] });
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      let reached!: () => void;
      const holding = new Promise<void>((resolve) => (reached = resolve));
      // The first holds its turn, and waits before its next statement (the quarantine's table made).
      const pausing = overriding(first, {
        serializeWrites: async (schema, tables, exists) => {
          await first.serializeWrites!(schema, tables, exists);
          reached();
          await held;
        },
      });
      const keys = Array.from({ length: 50 }, (_, i) => `k${i}`);
      const a = new TableWriter(pausing, dialect, capabilities).write(quarantining(keys));
      await holding;
      const b = new TableWriter(second, dialect, capabilities).write(quarantining(keys));
      await new Promise((resolve) => setTimeout(resolve, 500));
      release();
      const [wroteA, wroteB] = await Promise.all([a, b]);
      expect([wroteA.rows, wroteB.rows]).toEqual([{ t: 50 }, { t: 0 }]);
      expect(await count(first)).toEqual({ n: 51, ids: 51 });
      expect(await first.query('SELECT count(*)::int AS n FROM "d"."_stowage_rejects"')).toEqual([{ n: 1 }]);
    } finally {
      await first.close();
      await second.close();
    }
  });

  // A Classic schema has one writer, its sync: its batches take no turn (a statement per batch for nothing).
  it('of a batch no other session writes take no turn', async () => {
    const driver = await connect(await server.freshDatabase());
    let turns = 0;
    const counting = overriding(driver, { serializeWrites: (schema, tables, exists) => (turns++, driver.serializeWrites!(schema, tables, exists)) });
    try {
      const writer = new TableWriter(counting, dialect, capabilities);
      await writer.write({ ...batch(['a']), shared: undefined });
      expect(turns).toBe(0);
      await writer.write(batch(['b']));
      expect(turns).toBe(1);
    } finally {
      await driver.close();
    }
  });

  // A window of `received_at` beside the key index made the planner read the run's rows for each
  // staged row: a run sent again after a kill took minutes, growing with the square of its size.
  it('are looked up by the key index alone, whatever column the keys arrive with', async () => {
    const url = await server.freshDatabase();
    const statements: string[] = [];
    const driver = await connect(url);
    const recording = overriding(driver, { execute: (sql, params) => (statements.push(sql), driver.execute(sql, params)) });
    try {
      const writer = new TableWriter(recording, dialect, capabilities);
      await writer.write(batch(['a', 'b']));
      const again = await writer.write(batch(['b', 'c']));
      expect([again.rows, again.duplicates]).toEqual([{ t: 1 }, 1]);
      const look = statements.filter((sql) => sql.startsWith('INSERT INTO "d"."t"') && sql.includes('NOT EXISTS'));
      expect(look).toHaveLength(1);
      expect(look[0]!.slice(look[0]!.indexOf('WHERE'))).toBe('WHERE NOT EXISTS (SELECT 1 FROM "d"."t" t WHERE t."id" = s."id")');
      expect(await count(driver)).toEqual({ n: 3, ids: 3 });
    } finally {
      await driver.close();
    }
  });

  // A profile state restored from a backup older than the tables calls a run it handed on
  // already its first attempt: trusted, every row of it went in a second time.
  it("look for a run's first attempt's ids all the same, and land each once", async () => {
    const url = await server.freshDatabase();
    const payload = (id: string) => ({ event: 'carts', properties: { user_id: id }, messageId: `m_${id}`, receivedAt: '2026-11-23T10:00:00.000Z', schema: 'default' });
    for (const ids of [['a', 'b'], ['a', 'b', 'c']]) {
      const driver = await connect(url);
      try {
        const writer = new ActionWriter(driver, dialect, capabilities);
        await writer.apply(await writer.prepare(ids.map(payload), { alsoAt: [], unseen: true }));
      } finally {
        await driver.close();
      }
    }
    const driver = await connect(url);
    try {
      expect(await driver.query('SELECT user_id FROM "default"."carts" ORDER BY user_id')).toEqual([{ user_id: 'a' }, { user_id: 'b' }, { user_id: 'c' }]);
    } finally {
      await driver.close();
    }
  });
});
