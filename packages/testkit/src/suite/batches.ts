import { describe, expect, it } from 'vitest';
import { MAX_EVENT_TABLES_PER_BATCH } from '@stowage/core';
import { Harness, identify, track, type DestinationUnderTest } from '../harness.js';
import { dialectNames } from './dialect-names.js';
import { strictTable } from './refused-calls.js';

const at = (minute: number) => `2026-11-23T10:${String(minute).padStart(2, '0')}:00.000Z`;

/** One sync made of several batches (one transaction each): the table rules hold across their boundaries. */
export function batches(dut: DestinationUnderTest): void {
  const { name, names, named } = dialectNames(dut);

  describe('several batches in one sync', () => {
    it('dedupes, merges users from out-of-order calls, adds columns and quarantines across the batches of one sync', async () => {
      const h = await Harness.create(dut, { batchSize: 3 });
      await h.calls([
        // Batch 1.
        identify('u1', { plan: 'pro', count: 1 }, { messageId: 'i1', timestamp: at(30) }),
        identify('u2', { plan: 'free' }, { messageId: 'i2', timestamp: at(1) }),
        track('u1', 'Signed Up', { n: 1 }, { messageId: 't1', timestamp: at(1) }),
        // Batch 2: a new column; a call older than i1; a word where a number was.
        identify('u1', { seats: 5 }, { messageId: 'i3', timestamp: at(5) }),
        identify('u1', { plan: 'trial' }, { messageId: 'i4', timestamp: at(2) }),
        identify('u2', { count: 'lots' }, { messageId: 'i5', timestamp: at(3) }),
        // Batch 3: two calls sent again, and a newer value for u2.
        identify('u1', { plan: 'pro', count: 1 }, { messageId: 'i1', timestamp: at(30) }),
        track('u1', 'Signed Up', { n: 1 }, { messageId: 't1', timestamp: at(1) }),
        identify('u2', { plan: 'enterprise' }, { messageId: 'i6', timestamp: at(40) }),
      ]);
      const record = await h.sync();
      // The copy of i1 is a duplicate in identifies, the copy of t1 in tracks and signed_up.
      expect(record).toMatchObject({ status: 'Partial', calls: 9, rejects: 1, duplicates: 3, rows: { identifies: 6, tracks: 1, signed_up: 1, users: 2 } });
      const columns = names('plan', 'count', 'seats');
      expect(await h.rows('identifies', ['id', ...columns], ['id'])).toEqual([
        { id: 'i1', ...named({ plan: 'pro', count: 1, seats: null }) },
        { id: 'i2', ...named({ plan: 'free', count: null, seats: null }) },
        { id: 'i3', ...named({ plan: null, count: null, seats: 5 }) },
        { id: 'i4', ...named({ plan: 'trial', count: null, seats: null }) },
        { id: 'i5', ...named({ plan: null, count: null, seats: null }) },
        { id: 'i6', ...named({ plan: 'enterprise', count: null, seats: null }) },
      ]);
      expect(await h.rows('users', ['id', ...columns])).toEqual([
        { id: 'u1', ...named({ plan: 'pro', count: 1, seats: 5 }) },
        { id: 'u2', ...named({ plan: 'enterprise', count: null, seats: null }) },
      ]);
      expect(await h.rows('signed_up', ['id'])).toEqual([{ id: 't1' }]);
      expect(await h.rows('_stowage_rejects', ['id', 'value'])).toEqual([{ id: 'i5', value: 'lots' }]);
      await h.close();
    });

    it("sets aside before planning, in a first sync, a copy of an earlier batch's call: its new keys add no column, its values are neither cast nor quarantined", async () => {
      const h = await Harness.create(dut, { batchSize: 2 });
      await h.calls([
        // Batch 1.
        identify('u1', { plan: 'pro', seats: 3 }, { messageId: 'k1', timestamp: at(1) }),
        track('u1', 'Signed Up', { seats: 3 }, { messageId: 't1', timestamp: at(1) }),
        // Batch 2: k1 sent again with a key it did not have and a word where a number was.
        identify('u1', { plan: 'lost', seats: 'many', coupon: 'SPRING' }, { messageId: 'k1', timestamp: at(2) }),
        identify('u2', { plan: 'free' }, { messageId: 'k2', timestamp: at(3) }),
        // Batch 3: t1 again, as a track (a copy in tracks and signed_up) and as an identify (new to identifies).
        track('u1', 'Signed Up', { seats: 'many', coupon: 'SPRING' }, { messageId: 't1', timestamp: at(4) }),
        identify('u3', { plan: 'team' }, { messageId: 't1', timestamp: at(5) }),
      ]);
      const record = await h.sync();
      expect(record).toMatchObject({ calls: 6, duplicates: 3, casts: 0, rows: { identifies: 3, tracks: 1, signed_up: 1 } });
      // Where tables have key indexes, a copy is looked for where it would shape a table (here
      // each copy would add coupon), and set aside with its word for a number.
      expect(record).toMatchObject({ status: 'Success', rejects: 0 });
      for (const table of ['identifies', 'users', 'tracks', 'signed_up']) expect(await h.columns(table)).not.toContain(name('coupon'));
      expect([...(await h.tables()).keys()]).not.toContain('_stowage_rejects');
      expect(await h.rows('identifies', ['id', ...names('plan')], ['id'])).toEqual([
        { id: 'k1', ...named({ plan: 'pro' }) },
        { id: 'k2', ...named({ plan: 'free' }) },
        { id: 't1', ...named({ plan: 'team' }) },
      ]);
      expect(await h.rows('signed_up', ['id', ...names('seats')])).toEqual([{ id: 't1', ...named({ seats: 3 }) }]);
      await h.close();
    });

    it('widens (or quarantines for) a fraction in a column an earlier batch of the same sync made, prepared before that batch was applied', async () => {
      const widens = dut.destination.capabilities.inPlaceWidening.some(([from, to]) => from === 'bigint' && to === 'double');
      const h = await Harness.create(dut, { batchSize: 2 });
      const fillers = [1, 2, 3, 4].map((i) => identify('u1', { plan: 'pro' }, { messageId: `f${i}`, timestamp: at(i) }));
      await h.calls([
        ...fillers,
        // Batch 3 makes n, an integer column; batch 4 gives it a fraction.
        identify('u2', { n: -484 }, { messageId: 'n1', timestamp: at(5) }),
        identify('u3', { plan: 'free' }, { messageId: 'f5', timestamp: at(6) }),
        identify('u2', { n: 2.5 }, { messageId: 'n2', timestamp: at(7) }),
      ]);
      const record = await h.sync();
      const [n] = names('n');
      expect(record).toMatchObject({ status: widens ? 'Success' : 'Partial', calls: 7, rejects: widens ? 0 : 1 });
      expect(await h.rows('identifies', ['id', n!], ['id'])).toEqual([
        ...['f1', 'f2', 'f3', 'f4', 'f5'].map((id) => ({ id, [n!]: null })),
        { id: 'n1', [n!]: -484 },
        { id: 'n2', [n!]: widens ? 2.5 : null },
      ]);
      expect(await h.rows('users', ['id', n!])).toEqual([
        { id: 'u1', [n!]: null },
        { id: 'u2', [n!]: widens ? 2.5 : -484 },
        { id: 'u3', [n!]: null },
      ]);
      await h.close();
    });

    it('goes on past a batch the warehouse refuses a call of, where the next batch waited for it to look for an id they share', async () => {
      const h = await Harness.create(dut, { batchSize: 2 });
      await strictTable(h, 'identifies');
      await h.calls([
        // Batch 1: k2 has no email, which the user's identifies requires.
        identify('u1', { email: 'a@example.com', plan: 'pro' }, { messageId: 'k1', timestamp: at(1) }),
        identify('u2', { plan: 'none' }, { messageId: 'k2', timestamp: at(2) }),
        // Batch 2: k1 sent again waits for batch 1 before it looks; batch 1 is then written in parts.
        identify('u1', { email: 'a@example.com', plan: 'lost' }, { messageId: 'k1', timestamp: at(3) }),
        identify('u3', { email: 'c@example.com', plan: 'team' }, { messageId: 'k3', timestamp: at(4) }),
      ]);
      expect(await h.sync()).toMatchObject({ status: 'Partial', calls: 4, duplicates: 1, rejects: 1 });
      expect(await h.rows('identifies', ['id', ...names('plan')], ['id'])).toEqual([
        { id: 'k1', ...named({ plan: 'pro' }) },
        { id: 'k3', ...named({ plan: 'team' }) },
      ]);
      await h.close();
    });

    it('loads each message id once per table across the batches of a sync into tables that already hold some of them', async () => {
      // Where tables have no key index, the sync looks its ids up three calls at a time: windows
      // of one batch and a half, the last too small for a look of its own.
      const h = await Harness.create(dut, { batchSize: 2, keyWindow: 3 });
      await h.calls([identify('u1', { plan: 'pro' }, { messageId: 'x1', timestamp: at(1) }), track('u1', 'Signed Up', { n: 1 }, { messageId: 'x2', timestamp: at(2) })]);
      await h.sync();
      await h.calls([
        // Batch 1: x1 is in identifies already; as a track it is new to tracks and signed_up.
        identify('u1', { plan: 'free' }, { messageId: 'x1', timestamp: at(3) }),
        track('u1', 'Signed Up', { n: 2 }, { messageId: 'x1', timestamp: at(3) }),
        // Batch 2: x2 is in tracks and signed_up already; n1 is new.
        track('u2', 'Signed Up', { n: 3 }, { messageId: 'x2', timestamp: at(4) }),
        identify('u2', { plan: 'team' }, { messageId: 'n1', timestamp: at(5) }),
        // Batch 3: n1 again (loaded two batches ago, in this sync), and n2 twice in one batch.
        identify('u2', { plan: 'lost' }, { messageId: 'n1', timestamp: at(6) }),
        identify('u3', { plan: 'solo' }, { messageId: 'n2', timestamp: at(7) }),
        // Batch 4: n2 a third time, and a track with n2's id, new to tracks.
        identify('u3', { plan: 'lost' }, { messageId: 'n2', timestamp: at(8) }),
        track('u3', 'Signed Up', { n: 4 }, { messageId: 'n2', timestamp: at(8) }),
      ]);
      const record = await h.sync();
      expect(record).toMatchObject({ status: 'Success', calls: 8, duplicates: 5, rows: { identifies: 2, tracks: 2, signed_up: 2 } });
      expect(await h.rows('identifies', ['id', ...names('plan')], ['id'])).toEqual([
        { id: 'n1', ...named({ plan: 'team' }) },
        { id: 'n2', ...named({ plan: 'solo' }) },
        { id: 'x1', ...named({ plan: 'pro' }) },
      ]);
      expect(await h.rows('signed_up', ['id', ...names('n')], ['id'])).toEqual([{ id: 'n2', ...named({ n: 4 }) }, { id: 'x1', ...named({ n: 2 }) }, { id: 'x2', ...named({ n: 1 }) }]);
      expect(await h.rows('tracks', ['id'], ['id'])).toEqual([{ id: 'n2' }, { id: 'x1' }, { id: 'x2' }]);
      expect(await h.rows('users', ['id', ...names('plan')], ['id'])).toEqual([
        { id: 'u1', ...named({ plan: 'pro' }) },
        { id: 'u2', ...named({ plan: 'team' }) },
        { id: 'u3', ...named({ plan: 'solo' }) },
      ]);
      await h.close();
    });

    it('closes a batch once its calls take batchBytes of the log, whatever batchSize says', async () => {
      const h = await Harness.create(dut, { batchBytes: 4096 });
      // Ten calls of ~1 KB each: four fill a batch (the fourth takes it past 4,096 bytes).
      await h.calls(Array.from({ length: 10 }, (_, i) => identify(`u${i}`, { note: 'x'.repeat(1000) })));
      expect(await h.sync()).toMatchObject({ status: 'Success', calls: 10, rows: { identifies: 10, users: 10 } });
      expect(await h.rows('_stowage_loads', ['calls'], ['calls'])).toEqual([{ calls: 2 }, { calls: 4 }, { calls: 4 }]);
      await h.close();
    });

    it(`closes a batch at ${MAX_EVENT_TABLES_PER_BATCH} distinct event names, so that event names embedding ids never make one transaction of thousands of tables`, async () => {
      const h = await Harness.create(dut);
      const events = 2 * MAX_EVENT_TABLES_PER_BATCH + 1;
      await h.calls(Array.from({ length: events }, (_, i) => track('u1', `Viewed Product ${i}`, { n: i })));
      expect(await h.sync()).toMatchObject({ status: 'Success', calls: events, rows: { tracks: events, [names('viewed_product_0')[0]!]: 1 } });
      // One ledger row per batch (one transaction each): two full batches and the call left over.
      expect(await h.rows('_stowage_loads', ['calls'], ['calls'])).toEqual([{ calls: 1 }, { calls: MAX_EVENT_TABLES_PER_BATCH }, { calls: MAX_EVENT_TABLES_PER_BATCH }]);
      expect(await h.rows(names(`viewed_product_${events - 1}`)[0]!, ['n'])).toEqual([{ n: events - 1 }]);
      await h.close();
    });
  });
}
