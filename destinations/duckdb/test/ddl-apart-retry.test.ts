import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { acceptCall, ClassicBatcher, TableWriter, type Call, type Driver, type WarehouseConfig } from '@stowage/core';
import { capabilities, dialect } from '../src/index.js';
import { DuckDBDriver } from '../src/driver.js';

const dir = mkdtempSync(join(tmpdir(), 'stowage-ddl-apart-retry-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const warehouse: WarehouseConfig = { name: 'wh', type: 'duckdb', settings: {}, spaces: ['default'], schedule: '0 * * * *', schemaPrefix: 'engage_', disabled: { tables: [], columns: {} } };

function identify(n: number, traits: Record<string, unknown>): Call {
  const accepted = acceptCall({ type: 'identify', messageId: `m${n}`, userId: 'u1', traits, timestamp: `2026-11-23T10:0${n}:00.000Z` }, '2026-11-23T11:00:00.000Z');
  if (!accepted.ok) throw new Error(accepted.error);
  return accepted.call;
}

describe('DDL applied apart (transactionalDdl false), the users refresh tried again after a busy warehouse', () => {
  it('adds each new users column once when the warehouse was busy between two of them', async () => {
    const driver = await DuckDBDriver.open({ path: join(dir, 'w.duckdb') });
    // The second ALTER of users meets another session's lock, once: the first ALTER stands (it
    // committed on its own, DDL being apart), and the refresh is tried again.
    let usersAlters = 0;
    const busyOnce: Driver = new Proxy(driver, {
      get(target, name) {
        if (name === 'execute') {
          return async (sql: string, params?: unknown[]) => {
            if (/^ALTER TABLE .*"users" ADD COLUMN/.test(sql) && ++usersAlters === 2) throw new Error('TransactionContext Error: Catalog write-write conflict (another session, injected)');
            return target.execute(sql, params);
          };
        }
        const value = Reflect.get(target, name, target) as unknown;
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    try {
      const writer = new TableWriter(busyOnce, dialect, { ...capabilities, transactionalDdl: false });
      const batcher = new ClassicBatcher(dialect.identifiers, warehouse);
      await writer.write(await batcher.batch('engage_default', [identify(1, { plan: 'free' })], { stream: 's', end: { segment: 0, offset: 1 }, syncId: 'sync' }));
      await writer.refreshLatest('engage_default', batcher.latestTables(), 'sync');
      await writer.write(await batcher.batch('engage_default', [identify(2, { plan: 'pro', seats: 3, region: 'eu' })], { stream: 's', end: { segment: 0, offset: 2 }, syncId: 'sync' }));
      let waits = 0;
      const refreshed = await writer.refreshLatest('engage_default', batcher.latestTables(), 'sync', async () => ++waits <= 3);
      expect(waits).toBe(1);
      expect(refreshed.rows).toEqual({ users: 0 });
      expect(await driver.query('SELECT user_id, plan, seats, region FROM engage_default.users')).toEqual([{ user_id: 'u1', plan: 'pro', seats: 3, region: 'eu' }]);
    } finally {
      await driver.close();
    }
  });
});
