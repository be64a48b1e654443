import { afterAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig, parseRunHeader, Stowage, type Destination } from '@stowage/core';
import { Harness, removeHarnessDirs } from '@stowage/testkit';
import { duckdb } from '../src/index.js';
import { duckdbUnderTest, duckdbWithSessions } from './support/under-test.js';

afterAll(() => removeHarnessDirs());

const members = async function* () {
  yield [{ profileId: 'p1', userId: 'u1', anonymousIds: [], emails: [], mobileIds: [], entityContext: { cart_id: 'c1' } }];
};

describe('The Storage Actions queue', () => {
  it("ends a write as a Failure in the history when the state folder cannot hold its lock, and still writes a run while its queue is empty", async () => {
    const h = await Harness.create(
      duckdbUnderTest(),
      { computations: { carts: { type: 'linked_audience' } }, activations: { a: { computation: 'carts', table: 'carts' } } },
    );
    const locks = join(h.dir, '.stowage', 'locks');
    try {
      mkdirSync(join(h.dir, '.stowage'), { recursive: true });
      rmSync(locks, { recursive: true, force: true });
      // A file where the lock's folder should be: the folder cannot be made.
      writeFileSync(locks, '');
      const [blocked] = await h.stowage.flush('wh');
      expect(blocked!.record).toMatchObject({ status: 'Failure', error: expect.stringContaining('locks') });
      expect(h.stowage.history.list().filter((r) => r.path === 'storage-actions')).toEqual([expect.objectContaining({ status: 'Failure', trigger: 'manual' })]);
      // A run with an empty queue writes without it.
      const run = await h.stowage.applyRun(parseRunHeader({ space: 'default', computation: 'carts', id: 'r1', kind: 'snapshot' }), members());
      expect(run.writes[0]).toMatchObject({ status: 'Success', rows: { 'default.carts': 1 } });
      rmSync(locks);
      const [drained] = await h.stowage.flush('wh');
      expect(drained!.record).toMatchObject({ status: 'Success', calls: 0 });

      expect(await h.rows('carts', ['user_id'], ['user_id'], 'wh', 'default')).toEqual([{ user_id: 'u1' }]);
    } finally {
      await h.close();
    }
  });

  it("counts the time of a write that failed (waiting on the warehouse) in its activation's outcome", async () => {
    // A session whose insert into the activation's table waits, then loses its connection.
    const slow = duckdbWithSessions((driver) => ({
      execute: async (sql, params) => {
        if (/^INSERT INTO "default"\."carts"/.test(sql)) {
          await new Promise((resolve) => setTimeout(resolve, 300));
          throw new Error('Connection Error: the connection was lost');
        }
        return driver.execute(sql, params);
      },
    }));
    const h = await Harness.create(
      duckdbUnderTest(slow),
      { computations: { carts: { type: 'linked_audience' } }, activations: { a: { computation: 'carts', table: 'carts' } } },
    );
    try {
      const run = await h.stowage.applyRun(parseRunHeader({ space: 'default', computation: 'carts', id: 'r1', kind: 'snapshot' }), members());
      expect(run.writes[0]).toMatchObject({ status: 'Failure' });
      expect(run.activations).toEqual([expect.objectContaining({ activation: 'a', written: 0, queued: 1 })]);
      expect(run.activations[0]!.ms).toBeGreaterThanOrEqual(290);
    } finally {
      await h.close();
    }
  });

  it('tells how many events stay queued for a missing schema: every chunk of the run and every slice of the queue, each event once', async () => {
    const h = await Harness.create(
      duckdbUnderTest(),
      { computations: { carts: { type: 'linked_audience' } }, activations: { a: { computation: 'carts', table: 'carts', schema: 'archive' } } },
    );
    // 12,000 members: three chunks of the run's write, two slices of the queue's (10,000 a slice).
    const profiles = Array.from({ length: 12_000 }, (_, i) => ({ userId: `u${i}`, entityContext: { cart_id: `c${i}` } }));
    const queued = /^([\d,]+) events stay queued: activation "a": the schema "archive" does not exist/;
    const told = (notices: string[]) => notices.filter((n) => queued.test(n)).map((n) => Number(queued.exec(n)![1]!.replaceAll(',', '')));
    const run = await h.run({ computation: 'carts', id: 'r1' }, profiles);
    expect(told(run.writes[0]!.notices)).toEqual([12_000]);
    // The activation wrote nothing: its outcome still says where its events are.
    expect(run.activations).toEqual([expect.objectContaining({ activation: 'a', table: 'archive.carts', written: 0, queued: 12_000 })]);
    const [flushed] = await h.stowage.flush('wh');
    expect(told(flushed!.record.notices)).toEqual([12_000]);
    expect(flushed!.record.status).toBe('Partial');
    expect(flushed!.activations).toEqual([expect.objectContaining({ activation: 'a', written: 0, queued: 12_000 })]);
    // The schema made, the flush writes them all and leaves none queued.
    await h.execute('CREATE SCHEMA archive');
    const [written] = await h.stowage.flush('wh');
    expect(written!.record.status).toBe('Success');
    expect(written!.activations).toEqual([expect.objectContaining({ activation: 'a', written: 12_000, queued: 0 })]);
    await h.close();
  });

  it("connects before it takes the queue's lock, as a run does: a warehouse that cannot be opened fails the flush without waiting for the lock", async () => {
    const dut = duckdbUnderTest();
    const config = { computations: { carts: { type: 'linked_audience' } }, activations: { a: { computation: 'carts', table: 'carts', schema: 'archive' } } };
    const h = await Harness.create(dut, config);
    await h.run({ computation: 'carts', id: 'r1' }, [{ userId: 'u1', entityContext: { cart_id: 'c1' } }]);
    await h.close();
    // Another process (this one's parent, alive) holds the queue's lock: a run waiting for it while
    // holding its DuckDB file would never get it from a flush that holds it while waiting for the file.
    const lock = join(h.dir, '.stowage', 'locks', 'actions-wh-default.lock');
    mkdirSync(join(lock, '..'), { recursive: true });
    writeFileSync(lock, String(process.ppid));
    mkdirSync(join(h.dir, 'a-folder'));
    const down = await Harness.create(dut, { ...config, reuse: { dir: h.dir, settings: { path: join(h.dir, 'a-folder') } } });
    try {
      const started = Date.now();
      const [flushed] = await down.stowage.flush('wh');
      expect(flushed!.record.status).toBe('Failure');
      expect(Date.now() - started).toBeLessThan(10_000);
    } finally {
      rmSync(lock, { force: true });
      await down.close();
    }
  });

  it('makes no queue for a space whose activations write elsewhere when a flush asks whether it has one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stowage-drain-'));
    try {
      const destinations = new Map<string, Destination>([['duckdb', duckdb as unknown as Destination]]);
      const config = parseConfig(
        {
          spaces: { shop: { computations: { carts: { type: 'linked_audience' } }, activations: { a: { computation: 'carts', warehouse: 'wh', table: 'carts' } } }, classic: { computations: { vip: { type: 'audience' } } } },
          warehouses: { wh: { type: 'duckdb', settings: { path: 'wh.duckdb' } } },
        },
        dir,
        destinations,
      );
      const stowage = new Stowage(config, { destinations, openProfileStore: async () => { throw new Error('not used'); } });
      expect(await stowage.flush('wh')).toHaveLength(1);
      expect(existsSync(join(dir, '.stowage', 'actions', 'wh', 'classic'))).toBe(false);
      await stowage.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
