import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseRunHeader, type Destination, type RunProfile } from '@stowage/core';
import { Harness, removeHarnessDirs } from '@stowage/testkit';
import { DuckDBDriver } from '../src/driver.js';
import { duckdbUnderTest, duckdbWithSessions } from './support/under-test.js';

const dir = mkdtempSync(join(tmpdir(), 'stowage-checkpoint-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  removeHarnessDirs();
});

const walBytes = (path: string) => (existsSync(`${path}.wal`) ? statSync(`${path}.wal`).size : 0);

/** The DuckDB destination, its sessions reporting their checkpoints and closes into `log`. */
function observed(log: string[], failCheckpoint = false): Destination {
  return duckdbWithSessions((driver) => ({
    checkpoint: async () => {
      log.push('checkpoint');
      if (failCheckpoint) throw new Error('the disk is full');
      await driver.checkpoint();
      log.push('checkpointed');
    },
    close: async () => {
      log.push('close');
      await driver.close();
    },
    execute: async (sql, params) => {
      if (/^INSERT INTO "engage_default"\."users"/.test(sql)) log.push('users');
      return driver.execute(sql, params);
    },
  }));
}

async function runWith(destination: Destination, log: string[]) {
  const h = await Harness.create(
    duckdbUnderTest(destination),
    { computations: { carts: { type: 'linked_audience' } }, activations: { a: { computation: 'carts', table: 'carts' } } },
  );
  async function* profiles(): AsyncGenerator<RunProfile[]> {
    yield [{ profileId: 'p1', userId: 'u1', anonymousIds: [], emails: [], mobileIds: [], entityContext: { cart_id: 'c1' } }];
  }
  const result = await h.stowage.applyRun(parseRunHeader({ space: 'default', computation: 'carts', id: 'r1', kind: 'snapshot' }), profiles(), {
    onProgress: (p) => {
      if (p.phase === 'committing' && !log.includes('committing')) log.push('committing');
    },
  });
  const rows = await h.rows('carts', ['user_id', 'event_name'], ['user_id'], 'wh', 'default');
  await h.close();
  return { result, rows };
}

describe('DuckDB checkpoints', () => {
  it('move what a session committed out of the WAL, off the JS thread', async () => {
    const path = join(dir, 'w.duckdb');
    const driver = await DuckDBDriver.open({ path });
    await driver.transaction(async () => {
      await driver.execute('CREATE TABLE t (id VARCHAR)');
      await driver.execute("INSERT INTO t SELECT 'm' || range FROM range(1000)");
    });
    expect(walBytes(path)).toBeGreaterThan(0);
    await driver.checkpoint();
    expect(walBytes(path)).toBe(0);
    expect(await driver.query('SELECT count(*) AS n FROM t')).toEqual([{ n: 1000 }]);
    await driver.close();
  });

  it("start once a run's writes have settled, beside the profile state's commit, and end before the session closes", async () => {
    const log: string[] = [];
    const { result, rows } = await runWith(observed(log), log);
    expect(result.writes[0]).toMatchObject({ status: 'Success', rows: { 'default.carts': 1 } });
    expect(rows).toEqual([{ user_id: 'u1', event_name: 'Audience Entered' }]);
    // Started before the state commits, not after the run: the two engines work side by side.
    expect(log.indexOf('checkpoint')).toBeGreaterThanOrEqual(0);
    expect(log.indexOf('checkpoint')).toBeLessThan(log.indexOf('committing'));
    expect(log.indexOf('checkpointed')).toBeLessThan(log.indexOf('close'));
    expect(log.filter((e) => e === 'checkpoint')).toHaveLength(1);
  });

  it("come once a sync's batches are in, before the users recompute, whose aggregate then does not come on top of their rows in memory", async () => {
    for (const fail of [false, true]) {
      const log: string[] = [];
      const h = await Harness.create(duckdbUnderTest(observed(log, fail)));
      await h.calls([{ type: 'identify', messageId: 'i1', userId: 'u1', traits: { plan: 'pro' }, timestamp: '2026-11-23T10:00:00Z' }]);
      // A failed checkpoint fails nothing: the rows are committed, and closing checkpoints again.
      expect(await h.sync()).toMatchObject({ status: 'Success', rows: { identifies: 1, users: 1 } });
      expect(log.indexOf('checkpoint')).toBeGreaterThanOrEqual(0);
      expect(log.indexOf('checkpoint')).toBeLessThan(log.indexOf('users'));
      expect(await h.rows('users', ['id', 'plan'])).toEqual([{ id: 'u1', plan: 'pro' }]);
      await h.close();
    }
  });

  it('that fail do not fail the write: its rows are committed', async () => {
    const log: string[] = [];
    const { result, rows } = await runWith(observed(log, true), log);
    expect(log).toContain('checkpoint');
    expect(result.writes[0]).toMatchObject({ status: 'Success', rows: { 'default.carts': 1 } });
    expect(rows).toEqual([{ user_id: 'u1', event_name: 'Audience Entered' }]);
  });
});
