import { describe, expect, it } from 'vitest';
import { Harness, identify, type DestinationUnderTest } from '../harness.js';

/** Types fixed by the first value; lossless casts; in-place widening; the quarantine. */
export function types(dut: DestinationUnderTest): void {
  const { capabilities } = dut.destination;
  describe('types', () => {
    it('fixes a column\'s type from its first non-null value', async () => {
      const h = await Harness.create(dut);
      await h.calls([identify('u1', { flag: true, count: 2, ratio: 0.5, name: 'x', seen_at: '2026-11-23T10:00:00Z' })]);
      await h.sync();
      expect(await h.columnTypes('identifies')).toMatchObject({ flag: 'boolean', count: 'bigint', ratio: 'double', name: 'string', seen_at: 'timestamp' });
      await h.close();
    });

    it("creates a computed trait's columns with its declared valueType, whatever its first value: a revenue first whole takes its later fractions", async () => {
      const h = await Harness.create(dut, { computations: { revenue: { type: 'trait', valueType: 'double' }, visits: { type: 'trait' } } });
      await h.run({ computation: 'revenue', id: 'r1', completedAt: '2026-11-20T10:00:00.000Z' }, [{ userId: 'u1', value: 450 }]);
      await h.run({ computation: 'visits', id: 'v1', completedAt: '2026-11-20T10:00:00.000Z' }, [{ userId: 'u1', value: 3 }]);
      await h.sync();
      for (const table of ['identifies', 'users', 'trait_computed']) expect(await h.columnTypes(table), table).toMatchObject({ revenue: 'double', visits: 'bigint' });
      await h.run({ computation: 'revenue', id: 'r2', completedAt: '2026-11-21T10:00:00.000Z' }, [{ userId: 'u1', value: 450.75 }]);
      expect(await h.sync()).toMatchObject({ status: 'Success', rejects: 0 });
      expect(await h.rows('users', ['id', 'revenue', 'visits'])).toEqual([{ id: 'u1', revenue: 450.75, visits: 3 }]);
      await h.close();
    });

    it('makes the same column of a declared bigint trait whatever the order of its whole and fractional values in the batch that creates it', async () => {
      // `first` had its 1.5 quarantined (a bigint column, the sync Partial) where `second`, the
      // same values in the other order, made a double column that holds it: the declared type
      // was checked for a wider one from the second value on, never at the first.
      const h = await Harness.create(dut, { computations: { first: { type: 'trait', valueType: 'bigint' }, second: { type: 'trait', valueType: 'bigint' } } });
      await h.run({ computation: 'first', id: 'f1', completedAt: '2026-11-20T10:00:00.000Z' }, [{ userId: 'u1', value: 1.5 }, { userId: 'u2', value: 2 }]);
      await h.run({ computation: 'second', id: 's1', completedAt: '2026-11-20T10:00:00.000Z' }, [{ userId: 'u2', value: 2 }, { userId: 'u1', value: 1.5 }]);
      expect(await h.sync()).toMatchObject({ status: 'Success', rejects: 0 });
      for (const table of ['identifies', 'users', 'trait_computed']) expect(await h.columnTypes(table), table).toMatchObject({ first: 'double', second: 'double' });
      expect(await h.rows('users', ['id', 'first', 'second'])).toEqual([{ id: 'u1', first: 1.5, second: 1.5 }, { id: 'u2', first: 2, second: 2 }]);
      await h.close();
    });

    it('gives the declared valueType to the column of a computed trait keyed like a standard column (`_id`, `_event`), and to no standard column', async () => {
      const computations = { id: { type: 'trait', valueType: 'double' }, Event: { type: 'trait', valueType: 'string' }, context_ip: { type: 'trait', valueType: 'bigint' } };
      const h = await Harness.create(dut, { computations });
      await h.run({ computation: 'id', id: 'r1', completedAt: '2026-11-20T10:00:00.000Z' }, [{ userId: 'u1', value: 450 }]);
      await h.run({ computation: 'Event', id: 'e1', completedAt: '2026-11-20T10:00:00.000Z' }, [{ userId: 'u1', value: 7 }]);
      await h.run({ computation: 'context_ip', id: 'c1', completedAt: '2026-11-20T10:00:00.000Z' }, [{ userId: 'u1', value: 3 }]);
      // A call's own context.ip: its column is not the trait's, and takes the type of its value.
      await h.calls([identify('u2', {}, { context: { ip: '10.0.0.1' } })]);
      expect(await h.sync()).toMatchObject({ status: 'Success', rejects: 0 });
      for (const table of ['identifies', 'users', 'trait_computed']) expect(await h.columnTypes(table), table).toMatchObject({ _id: 'double', _event: 'string', _context_ip: 'bigint' });
      expect(await h.columnTypes('identifies')).toMatchObject({ context_ip: 'string' });
      await h.close();
    });

    it('syncs a computed trait keyed like a member every object has (constructor, toString), with the type its run recorded', async () => {
      // The types runs record were looked up on a plain record: a trait keyed `constructor` found
      // Object.prototype's function there, taken for its recorded type, and every sync failed
      // with "Cannot read properties of undefined (reading 'ok')".
      const h = await Harness.create(dut, { computations: { constructor: { type: 'trait' }, toString: { type: 'trait', valueType: 'double' } } });
      await h.run({ computation: 'constructor', id: 'r1', completedAt: '2026-11-20T10:00:00.000Z' }, [{ userId: 'u1', value: 5 }]);
      await h.run({ computation: 'toString', id: 't1', completedAt: '2026-11-20T10:00:00.000Z' }, [{ userId: 'u1', value: 2 }]);
      expect(await h.sync()).toMatchObject({ status: 'Success', rejects: 0 });
      expect(await h.columnTypes('users')).toMatchObject({ constructor: 'bigint', to_string: 'double' });
      expect(await h.rows('users', ['id', 'constructor', 'to_string'])).toEqual([{ id: 'u1', constructor: 5, to_string: 2 }]);
      await h.close();
    });

    it("keeps timestamps to the millisecond and in UTC, whatever the process's time zone", async () => {
      const zone = process.env.TZ;
      // Half an hour off UTC, and east: a driver that writes or reads wall-clock time shows it.
      process.env.TZ = 'Asia/Kolkata';
      try {
        const h = await Harness.create(dut);
        await h.calls([
          identify('u1', { seen_at: '2026-11-23T10:00:00.456+02:00' }, { messageId: 't1', timestamp: '2026-11-23T10:00:00.123Z' }),
          identify('u2', { seen_at: '2026-03-29T01:30:00.007Z' }, { messageId: 't2', timestamp: '2026-06-30T23:59:59.999Z' }),
        ]);
        expect((await h.sync()).status).toBe('Success');
        expect(await h.rows('identifies', ['id', 'timestamp', 'seen_at'])).toEqual([
          { id: 't1', timestamp: '2026-11-23T10:00:00.123Z', seen_at: '2026-11-23T08:00:00.456Z' },
          { id: 't2', timestamp: '2026-06-30T23:59:59.999Z', seen_at: '2026-03-29T01:30:00.007Z' },
        ]);
        expect(await h.rows('users', ['id', 'seen_at'])).toEqual([
          { id: 'u1', seen_at: '2026-11-23T08:00:00.456Z' },
          { id: 'u2', seen_at: '2026-03-29T01:30:00.007Z' },
        ]);
        await h.close();
      } finally {
        if (zone === undefined) delete process.env.TZ;
        else process.env.TZ = zone;
      }
    });

    it('casts later values when no information is lost, and counts the casts', async () => {
      const h = await Harness.create(dut);
      await h.calls([identify('u1', { count: 1, label: 'a' }, { timestamp: '2026-11-23T10:00:00Z' })]);
      await h.sync();
      await h.calls([identify('u1', { count: '42', label: 7 }, { timestamp: '2026-11-23T11:00:00Z' })]);
      const record = await h.sync();
      expect(record.casts).toBe(2);
      expect(record.status).toBe('Success');
      expect(await h.rows('users', ['id', 'count', 'label'])).toEqual([{ id: 'u1', count: 42, label: '7' }]);
      await h.close();
    });

    it.runIf(capabilities.inPlaceWidening.some(([f, t]) => f === 'bigint' && t === 'double'))('widens an integer column to double in place', async () => {
      const h = await Harness.create(dut);
      await h.calls([identify('u1', { ltv: 100 }, { timestamp: '2026-11-23T10:00:00Z' })]);
      await h.sync();
      await h.calls([identify('u2', { ltv: 99.5 })]);
      const record = await h.sync();
      expect(record.notices.join('\n')).toContain('ltv widened from bigint to double');
      expect(await h.columnTypes('identifies')).toMatchObject({ ltv: 'double' });
      expect(await h.rows('users', ['id', 'ltv'])).toEqual([{ id: 'u1', ltv: 100 }, { id: 'u2', ltv: 99.5 }]);
      await h.close();
    });

    it('quarantines what cannot be cast, with the original value, reason, table, column and message id', async () => {
      const h = await Harness.create(dut);
      await h.calls([identify('u1', { count: 1 }, { messageId: 'ok-1' })]);
      await h.sync();
      await h.calls([identify('u2', { count: 'lots', other: 'kept' }, { messageId: 'bad-1' })]);
      const record = await h.sync();
      expect(record.status).toBe('Partial');
      expect(record.rejects).toBe(1);
      expect(await h.rows('_stowage_rejects', ['id', 'table_name', 'column_name', 'value'])).toEqual([
        { id: 'bad-1', table_name: 'identifies', column_name: 'count', value: 'lots' },
      ]);
      const [reject] = await h.rows('_stowage_rejects', ['reason']);
      expect(String(reject!.reason)).toContain('bigint');
      expect(await h.rows('identifies', ['id', 'count', 'other'])).toEqual([{ id: 'bad-1', count: null, other: 'kept' }, { id: 'ok-1', count: 1, other: null }]);
      await h.close();
    });
  });
}
