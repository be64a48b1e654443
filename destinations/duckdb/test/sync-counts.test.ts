import { afterAll, describe, expect, it } from 'vitest';
import { Harness, identify, removeHarnessDirs } from '@stowage/testkit';
import { duckdbUnderTest, duckdbWithSessions } from './support/under-test.js';

// What a failed sync's record counts: the users refresh's slices and the batches the warehouse
// committed, though the sync never heard it did.
afterAll(() => removeHarnessDirs());

describe('a users refresh that fails after some of its slices committed', () => {
  it("counts the rows those slices wrote in the sync's record, as a batch's are once committed", async () => {
    // Two keys a slice; the third slice's insert loses its connection.
    let inserts = 0;
    const failing = duckdbWithSessions((driver) => ({
      latestSliceKeys: () => 2,
      execute: async (sql, params) => {
        if (/^INSERT INTO "engage_default"\."users"/.test(sql) && ++inserts === 3) throw new Error('Connection Error: the connection was lost');
        return driver.execute(sql, params);
      },
    }));
    const h = await Harness.create(duckdbUnderTest(failing));
    try {
      await h.calls([1, 2, 3, 4, 5, 6, 7].map((u) => identify(`u${u}`, { plan: 'free' })));
      const failed = await h.stowage.sync('wh');
      expect(failed).toMatchObject({ status: 'Failure', error: expect.stringContaining('the connection was lost') });
      expect(failed.rows).toMatchObject({ identifies: 7, users: 4 });
      // What the history keeps of it says the same.
      expect(h.stowage.history.list().find((r) => r.id === failed.id)?.rows).toMatchObject({ users: 4 });
      // The next sync recomputes the rest, and counts only those.
      const again = await h.sync();
      expect(again).toMatchObject({ status: 'Success', calls: 0, rows: { users: 3 } });
      expect(await h.rows('users', ['id'])).toHaveLength(7);
    } finally {
      await h.close();
    }
  });
});

describe('a sync whose last COMMIT the warehouse took while its answer was lost', () => {
  it('is counted whole by the next sync, from the ledger, with a notice', async () => {
    // Two calls a batch; the second batch's transaction commits, then the connection "drops".
    let batches = 0;
    let dropped = false;
    const lost = duckdbWithSessions((driver) => ({
      execute: async (sql, params) => {
        if (/^INSERT INTO "engage_default"\."_stowage_loads"/.test(sql)) batches++;
        return driver.execute(sql, params);
      },
      transaction: async (fn) => {
        const result = await driver.transaction(fn);
        if (batches === 2 && !dropped) {
          dropped = true;
          throw new Error('Connection Error: the connection was lost');
        }
        return result;
      },
    }));
    const h = await Harness.create(duckdbUnderTest(lost), { batchSize: 2 });
    try {
      await h.calls([1, 2, 3, 4, 5, 6].map((u) => identify(`u${u}`, { plan: 'free' })));
      const failed = await h.stowage.sync('wh');
      expect(failed).toMatchObject({ status: 'Failure', calls: 2 });
      const again = await h.stowage.sync('wh');
      // The committed batch is not loaded again (the ledger has it): only the third.
      expect(again).toMatchObject({ status: 'Success', calls: 2 });
      const counted = h.stowage.history.list().find((r) => r.id === failed.id)!;
      expect(counted).toMatchObject({ status: 'Failure', calls: 4 });
      expect(counted.notices.at(-1)).toBe(
        "2 more calls were committed than this record counted (the warehouse's answer to a COMMIT lost, or the process stopped right after it): found in the ledger by the next sync; their rows are not in the counts per table",
      );
      // Counted once: a third sync changes nothing.
      await h.stowage.sync('wh');
      expect(h.stowage.history.list().find((r) => r.id === failed.id)!.notices.filter((n) => n.includes('more calls were committed'))).toHaveLength(1);
      expect(await h.rows('identifies', ['user_id'])).toHaveLength(6);
    } finally {
      await h.close();
    }
  });
});

describe('a users refresh that fails before it commits', () => {
  it('keeps no notice of the change it rolled back; the sync that refreshes users tells it', async () => {
    let failUsers = false;
    const failing = duckdbWithSessions((driver) => ({
      execute: async (sql, params) => {
        if (failUsers && /^INSERT INTO "engage_default"\."users"/.test(sql)) throw new Error('Connection Error: the connection was lost');
        return driver.execute(sql, params);
      },
    }));
    const h = await Harness.create(duckdbUnderTest(failing));
    try {
      await h.calls([identify('u1', { score: 1 })]);
      await h.sync();
      // A fraction widens identifies.score (its batch commits) and then users.score, in the refresh's transaction.
      await h.calls([identify('u2', { score: 1.5 })]);
      failUsers = true;
      const failed = await h.stowage.sync('wh');
      expect(failed.status).toBe('Failure');
      expect(failed.notices).toContain('identifies.score widened from bigint to double');
      expect(failed.notices.filter((n) => n.startsWith('users.'))).toEqual([]);
      failUsers = false;
      const again = await h.sync();
      expect(again.notices).toContain('users.score widened from bigint to double');
      expect(await h.rows('users', ['id', 'score'], ['id'])).toEqual([
        { id: 'u1', score: 1 },
        { id: 'u2', score: 1.5 },
      ]);
    } finally {
      await h.close();
    }
  });
});
