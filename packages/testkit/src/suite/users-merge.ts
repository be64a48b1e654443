import { describe, expect, it } from 'vitest';
import { Harness, identify, type DestinationUnderTest } from '../harness.js';

/** users: one row per user_id, each column the latest non-null value by event timestamp. */
export function usersMerge(dut: DestinationUnderTest): void {
  describe('users', () => {
    it('rebuilds users from all of identifies when it was dropped or emptied, not from the users of the sync alone', async () => {
      const h = await Harness.create(dut);
      const { quote } = dut.destination.dialect;
      const users = `${quote('engage_default')}.${quote('users')}`;
      await h.calls([identify('u1', { plan: 'a' }, { messageId: 'i1', timestamp: '2026-11-23T10:00:00Z' }), identify('u2', { plan: 'b' }, { messageId: 'i2', timestamp: '2026-11-23T10:00:00Z' })]);
      const first = await h.sync();
      expect(first.notices.join('\n')).not.toContain('rebuilt');
      await h.execute(`DROP TABLE ${users}`);
      await h.calls([identify('u3', { plan: 'c' }, { messageId: 'i3', timestamp: '2026-11-23T11:00:00Z' }), identify('u1', { plan: 'a2' }, { messageId: 'i4', timestamp: '2026-11-23T11:00:00Z' })]);
      const dropped = await h.sync();
      expect(dropped).toMatchObject({ status: 'Success', rows: { users: 3 } });
      expect(dropped.notices).toContain('users was missing or empty while identifies held 1 keys this sync did not touch: rebuilt from every row of identifies');
      expect(await h.rows('users', ['id', 'plan'])).toEqual([{ id: 'u1', plan: 'a2' }, { id: 'u2', plan: 'b' }, { id: 'u3', plan: 'c' }]);
      // Emptied rather than dropped: the same.
      await h.execute(`DELETE FROM ${users}`);
      await h.calls([identify('u4', { plan: 'd' }, { messageId: 'i5', timestamp: '2026-11-23T12:00:00Z' })]);
      expect((await h.sync()).rows).toMatchObject({ users: 4 });
      expect(await h.rows('users', ['id', 'plan'])).toEqual([{ id: 'u1', plan: 'a2' }, { id: 'u2', plan: 'b' }, { id: 'u3', plan: 'c' }, { id: 'u4', plan: 'd' }]);
      // An ordinary sync marks nothing more.
      await h.calls([identify('u2', { plan: 'b2' }, { messageId: 'i6', timestamp: '2026-11-23T13:00:00Z' })]);
      const ordinary = await h.sync();
      expect(ordinary.rows).toMatchObject({ users: 0 });
      expect(ordinary.notices.join('\n')).not.toContain('rebuilt');
      expect(await h.rows('users', ['id', 'plan'])).toEqual([{ id: 'u1', plan: 'a2' }, { id: 'u2', plan: 'b2' }, { id: 'u3', plan: 'c' }, { id: 'u4', plan: 'd' }]);
      await h.close();
    });
    it('keeps the newest value when an older call arrives late, in a later sync', async () => {
      const h = await Harness.create(dut);
      await h.calls([identify('u1', { plan: 'pro' }, { timestamp: '2026-11-23T12:00:00Z' })]);
      await h.sync();
      await h.calls([identify('u1', { plan: 'free', seats: 3 }, { timestamp: '2026-11-20T12:00:00Z' })]);
      await h.sync();
      expect(await h.rows('users', ['id', 'plan', 'seats'])).toEqual([{ id: 'u1', plan: 'pro', seats: 3 }]);
      expect((await h.rows('identifies', ['plan'], ['timestamp'])).map((r) => r.plan)).toEqual(['free', 'pro']);
      // A sync with nothing new recomputes no user, and lists no table.
      const quiet = await h.sync();
      expect(quiet).toMatchObject({ status: 'Success', calls: 0 });
      expect(quiet.rows).toEqual({});
      await h.close();
    });

    it('breaks timestamp ties by received_at, then message id', async () => {
      const h = await Harness.create(dut);
      const at = { timestamp: '2026-11-23T12:00:00Z' };
      await h.calls([
        { ...identify('u1', { tier: 'b' }, { ...at, receivedAt: '2026-11-23T12:00:05Z' }), messageId: 'z1' },
        { ...identify('u1', { tier: 'a' }, { ...at, receivedAt: '2026-11-23T12:00:01Z' }), messageId: 'z2' },
        { ...identify('u2', { tier: 'x' }, { ...at }), messageId: 'y1' },
        { ...identify('u2', { tier: 'y' }, { ...at }), messageId: 'y2' },
        // Ids compared by code point, on every warehouse: an id goes after its own prefix whatever
        // follows (a tab, below the space), capitals before small letters, `é` after `z`.
        { ...identify('u3', { tier: 'tab' }, { ...at }), messageId: 'k1\t' },
        { ...identify('u3', { tier: 'prefix' }, { ...at }), messageId: 'k1' },
        { ...identify('u4', { tier: 'small' }, { ...at }), messageId: 'alpha' },
        { ...identify('u4', { tier: 'capital' }, { ...at }), messageId: 'Zeta' },
        { ...identify('u5', { tier: 'accent' }, { ...at }), messageId: 'mé' },
        { ...identify('u5', { tier: 'zed' }, { ...at }), messageId: 'mz' },
      ]);
      await h.sync();
      expect(await h.rows('users', ['id', 'tier'], ['id'])).toEqual([
        { id: 'u1', tier: 'b' },
        { id: 'u2', tier: 'y' },
        { id: 'u3', tier: 'tab' },
        { id: 'u4', tier: 'small' },
        { id: 'u5', tier: 'accent' },
      ]);
      await h.close();
    });

    it('never takes a value from a call whose time was quarantined as the newest', async () => {
      const h = await Harness.create(dut);
      await h.calls([
        identify('u1', { tier: 'old' }, { timestamp: '2026-11-20T12:00:00Z' }),
        identify('u1', { tier: 'new' }, { timestamp: '2026-11-23T12:00:00Z' }),
        // Its skew carries its time past the year 9999: the timestamp is quarantined, and null.
        identify('u1', { tier: 'unknown', seats: 2 }, { messageId: 'skewed', sentAt: '0001-01-01T00:00:00Z', originalTimestamp: '9999-01-01T00:00:00Z', receivedAt: '2026-11-24T12:00:00Z' }),
      ]);
      expect(await h.sync()).toMatchObject({ status: 'Partial', rejects: 1 });
      expect(await h.rows('identifies', ['id', 'timestamp'], ['id'])).toContainEqual({ id: 'skewed', timestamp: null });
      expect(await h.rows('users', ['id', 'tier', 'seats'])).toEqual([{ id: 'u1', tier: 'new', seats: 2 }]);
      await h.close();
    });

    it("keeps a users column's own type where it differs from identifies': takes the values it holds all of, else is left as it is, and no sync fails", async () => {
      const h = await Harness.create(dut);
      const { quote, physicalType } = dut.destination.dialect;
      const table = (name: string) => `${quote('engage_default')}.${quote(name)}`;
      await h.calls([identify('u1', { tier: 'gold' }, { messageId: 'g1' }), identify('u2', { tier: 'silver' }, { messageId: 'g2' })]);
      await h.sync();
      // identifies.tier dropped by hand comes back as bigint; users.tier, text, holds its values.
      await h.execute(`ALTER TABLE ${table('identifies')} DROP COLUMN ${quote('tier')}`);
      await h.calls([identify('u2', { tier: 3 }, { messageId: 'g3', timestamp: '2026-11-24T10:00:00Z' })]);
      const carried = await h.sync();
      expect(carried).toMatchObject({ status: 'Success', rows: { users: 0 } });
      expect(carried.notices).toContain('users.tier is string where identifies.tier is bigint: its values are carried as string');
      expect(carried.notices.join('\n')).not.toContain('widened');
      expect(await h.rows('users', ['id', 'tier'])).toEqual([{ id: 'u1', tier: 'gold' }, { id: 'u2', tier: '3' }]);
      // A users column of the user's named like a later trait it cannot hold (bigint, the trait text): left as it is.
      // So is a text column of the user's named like a later boolean trait: each warehouse writes a boolean as text its own way, or cannot (Redshift).
      await h.execute(`ALTER TABLE ${table('users')} ADD COLUMN ${quote('seats')} ${physicalType('bigint')}`);
      await h.execute(`ALTER TABLE ${table('users')} ADD COLUMN ${quote('vip')} ${physicalType('string')}`);
      await h.execute(`UPDATE ${table('users')} SET ${quote('seats')} = 7, ${quote('vip')} = 'yes' WHERE ${quote('id')} = 'u1'`);
      await h.calls([identify('u2', { seats: 'many', tier: 4, vip: true }, { messageId: 'g4', timestamp: '2026-11-25T10:00:00Z' })]);
      const left = await h.sync();
      expect(left.status).toBe('Success');
      expect(left.notices.join('\n')).toContain('users.seats is bigint where identifies.seats is string, whose values it cannot all hold: it is left as it is, not refreshed');
      expect(left.notices.join('\n')).toContain('users.vip is string where identifies.vip is boolean, whose values it cannot all hold: it is left as it is, not refreshed');
      expect(await h.rows('users', ['id', 'tier', 'seats', 'vip'])).toEqual([{ id: 'u1', tier: 'gold', seats: 7, vip: 'yes' }, { id: 'u2', tier: '4', seats: null, vip: null }]);
      const types = await h.columnTypes('users');
      expect([types.tier, types.seats, types.vip]).toEqual(['string', 'bigint', 'string']);
      await h.close();
    });

    it("refreshes users over an identifies of the user's own whose user_id is an integer column, whose keys the marks hold as text", async () => {
      const h = await Harness.create(dut);
      const { quote, physicalType } = dut.destination.dialect;
      const table = (name: string) => `${quote('engage_default')}.${quote(name)}`;
      await h.execute(`CREATE SCHEMA ${quote('engage_default')}`);
      await h.execute(`CREATE TABLE ${table('identifies')} (${quote('id')} ${physicalType('string')}, ${quote('user_id')} ${physicalType('bigint')})`);
      const users = async () => (await h.rows('users', ['id', 'tier'])).map((r) => ({ id: String(r.id), tier: r.tier }));
      await h.calls([identify('123', { tier: 'gold' }, { messageId: 'k1', timestamp: '2026-11-23T10:00:00Z' }), identify('456', { tier: 'silver' }, { messageId: 'k2' })]);
      expect(await h.sync()).toMatchObject({ status: 'Success' });
      await h.calls([identify('123', { tier: 'platinum' }, { messageId: 'k3', timestamp: '2026-11-24T10:00:00Z' })]);
      expect(await h.sync()).toMatchObject({ status: 'Success' });
      expect(await users()).toEqual([{ id: '123', tier: 'platinum' }, { id: '456', tier: 'silver' }]);
      // A user id the column cannot hold is quarantined, and marks no key the refresh cannot cast.
      await h.calls([identify('abc', { tier: 'bronze' }, { messageId: 'k4' })]);
      expect(await h.sync()).toMatchObject({ status: 'Partial', rejects: 1 });
      // Emptied, it is rebuilt from every key of identifies, marked as text.
      await h.execute(`DELETE FROM ${table('users')}`);
      expect(await h.sync()).toMatchObject({ status: 'Success' });
      expect(await users()).toEqual([{ id: '123', tier: 'platinum' }, { id: '456', tier: 'silver' }]);
      await h.close();
    });

    it('never lets a null or a missing trait erase a value; anonymous-only profiles never appear', async () => {
      const h = await Harness.create(dut);
      await h.calls([
        identify('u1', { a: 1, b: 'x' }, { timestamp: '2026-11-23T10:00:00Z' }),
        identify('u1', { a: null }, { timestamp: '2026-11-23T11:00:00Z' }),
        identify(null, { a: 7 }, { anonymousId: 'anon-1' }),
      ]);
      await h.sync();
      expect(await h.rows('users', ['id', 'a', 'b'])).toEqual([{ id: 'u1', a: 1, b: 'x' }]);
      expect(await h.rows('identifies', ['anonymous_id', 'a'], ['anonymous_id'])).toContainEqual({ anonymous_id: 'anon-1', a: 7 });
      await h.close();
    });

    it('loads a batch of anonymous identify calls alone, into a new space and beside users already there', async () => {
      // One call a batch: the first batch of the space, and a later one, hold no user id at all.
      const h = await Harness.create(dut, { batchSize: 1 });
      await h.calls([identify(null, { plan: 'trial' }, { anonymousId: 'anon-1', timestamp: '2026-11-23T10:00:00Z' })]);
      expect((await h.sync()).status).toBe('Success');
      expect(await h.rows('identifies', ['anonymous_id', 'plan'])).toEqual([{ anonymous_id: 'anon-1', plan: 'trial' }]);
      await h.calls([
        identify('u1', { plan: 'pro' }, { timestamp: '2026-11-23T11:00:00Z' }),
        identify(null, { plan: 'free' }, { anonymousId: 'anon-2', timestamp: '2026-11-23T12:00:00Z' }),
      ]);
      expect((await h.sync()).status).toBe('Success');
      await h.calls([identify(null, { plan: 'basic' }, { anonymousId: 'anon-3', timestamp: '2026-11-23T13:00:00Z' })]);
      expect((await h.sync()).status).toBe('Success');
      expect(await h.rows('identifies', ['anonymous_id', 'user_id', 'plan'], ['timestamp'])).toEqual([
        { anonymous_id: 'anon-1', user_id: null, plan: 'trial' },
        { anonymous_id: null, user_id: 'u1', plan: 'pro' },
        { anonymous_id: 'anon-2', user_id: null, plan: 'free' },
        { anonymous_id: 'anon-3', user_id: null, plan: 'basic' },
      ]);
      expect(await h.rows('users', ['id', 'plan'])).toEqual([{ id: 'u1', plan: 'pro' }]);
      await h.close();
    });
  });
}
