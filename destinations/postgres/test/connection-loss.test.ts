import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfig, Stowage, type Destination } from '@stowage/core';
import { EmbeddedProfileStore } from '@stowage/embedded-state';
import { testPostgres } from '@stowage/testkit';
import { postgres } from '../src/index.js';
import { PgDriver } from '../src/connect.js';
import { CuttingProxy } from './support/cutting-proxy.js';

const server = await testPostgres();
const dirs: string[] = [];
afterAll(async () => {
  await server.close();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** 5,000 identify calls of 1,000 users and 5,000 track calls: three batches of 4,000. */
function calls(): string[] {
  const out: string[] = [];
  for (let i = 0; i < 5000; i++) {
    const base = { userId: `u${i % 1000}`, receivedAt: `2026-11-23T10:${String(Math.floor(i / 100) % 60).padStart(2, '0')}:00.000Z` };
    out.push(JSON.stringify({ type: 'identify', messageId: `i${i}`, traits: { n: i, plan: i % 2 ? 'pro' : 'free' }, ...base }));
    out.push(JSON.stringify({ type: 'track', messageId: `t${i}`, event: 'Order Completed', properties: { total: i / 10 }, ...base }));
  }
  return out;
}

async function install(url: string) {
  const dir = mkdtempSync(join(tmpdir(), 'stowage-pg-loss-'));
  dirs.push(dir);
  const destinations = new Map([[postgres.type, postgres as unknown as Destination]]);
  const config = parseConfig(
    {
      batchSize: 4000,
      spaces: { default: { id: 'spa_test' } },
      warehouses: { wh: { type: 'postgres', settings: { url, connectTimeoutSeconds: 5, ...(server.copy ? {} : { bulkLoad: 'insert' }) } } },
    },
    dir,
    destinations,
  );
  return new Stowage(config, { destinations, openProfileStore: (stateDir) => EmbeddedProfileStore.open(stateDir) });
}

async function count(url: string, table: string): Promise<{ rows: number; ids: number }> {
  const driver = await PgDriver.open({ url }, { dialect: postgres.dialect, loader: (await import('../src/connect.js')).insertLoader });
  try {
    const [row] = await driver.query<{ rows: number; ids: number }>(`SELECT count(*) AS rows, count(DISTINCT id) AS ids FROM "engage_default".${postgres.dialect.quote(table)}`);
    return row!;
  } finally {
    await driver.close();
  }
}

/** A fresh database, and an install that reaches it through a proxy that can cut the connection. */
async function throughProxy() {
  const direct = new URL(await server.freshDatabase());
  const proxy = await CuttingProxy.start({ host: direct.hostname, port: Number(direct.port || 5432) });
  const viaProxy = new URL(direct);
  viaProxy.port = String(proxy.port);
  return { direct, proxy, stowage: await install(viaProxy.toString()) };
}

describe(`a PostgreSQL connection lost as its session is set up (${server.label})`, () => {
  it('fails the sync with a clear error rather than crashing the process, and the next sync loads everything', async () => {
    const { direct, proxy, stowage } = await throughProxy();
    try {
      expect((await stowage.ingestCalls('default', (async function* () {
        yield* calls();
      })())).accepted).toBe(10_000);
      // pg reports the cut on the client as well as on the statement: with no listener on the
      // client yet, that report was an unhandled 'error' event, which ended the process.
      proxy.cutWhenClientSends("SET TIME ZONE 'UTC'");
      const lost = await stowage.sync('wh');
      expect(proxy.cuts).toBe(1);
      expect(lost.status).toBe('Failure');
      expect(lost.error).toMatch(new RegExp(`connection to 127\\.0\\.0\\.1:${proxy.port}/\\S+ was lost while its session was set up \\(SET TIME ZONE 'UTC'\\): Connection terminated unexpectedly`));
      const again = await stowage.sync('wh');
      expect(again.status, again.error).toBe('Success');
      expect(await count(direct.toString(), 'identifies')).toEqual({ rows: 5000, ids: 5000 });
    } finally {
      await stowage.close();
      await proxy.close();
      await server.afterEach();
    }
  });
});

describe(`a PostgreSQL server lost mid-sync (${server.label})`, () => {
  it.each([
    // Loaded straight into the table: by COPY, or by the INSERT fallback where COPY is not served.
    ['while the first batch is loaded', server.copy ? 'COPY "engage_default"."identifies"' : 'INSERT INTO "engage_default"."identifies"', 1, false],
    ['at the second batch\'s ledger row, the first one committed', 'INSERT INTO "engage_default"."_stowage_loads"', 2, false],
    ['while users are recomputed', 'DELETE FROM "engage_default"."_stowage_dirty"', 1, false],
    // Every call sent twice: the third batch holds ids the first two loaded, and goes through a stage.
    ['while a batch holding loaded ids is inserted from its stage', 'WHERE NOT EXISTS (SELECT 1 FROM "engage_default"', 1, true],
  ] as const)('%s: the sync ends as Failure with a clear error, and the next sync loads everything, once', async (_when, marker, nth, twice) => {
    const { direct, proxy, stowage } = await throughProxy();
    try {
      async function* lines() {
        yield* calls();
        if (twice) yield* calls();
      }
      expect((await stowage.ingestCalls('default', lines())).accepted).toBe(twice ? 20_000 : 10_000);

      proxy.cutWhenClientSends(marker, nth);
      const lost = await stowage.sync('wh');
      expect(proxy.cuts).toBe(1);
      expect(lost.status).toBe('Failure');
      expect(lost.error).toMatch(new RegExp(`connection to 127\\.0\\.0\\.1:${proxy.port}/\\S+ was lost`));

      const again = await stowage.sync('wh');
      expect(again.status, again.error).toBe('Success');
      expect(await count(direct.toString(), 'identifies')).toEqual({ rows: 5000, ids: 5000 });
      expect(await count(direct.toString(), 'order_completed')).toEqual({ rows: 5000, ids: 5000 });
      expect(await count(direct.toString(), 'tracks')).toEqual({ rows: 5000, ids: 5000 });
      expect(await count(direct.toString(), 'users')).toEqual({ rows: 1000, ids: 1000 });
    } finally {
      await stowage.close();
      await proxy.close();
      await server.afterEach();
    }
  });
});

describe(`a PostgreSQL server restarted while a run is staged (${server.label})`, () => {
  // The run opens its Storage Actions session as it begins, and writes once its profiles are
  // staged and diffed: a server restarted between (a failover) left the run's write to fail on
  // the lost connection, and its events queued, though the server answered again by then.
  it("opens the run's session again and writes every event, once", async () => {
    const direct = new URL(await server.freshDatabase());
    const proxy = await CuttingProxy.start({ host: direct.hostname, port: Number(direct.port || 5432) });
    const viaProxy = new URL(direct);
    viaProxy.port = String(proxy.port);
    const dir = mkdtempSync(join(tmpdir(), 'stowage-pg-loss-'));
    dirs.push(dir);
    const destinations = new Map([[postgres.type, postgres as unknown as Destination]]);
    const config = parseConfig(
      {
        spaces: { shop: { computations: { carts: { type: 'linked_audience' } }, activations: { a: { computation: 'carts', warehouse: 'wh', table: 'carts' } } } },
        warehouses: { wh: { type: 'postgres', settings: { url: viaProxy.toString(), connectTimeoutSeconds: 5, ...(server.copy ? {} : { bulkLoad: 'insert' }) } } },
      },
      dir,
      destinations,
    );
    const stowage = new Stowage(config, { destinations, openProfileStore: (stateDir) => EmbeddedProfileStore.open(stateDir) });
    const members = (from: number) => Array.from({ length: 500 }, (_, i) => ({ profileId: `p${from + i}`, userId: `u${from + i}`, anonymousIds: [], emails: [], mobileIds: [], entityContext: { cart_id: `c${from + i}` } }));
    try {
      const result = await stowage.applyRun({ space: 'shop', computation: 'carts', id: 'r1', kind: 'snapshot', completedAt: '2026-11-23T10:00:00.000Z' }, (async function* () {
        yield members(0);
        // The session the run opened as it began, cut while the profiles are staged.
        while (proxy.open === 0) await new Promise((resolve) => setTimeout(resolve, 10));
        await new Promise((resolve) => setTimeout(resolve, 300));
        proxy.cutAll();
        yield members(500);
      })());
      expect(proxy.cuts).toBe(1);
      expect(result.activations[0]).toMatchObject({ written: 1000, queued: 0 });
      expect(result.writes.map((w) => [w.status, w.error])).toEqual([['Success', undefined]]);
      const driver = await PgDriver.open({ url: direct.toString() }, { dialect: postgres.dialect, loader: (await import('../src/connect.js')).insertLoader });
      try {
        expect(await driver.query('SELECT count(*)::int AS rows, count(DISTINCT id)::int AS ids FROM "shop"."carts"')).toEqual([{ rows: 1000, ids: 1000 }]);
      } finally {
        await driver.close();
      }
    } finally {
      await stowage.close();
      await proxy.close();
      await server.afterEach();
    }
  });
});

describe(`a server's refusal that is no lost connection (${server.label})`, () => {
  it('is told as the refusal, with its SQLSTATE, even where its words quote a value reading like a lost connection', async () => {
    const url = await server.freshDatabase();
    const driver = await PgDriver.open({ url }, { dialect: postgres.dialect, loader: (await import('../src/connect.js')).insertLoader });
    try {
      await driver.query("CREATE TYPE plan AS ENUM ('pro', 'free')");
      await driver.query('CREATE TABLE t (plan plan)');
      // A user's column of their own type, refusing a value: a row's data, set apart by the writer
      // with this text as its reason (it read `The connection to … was lost: invalid input value …`).
      for (const value of ['closed', 'terminated', 'ECONNRESET']) {
        const refused = await driver.query('INSERT INTO t VALUES ($1)', [value]).then(() => undefined, (error: Error & { code?: string }) => error);
        expect(refused?.code).toBe('22P02');
        expect(refused?.message).toMatch(new RegExp(`: invalid input value for enum plan: "${value}" \\(SQLSTATE 22P02\\)$`));
        expect(refused?.message).not.toMatch(/was lost/);
      }
      expect(driver.connectionLost()).toBe(false);
    } finally {
      await driver.close();
      await server.afterEach();
    }
  });

  it('says what to do where the sessions are read-only', async () => {
    const url = await server.freshDatabase();
    const driver = await PgDriver.open({ url }, { dialect: postgres.dialect, loader: (await import('../src/connect.js')).insertLoader });
    try {
      await driver.query('SET default_transaction_read_only = on');
      const refused = await driver.query('CREATE SCHEMA engage_default').then(() => undefined, (error: Error) => error);
      expect(refused?.message).toMatch(/cannot execute CREATE SCHEMA in a read-only transaction \(SQLSTATE 25006\); the sessions of this role are read-only \(default_transaction_read_only on the role or the database, or a standby server\): point the warehouse at the primary, or undo the setting/);
    } finally {
      await driver.close();
      await server.afterEach();
    }
  });
});
