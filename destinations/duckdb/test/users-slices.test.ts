import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { acceptCall, ClassicBatcher, TableWriter, type Call, type WarehouseConfig } from '@stowage/core';
import { capabilities, dialect } from '../src/index.js';
import { DuckDBDriver } from '../src/driver.js';

const dir = mkdtempSync(join(tmpdir(), 'stowage-users-slices-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const warehouse: WarehouseConfig = { name: 'wh', type: 'duckdb', settings: {}, spaces: ['default'], schedule: '0 * * * *', schemaPrefix: 'engage_', disabled: { tables: [], columns: {} } };

/** Identify calls of 7 users over two batches, each user's traits changing, some calls late. */
function batches(): Call[][] {
  const call = (n: number, user: number, minute: number, traits: Record<string, unknown>) => {
    const accepted = acceptCall({ type: 'identify', messageId: `m${n}`, userId: `u${user}`, traits, timestamp: `2026-11-23T10:${String(minute).padStart(2, '0')}:00.000Z` }, '2026-11-23T11:00:00.000Z');
    if (!accepted.ok) throw new Error(accepted.error);
    return accepted.call;
  };
  const first = [1, 2, 3, 4, 5, 6, 7].map((u) => call(u, u, 10, { plan: 'free', visits: u }));
  // Later calls for some users, and one late, older call that must not win.
  const second = [call(8, 2, 20, { plan: 'pro' }), call(9, 5, 30, { visits: 50 }), call(10, 7, 5, { plan: 'old' }), call(11, 3, 40, { plan: 'team', visits: null })];
  return [first, second];
}

/** Syncs the batches with `users` refreshed `slice` keys at a time; returns `users`, ordered. */
async function syncWith(slice: number | undefined, name: string) {
  const driver = await DuckDBDriver.open({ path: join(dir, `${name}.duckdb`) });
  try {
    const writer = new TableWriter(driver, dialect, capabilities, slice);
    const batcher = new ClassicBatcher(dialect.identifiers, warehouse);
    let n = 0;
    for (const calls of batches()) {
      await writer.write(await batcher.batch('engage_default', calls, { stream: 's', end: { segment: 0, offset: ++n }, syncId: 'sync' }));
    }
    const refreshed = await writer.refreshLatest('engage_default', batcher.latestTables());
    const users = await driver.query('SELECT user_id, plan, visits, id FROM engage_default.users ORDER BY user_id');
    const marks = await driver.query('SELECT count(*) AS n FROM engage_default._stowage_dirty');
    return { refreshed: refreshed.rows, users, marks };
  } finally {
    await driver.close();
  }
}

describe('the users refresh, slice by slice', () => {
  it('leaves the same rows however many slices the marked keys take, and clears every mark', async () => {
    const whole = await syncWith(undefined, 'whole');
    const sliced = await syncWith(2, 'sliced');
    // users.id is the user id (Segment's users table); the latest non-null value of each trait wins.
    expect(whole.users).toEqual([
      { user_id: 'u1', plan: 'free', visits: 1, id: 'u1' },
      { user_id: 'u2', plan: 'pro', visits: 2, id: 'u2' },
      { user_id: 'u3', plan: 'team', visits: 3, id: 'u3' },
      { user_id: 'u4', plan: 'free', visits: 4, id: 'u4' },
      { user_id: 'u5', plan: 'free', visits: 50, id: 'u5' },
      { user_id: 'u6', plan: 'free', visits: 6, id: 'u6' },
      { user_id: 'u7', plan: 'free', visits: 7, id: 'u7' },
    ]);
    // Seven keys, two a slice: four slices, each its own transaction.
    expect(sliced.users).toEqual(whole.users);
    expect(sliced.refreshed).toEqual({ users: 7 });
    expect(whole.refreshed).toEqual({ users: 7 });
    expect(sliced.marks).toEqual([{ n: 0 }]);
  });
});

describe('the users refresh of a wide space', () => {
  it('slices many users of many traits so that the aggregate fits in the memory limit', async () => {
    // 30,000 users, 300 traits, 20 on each call: identifies and users of ~300 columns. Taken in
    // one slice (the 250,000 keys of a narrow table), the aggregate's 9 million states ran DuckDB
    // out of its 512MB: the sync failed, and so did every retry.
    const TRAITS = 300;
    const USERS = 30_000;
    const driver = await DuckDBDriver.open({ path: join(dir, 'wide.duckdb') });
    try {
      const writer = new TableWriter(driver, dialect, capabilities);
      const batcher = new ClassicBatcher(dialect.identifiers, warehouse);
      for (let from = 0, batch = 1; from < USERS; from += 10_000, batch++) {
        const calls: Call[] = [];
        for (let u = from; u < from + 10_000; u++) {
          const traits: Record<string, number> = {};
          for (let k = 0; k < 20; k++) traits[`trait_${(u * 20 + k) % TRAITS}`] = u;
          const accepted = acceptCall({ type: 'identify', messageId: `w${u}`, userId: `u${u}`, traits, timestamp: '2026-11-23T10:00:00.000Z' }, '2026-11-23T11:00:00.000Z');
          if (!accepted.ok) throw new Error(accepted.error);
          calls.push(accepted.call);
        }
        await writer.write(await batcher.batch('engage_default', calls, { stream: 's', end: { segment: 0, offset: batch }, syncId: 'sync' }));
      }
      const refreshed = await writer.refreshLatest('engage_default', batcher.latestTables());
      expect(refreshed.rows).toEqual({ users: USERS });
      expect(driver.latestSliceKeys(TRAITS + 2)).toBeLessThan(USERS);
      const [sample] = await driver.query<{ n: number; trait: number | null }>(`SELECT count(*) AS n, max("trait_${(1234 * 20) % TRAITS}") FILTER (WHERE user_id = 'u1234') AS trait FROM engage_default.users`);
      expect(sample).toEqual({ n: USERS, trait: 1234 });
    } finally {
      await driver.close();
    }
  });
});
