import { describe, expect, it } from 'vitest';
import { Harness, type DestinationUnderTest } from '../harness.js';
import { dialectNames } from './dialect-names.js';

/** The expected tables of `spec/engage-and-warehouses.md`, from the spec's own payloads. */
export function specTables(dut: DestinationUnderTest): void {
  describe('the spec\'s engage_default tables', () => {
    it('identify calls for an audience and a computed trait → identifies and users', async () => {
      const h = await Harness.create(dut);
      await h.calls([
        { type: 'identify', messageId: 'a1', userId: 'u123', traits: { first_time_shopper: true }, timestamp: '2026-11-23T10:00:00Z' },
        { type: 'identify', messageId: 'a2', userId: 'u123', traits: { total_revenue_180_days: 450.0 }, timestamp: '2026-11-23T10:00:01Z' },
      ]);
      await h.sync();
      expect(await h.rows('identifies', ['user_id', 'first_time_shopper', 'total_revenue_180_days'], ['timestamp'])).toEqual([
        { user_id: 'u123', first_time_shopper: true, total_revenue_180_days: null },
        { user_id: 'u123', first_time_shopper: null, total_revenue_180_days: 450 },
      ]);
      expect(await h.rows('users', ['id', 'user_id', 'first_time_shopper', 'total_revenue_180_days'])).toEqual([
        { id: 'u123', user_id: 'u123', first_time_shopper: true, total_revenue_180_days: 450 },
      ]);
      await h.close();
    });

    it('track calls for audiences and computed traits → one table per event', async () => {
      const h = await Harness.create(dut);
      await h.calls([
        { type: 'track', messageId: 't1', userId: 'u123', event: 'Audience Entered', traits: { audience_key: 'first_time_shopper', first_time_shopper: true } },
        { type: 'track', messageId: 't2', userId: 'u123', event: 'Audience Exited', traits: { audience_key: 'first_time_shopper', first_time_shopper: false } },
        { type: 'track', messageId: 't3', userId: 'u123', event: 'Trait Computed', traits: { trait_key: 'total_revenue_180_days', total_revenue_180_days: 450.0 } },
      ]);
      await h.sync();
      expect(await h.rows('audience_entered', ['user_id', 'audience_key', 'first_time_shopper'])).toEqual([
        { user_id: 'u123', audience_key: 'first_time_shopper', first_time_shopper: true },
      ]);
      expect(await h.rows('audience_exited', ['user_id', 'audience_key', 'first_time_shopper'])).toEqual([
        { user_id: 'u123', audience_key: 'first_time_shopper', first_time_shopper: false },
      ]);
      expect(await h.rows('trait_computed', ['user_id', 'total_revenue_180_days', 'trait_key'])).toEqual([
        { user_id: 'u123', total_revenue_180_days: 450, trait_key: 'total_revenue_180_days' },
      ]);
      expect(await h.rows('tracks', ['event', 'event_text'])).toEqual([
        { event: 'audience_entered', event_text: 'Audience Entered' },
        { event: 'audience_exited', event_text: 'Audience Exited' },
        { event: 'trait_computed', event_text: 'Trait Computed' },
      ]);
      await h.close();
    });

    // 450.0 and 12.5 reach total_revenue_180_days in one batch: the column is created as double
    // wherever the warehouse is, with no widening (Redshift widens nothing in place).
    it('runs of an audience and a computed trait → the same tables, with tri-state audiences in users', async () => {
      const h = await Harness.create(dut, {
        computations: { first_time_shopper: { type: 'audience' }, total_revenue_180_days: { type: 'trait' } },
      });
      await h.run({ computation: 'first_time_shopper', id: 'r1', completedAt: '2026-11-22T10:00:00Z' }, [{ userId: 'u123' }, { userId: 'u200' }]);
      await h.run({ computation: 'total_revenue_180_days', id: 'r2', completedAt: '2026-11-22T10:00:00Z' }, [{ userId: 'u123', value: 450.0 }, { userId: 'u300', value: 12.5 }]);
      await h.sync();
      expect(await h.rows('users', ['user_id', 'first_time_shopper', 'total_revenue_180_days'])).toEqual([
        { user_id: 'u123', first_time_shopper: true, total_revenue_180_days: 450 },
        { user_id: 'u200', first_time_shopper: true, total_revenue_180_days: null },
        { user_id: 'u300', first_time_shopper: null, total_revenue_180_days: 12.5 },
      ]);
      // Second run: u200 leaves the audience; u123's revenue is unchanged, so no call is sent for it.
      await h.run({ computation: 'first_time_shopper', id: 'r3', completedAt: '2026-11-23T10:00:00Z' }, [{ userId: 'u123' }]);
      await h.run({ computation: 'total_revenue_180_days', id: 'r4', completedAt: '2026-11-23T10:00:00Z' }, [{ userId: 'u123', value: 450.0 }, { userId: 'u300', value: 20 }]);
      const second = await h.sync();
      expect(second.calls).toBe(4);
      // Two users were rewritten, none was added.
      expect(second.rows).toMatchObject({ identifies: 2, users: 0 });
      expect(await h.rows('users', ['user_id', 'first_time_shopper', 'total_revenue_180_days'])).toEqual([
        { user_id: 'u123', first_time_shopper: true, total_revenue_180_days: 450 },
        { user_id: 'u200', first_time_shopper: false, total_revenue_180_days: null },
        { user_id: 'u300', first_time_shopper: null, total_revenue_180_days: 20 },
      ]);
      expect(await h.rows('audience_exited', ['user_id', 'audience_key', 'first_time_shopper'])).toEqual([
        { user_id: 'u200', audience_key: 'first_time_shopper', first_time_shopper: false },
      ]);
      expect(await h.rows('trait_computed', ['user_id', 'trait_key', 'total_revenue_180_days'], ['user_id', 'total_revenue_180_days'])).toEqual([
        { user_id: 'u123', trait_key: 'total_revenue_180_days', total_revenue_180_days: 450 },
        { user_id: 'u300', trait_key: 'total_revenue_180_days', total_revenue_180_days: 12.5 },
        { user_id: 'u300', trait_key: 'total_revenue_180_days', total_revenue_180_days: 20 },
      ]);
      const { name } = dialectNames(dut);
      const [key, klass, space, namespace] = [name('context_personas_computation_key')!, name('context_personas_computation_class')!, name('context_personas_space_id')!, name('context_personas_namespace')!];
      // context.personas as Segment's Engage documents it: a trait's class is `trait`, and the space id is also the `namespace`.
      const personas = await h.rows('identifies', [key, klass, space, namespace], [key]);
      expect(personas).toContainEqual({ [key]: 'first_time_shopper', [klass]: 'audience', [space]: 'spa_test', [namespace]: 'spa_test' });
      expect(personas).toContainEqual({ [key]: 'total_revenue_180_days', [klass]: 'trait', [space]: 'spa_test', [namespace]: 'spa_test' });
      await h.close();
    });
  });
}
