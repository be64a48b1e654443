import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { acceptCall, ActionWriter, ClassicBatcher, keyHash, LoadedKeys, loadedKeysDir, TableWriter, type Destination, type Driver, type SyncProgress, type SyncRecord, type WarehouseConfig } from '@stowage/core';
import { firstSyncWithARepeat, Harness, identify, removeHarnessDirs, track } from '@stowage/testkit';
import { capabilities, dialect, duckdb } from '../src/index.js';
import { DuckDBDriver } from '../src/driver.js';
import { duckdbUnderTest } from './support/under-test.js';

const dir = mkdtempSync(join(tmpdir(), 'stowage-key-look-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  removeHarnessDirs();
});

/** DuckDB, with every statement the engine's sessions run recorded, and the look made to fail when `failLook` is set. */
function recordedDuckDB(statements: string[], failLook = false): Destination {
  const watch = (driver: Driver): Driver =>
    new Proxy(driver, {
      get(target, name, receiver) {
        const value = Reflect.get(target, name, receiver) as unknown;
        if (name !== 'execute' && name !== 'query') return typeof value === 'function' ? value.bind(target) : value;
        return (sql: string, params?: unknown[]) => {
          statements.push(sql);
          if (failLook && sql.startsWith('SELECT DISTINCT t.')) return Promise.reject(new Error('the look broke'));
          return (value as (sql: string, params?: unknown[]) => Promise<unknown>).call(target, sql, params);
        };
      },
    });
  return { ...(duckdb as unknown as Destination), connect: async (settings, context) => watch(await duckdb.connect(settings as never, context)) };
}

const dut = duckdbUnderTest;

const at = (minute: number) => `2026-11-23T10:${String(minute).padStart(2, '0')}:00.000Z`;

/** A first sync, then eight calls in four batches: some already loaded, some repeated within the sync. */
async function twoSyncs(h: Harness, statements: string[], progress: SyncProgress[] = []) {
  await h.calls([identify('u1', { plan: 'pro' }, { messageId: 'x1', timestamp: at(1) }), track('u1', 'Signed Up', { n: 1 }, { messageId: 'x2', timestamp: at(2) })]);
  await h.sync();
  statements.length = 0;
  await h.calls([
    identify('u1', { plan: 'free' }, { messageId: 'x1', timestamp: at(3) }),
    track('u2', 'Signed Up', { n: 2 }, { messageId: 'x2', timestamp: at(4) }),
    identify('u2', { plan: 'team' }, { messageId: 'n1', timestamp: at(5) }),
    track('u2', 'Signed Up', { n: 3 }, { messageId: 't1', timestamp: at(5) }),
    identify('u2', { plan: 'lost' }, { messageId: 'n1', timestamp: at(6) }),
    identify('u3', { plan: 'solo' }, { messageId: 'n2', timestamp: at(7) }),
    track('u2', 'Signed Up', { n: 4 }, { messageId: 't1', timestamp: at(8) }),
    identify('u4', { plan: 'duo' }, { messageId: 'n3', timestamp: at(8) }),
  ]);
  return h.stowage.sync('wh', { onProgress: (p) => progress.push(p) });
}

/** What the second sync of `twoSyncs` lands, however it looked for its ids: the first copy of each id, per table. */
async function expectTheSameRows(h: Harness, record: SyncRecord) {
  expect(record).toMatchObject({ status: 'Success', calls: 8, duplicates: 6, rows: { identifies: 3, tracks: 1, signed_up: 1 } });
  expect(await h.rows('identifies', ['id', 'plan'], ['id'])).toEqual([
    { id: 'n1', plan: 'team' },
    { id: 'n2', plan: 'solo' },
    { id: 'n3', plan: 'duo' },
    { id: 'x1', plan: 'pro' },
  ]);
  expect(await h.rows('signed_up', ['id', 'n'], ['id'])).toEqual([{ id: 't1', n: 3 }, { id: 'x2', n: 1 }]);
}

describe("A Classic sync's look for its message ids, where tables have no key index", () => {
  it('reads each table once for the whole sync, and no batch reads a table for its ids', async () => {
    const statements: string[] = [];
    const h = await Harness.create(dut(recordedDuckDB(statements)), { batchSize: 2, keyWindow: 1000 });
    const record = await twoSyncs(h, statements);
    await expectTheSameRows(h, record);
    // One look, reading each table that existed once (identifies, tracks, signed_up; not users, nor Stowage's own).
    const looks = statements.filter((s) => s.startsWith('SELECT DISTINCT t.'));
    expect(looks).toHaveLength(1);
    expect([...looks[0]!.matchAll(/FROM "engage_default"\."(\w+)"/g)].map((m) => m[1]).sort()).toEqual(['identifies', 'signed_up', 'tracks']);
    // Four batches, and none of their inserts looks at the table.
    expect(statements.filter((s) => s.startsWith('INSERT INTO "engage_default"."_stowage_loads"'))).toHaveLength(4);
    expect(statements.filter((s) => s.includes('NOT EXISTS'))).toEqual([]);
    await h.close();
  });

  it('looks window by window through a long log, asking the warehouse only about the ids its index may hold', async () => {
    const statements: string[] = [];
    // Windows of three calls. Each holds an id loaded before (x1, x2 by the first sync; n1 and t1
    // by this sync's first window), or one that comes twice in it: each is looked up in the tables.
    const h = await Harness.create(dut(recordedDuckDB(statements)), { batchSize: 2, keyWindow: 3 });
    const progress: SyncProgress[] = [];
    const record = await twoSyncs(h, statements, progress);
    // The progress says when a look starts: before the first batch, and after each window.
    expect(progress.map((p) => (p.lookingUp ? `look ${p.calls}` : `batch ${p.calls}`)).slice(0, 5)).toEqual(['look 0', 'batch 2', 'batch 3', 'look 3', 'batch 5']);
    await expectTheSameRows(h, record);
    expect(statements.filter((s) => s.startsWith('SELECT DISTINCT t.'))).toHaveLength(3);
    expect(statements.filter((s) => s.startsWith('INSERT INTO "engage_default"."_stowage_loads"'))).toHaveLength(5);
    expect(statements.filter((s) => s.includes('NOT EXISTS'))).toEqual([]);
    await h.close();
  });

  it('reads no table for the ids of a sync whose calls are all new: its index says so', async () => {
    const statements: string[] = [];
    const h = await Harness.create(dut(recordedDuckDB(statements)), { batchSize: 2 });
    await h.calls([identify('u1', { plan: 'pro' }, { messageId: 'a1', timestamp: at(1) }), track('u1', 'Signed Up', { n: 1 }, { messageId: 'a2', timestamp: at(2) })]);
    await h.sync();
    statements.length = 0;
    await h.calls([identify('u2', { plan: 'team' }, { messageId: 'b1', timestamp: at(3) }), track('u2', 'Signed Up', { n: 2 }, { messageId: 'b2', timestamp: at(4) }), identify('u3', { plan: 'solo' }, { messageId: 'b3', timestamp: at(5) })]);
    expect(await h.sync()).toMatchObject({ status: 'Success', calls: 3, duplicates: 0, rows: { identifies: 2, tracks: 1, signed_up: 1 } });
    // No look, no batch looking for itself, no count of the tables' rows: only the catalog was read.
    expect(statements.filter((s) => s.startsWith('SELECT DISTINCT t.') || s.includes('EXISTS') || s.startsWith('SELECT sum('))).toEqual([]);
    expect(await h.rows('identifies', ['id'])).toEqual([{ id: 'a1' }, { id: 'b1' }, { id: 'b3' }]);
    await h.close();
  });

  it('makes no look in a first sync into empty tables: a batch looks for its own ids only where an earlier batch had one of them', async () => {
    const statements: string[] = [];
    const h = await Harness.create(dut(recordedDuckDB(statements)), { batchSize: 2 });
    const progress: SyncProgress[] = [];
    const expected = firstSyncWithARepeat();
    await h.calls(expected.calls);
    expect(await h.stowage.sync('wh', { onProgress: (p) => progress.push(p) })).toMatchObject(expected.record);
    expect(progress.filter((p) => p.lookingUp)).toEqual([]);
    // Three batches; only the second, which holds a1 again, looks: for a1 alone, once the first
    // committed and before it is planned, so that no insert looks.
    const loads = statements.flatMap((s, i) => (s.startsWith('INSERT INTO "engage_default"."_stowage_loads"') ? [i] : []));
    expect(loads).toHaveLength(3);
    const looked = statements.flatMap((s, i) => (s.startsWith('SELECT DISTINCT t.') ? [loads.findIndex((end) => i < end)] : []));
    expect(looked).toEqual([1]);
    expect(statements.filter((s) => s.includes('WHERE NOT EXISTS'))).toEqual([]);
    expect(await h.rows('identifies', ['id', 'plan'], ['id'])).toEqual(expected.identifies);
    // The index took the batches' ids from the log after them, before the log was pruned.
    const kept = LoadedKeys.open(loadedKeysDir(h.stowage.config.stateDir, 'wh', 'default'))!;
    expect(kept.find(BigUint64Array.from(expected.ids.map(keyHash)).sort()).size).toBe(5);
    expect(kept.coveredUntil).toEqual(h.stowage.log('wh', 'default').end());
    await h.close();
  });

  it('tells of a failed look for the ids a first sync\'s batch repeats, and loads each call once all the same (its insert looks)', async () => {
    const statements: string[] = [];
    const h = await Harness.create(dut(recordedDuckDB(statements, true)), { batchSize: 2 });
    const expected = firstSyncWithARepeat();
    await h.calls(expected.calls);
    const record = await h.stowage.sync('wh');
    expect(record).toMatchObject(expected.record);
    expect(record.notices).toContainEqual(expect.stringMatching(/^the look for ids a batch repeats from an earlier one failed \(the look broke\); the batch looked for them as it inserted/));
    expect(statements.some((s) => s.includes('WHERE NOT EXISTS'))).toBe(true);
    expect(await h.rows('identifies', ['id', 'plan'], ['id'])).toEqual(expected.identifies);
    await h.close();
  });

  it('ends the first window of a sync into empty tables after a bound, and looks the rest up through the index it made', async () => {
    const statements: string[] = [];
    const h = await Harness.create(dut(recordedDuckDB(statements)), { batchSize: 2, keyWindow: 3 });
    const progress: SyncProgress[] = [];
    await h.calls([
      identify('u1', { plan: 'pro' }, { messageId: 'a1', timestamp: at(1) }),
      identify('u2', { plan: 'team' }, { messageId: 'a2', timestamp: at(2) }),
      identify('u3', { plan: 'solo' }, { messageId: 'a3', timestamp: at(3) }),
      identify('u4', { plan: 'duo' }, { messageId: 'a4', timestamp: at(4) }),
      // In the second window: its look through the index finds a1, and asks the tables about it.
      identify('u1', { plan: 'free' }, { messageId: 'a1', timestamp: at(5) }),
      identify('u5', { plan: 'trio' }, { messageId: 'a5', timestamp: at(6) }),
    ]);
    const record = await h.stowage.sync('wh', { onProgress: (p) => progress.push(p) });
    expect(record).toMatchObject({ status: 'Success', calls: 6, duplicates: 1, rows: { identifies: 5 } });
    // Two batches (four calls, past the bound of three), then a look for the rest.
    expect(progress.map((p) => (p.lookingUp ? 'look' : `batch ${p.calls}`)).slice(0, 4)).toEqual(['batch 2', 'batch 4', 'look', 'batch 6']);
    expect(statements.filter((s) => s.startsWith('SELECT DISTINCT t.'))).toHaveLength(1);
    expect(statements.filter((s) => s.includes('WHERE NOT EXISTS'))).toEqual([]);
    expect(await h.rows('identifies', ['id', 'plan'], ['id'])).toEqual([
      { id: 'a1', plan: 'pro' },
      { id: 'a2', plan: 'team' },
      { id: 'a3', plan: 'solo' },
      { id: 'a4', plan: 'duo' },
      { id: 'a5', plan: 'trio' },
    ]);
    await h.close();
  });

  it('lands the same rows when the look fails, each batch then looking for itself, and says so', async () => {
    const statements: string[] = [];
    const h = await Harness.create(dut(recordedDuckDB(statements, true)), { batchSize: 2, keyWindow: 1000 });
    const record = await twoSyncs(h, statements);
    await expectTheSameRows(h, record);
    expect(record.notices.join('\n')).toMatch(/the look for the calls' message ids in engage_default's tables failed \(.*the look broke\); each batch looked for its own/);
    expect(statements.filter((s) => s.includes('NOT EXISTS')).length).toBeGreaterThan(0);
    await h.close();
  });
});

describe('the index of loaded message ids, where a table holds its ids as other than text', () => {
  it('is not kept (a kept one is dropped), and each batch looks for its own ids in its table', async () => {
    const statements: string[] = [];
    const h = await Harness.create(dut(recordedDuckDB(statements)), { batchSize: 2 });
    await h.calls([identify('u1', { plan: 'pro' }, { messageId: 'a1', timestamp: at(1) })]);
    await h.sync();
    const index = loadedKeysDir(h.stowage.config.stateDir, 'wh', 'default');
    expect(existsSync(index)).toBe(true);
    // A table of the user's, keyed on integers: its ids, compared as text, could miss one it holds.
    await h.execute('CREATE TABLE "engage_default"."numbered" (id BIGINT, received_at TIMESTAMP)');
    await h.execute('INSERT INTO "engage_default"."numbered" VALUES (7, TIMESTAMP \'2026-11-23 10:00:00\')');
    statements.length = 0;
    await h.calls([track('u1', 'Numbered', { n: 1 }, { messageId: '7', timestamp: at(2) }), track('u1', 'Numbered', { n: 2 }, { messageId: '8', timestamp: at(3) }), identify('u1', { plan: 'free' }, { messageId: 'a1', timestamp: at(4) })]);
    expect(await h.sync()).toMatchObject({ status: 'Success', calls: 3, duplicates: 2, rows: { numbered: 1, tracks: 2 } });
    expect(existsSync(index)).toBe(false);
    expect(statements.filter((s) => s.includes('NOT EXISTS')).length).toBeGreaterThan(0);
    expect(await h.rows('numbered', ['id'])).toEqual([{ id: 7 }, { id: 8 }]);
    await h.close();
  });
});

describe('TableWriter.lookUpKeys', () => {
  const warehouse: WarehouseConfig = { name: 'wh', type: 'duckdb', settings: {}, spaces: ['default'], schedule: '0 * * * *', schemaPrefix: 'engage_', disabled: { tables: [], columns: {} } };
  const calls = (ids: string[]) =>
    ids.map((id) => {
      const accepted = acceptCall({ type: 'identify', messageId: id, userId: 'u1', traits: { plan: id } }, '2026-11-23T11:00:00.000Z');
      if (!accepted.ok) throw new Error(accepted.error);
      return accepted.call;
    });
  async function* lots(...ids: string[][]) {
    yield* ids;
  }

  it('looks only past one batch of keys, and gives up past maxFound keys found', async () => {
    const driver = await DuckDBDriver.open({ path: join(dir, 'look.duckdb') });
    try {
      const writer = new TableWriter(driver, dialect, capabilities);
      const batcher = new ClassicBatcher(dialect.identifiers, warehouse);
      await writer.write(await batcher.batch('engage_default', calls(['a', 'b', 'c']), { stream: 's', end: { segment: 0, offset: 1 }, syncId: 'sync' }));
      const skip = new Set(['users']);
      expect(await writer.holdsKeyedRows('engage_default', 'id', skip)).toBe(true);
      expect(await writer.holdsKeyedRows('engage_none', 'id', skip)).toBe(false);
      await driver.execute('CREATE SCHEMA "engage_empty"');
      await driver.execute('CREATE TABLE "engage_empty"."identifies" ("id" VARCHAR)');
      await driver.execute('CREATE TABLE "engage_empty"."tracks" ("id" VARCHAR)');
      expect(await writer.holdsKeyedRows('engage_empty', 'id', skip)).toBe(false);
      await driver.execute(`INSERT INTO "engage_empty"."tracks" VALUES ('t1')`);
      writer.forgetCatalog();
      expect(await writer.holdsKeyedRows('engage_empty', 'id', skip)).toBe(true);
      // No more keys than one batch: no look (the batch's own costs the same).
      expect(await writer.lookUpKeys('engage_default', 'id', lots(['a', 'x'], ['y']), { minKeys: 3, skip })).toBeUndefined();
      // Three keys held, one repeated: over a maxFound of two, the look gives up.
      expect(await writer.lookUpKeys('engage_default', 'id', lots(['a', 'b', 'c'], ['d', 'd']), { minKeys: 1, skip, maxFound: 2 })).toBeUndefined();
      const keys = await writer.lookUpKeys('engage_default', 'id', lots(['a', 'b', 'c'], ['d', 'd']), { minKeys: 1, skip });
      expect(keys).toBeDefined();
      expect(['a', 'b', 'c', 'd', 'd'].map((id) => keys!.admit('identifies', id))).toEqual([false, false, false, true, false]);
      // Another table holds none of them: each key is new to it, a repeated one once.
      expect(['a', 'd', 'd'].map((id) => keys!.admit('tracks', id))).toEqual([true, true, false]);
    } finally {
      await driver.close();
    }
  });
});

describe("A Storage Actions run's look for its message ids", () => {
  const computations = { carts: { type: 'linked_audience' } };
  const inserts = (statements: string[]) => statements.filter((s) => s.startsWith('INSERT INTO "default"."carts"'));

  it("makes none for a run's first attempt: no table can hold its ids yet", async () => {
    const statements: string[] = [];
    const h = await Harness.create(dut(recordedDuckDB(statements)), { computations, activations: { a: { computation: 'carts', table: 'carts' } } });
    await h.run({ computation: 'carts', id: 'r1', completedAt: at(0) }, [{ userId: 'u1', entityContext: { cart_id: 'c1' } }, { userId: 'u2', entityContext: { cart_id: 'c2' } }]);
    await h.run({ computation: 'carts', id: 'r2', completedAt: at(1) }, [{ userId: 'u2', entityContext: { cart_id: 'c2' } }, { userId: 'u3', entityContext: { cart_id: 'c3' } }]);
    expect(inserts(statements)).toHaveLength(2);
    expect(inserts(statements).filter((s) => s.includes('NOT EXISTS'))).toEqual([]);
    expect(await h.rows('carts', ['user_id', 'event_name'], ['user_id', 'event_name'], 'wh', 'default')).toEqual([
      { user_id: 'u1', event_name: 'Audience Entered' },
      { user_id: 'u1', event_name: 'Audience Exited' },
      { user_id: 'u2', event_name: 'Audience Entered' },
      { user_id: 'u3', event_name: 'Audience Entered' },
    ]);
    await h.close();
  });

  it('looks in the table for a batch whose id an earlier batch of the session wrote, and lands it once', async () => {
    const statements: string[] = [];
    const path = join(dir, 'unseen.duckdb');
    const driver = await recordedDuckDB(statements).connect({ path }, { root: dir } as never);
    const writer = new ActionWriter(driver, dialect, capabilities);
    const payload = (id: string) => ({ event: 'carts', properties: { user_id: id }, messageId: `m_${id}`, receivedAt: at(0), schema: 'default' });
    const first = await writer.apply(await writer.prepare([payload('a'), payload('b')], { alsoAt: [], unseen: true }));
    // `b` again, as a split write sends part of a failed batch again in the same session.
    const second = await writer.apply(await writer.prepare([payload('b'), payload('c')], { alsoAt: [], unseen: true }));
    expect([first.rows, second.rows, second.duplicates]).toEqual([{ 'default.carts': 2 }, { 'default.carts': 1 }, 1]);
    const loads = statements.filter((s) => s.startsWith('INSERT INTO "default"."carts"'));
    expect(loads.map((s) => s.includes('NOT EXISTS'))).toEqual([false, true]);
    expect(await driver.query('SELECT user_id FROM "default"."carts" ORDER BY user_id')).toEqual([{ user_id: 'a' }, { user_id: 'b' }, { user_id: 'c' }]);
    await driver.close();
  });
});
