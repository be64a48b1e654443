import { describe, expect, it } from 'vitest';
import { Harness, identify } from '@stowage/testkit';
import { postgresForHarness } from './support/dut.js';

const { server, dut } = await postgresForHarness();

describe(`PostgreSQL: a user's identifies keyed by uuid (${server.label})`, () => {
  it('loads calls whose message ids are UUIDs, looks them up as UUIDs, and sets apart whole a call whose id is not one', async () => {
    const h = await Harness.create(dut);
    await h.execute('CREATE SCHEMA engage_default');
    await h.execute('CREATE TABLE engage_default.identifies (id uuid, account uuid, plan text)');
    const a = '6f1c2a9e-0b7d-4f39-9a51-3f0d2c1b8e01';
    const b = '6f1c2a9e-0b7d-4f39-9a51-3f0d2c1b8e02';
    await h.calls([
      identify('u1', { plan: 'pro', account: '0a1b2c3d-0000-4000-8000-000000000001' }, { messageId: a }),
      identify('u2', { plan: 'free', account: 'not-an-account' }, { messageId: b }),
      identify('u3', { plan: 'pro' }, { messageId: 'ajs-not-a-uuid' }),
    ]);
    const first = await h.sync();
    // The account that is not a UUID is quarantined, its row kept; the id that is not one fails its row, set apart whole.
    expect(first).toMatchObject({ status: 'Partial', calls: 3, rows: { identifies: 2 } });
    expect(await h.rows('identifies', ['id', 'account', 'plan'], ['id'])).toEqual([
      { id: a, account: '0a1b2c3d-0000-4000-8000-000000000001', plan: 'pro' },
      { id: b, account: null, plan: 'free' },
    ]);
    expect(await h.rows('_stowage_rejects', ['id', 'column_name'], ['id'])).toEqual([
      { id: b, column_name: 'account' },
      { id: 'ajs-not-a-uuid', column_name: '' },
    ]);
    // Sent again, the UUID ids are found in the table (compared as UUIDs): nothing twice.
    await h.calls([identify('u1', { plan: 'pro' }, { messageId: a })]);
    expect(await h.sync()).toMatchObject({ status: 'Success', calls: 1, duplicates: 1 });
    expect((await h.rows('identifies', ['id'])).length).toBe(2);
    await h.close();
  });

  it('sets apart a call whose id is not a UUID in a later batch that adds a column, rather than fail the sync on the look for copies', async () => {
    const h = await Harness.create(dut);
    await h.execute('CREATE SCHEMA engage_default');
    await h.execute('CREATE TABLE engage_default.identifies (id uuid, plan text)');
    await h.calls([identify('u1', { plan: 'pro' }, { messageId: '6f1c2a9e-0b7d-4f39-9a51-3f0d2c1b8e01' })]);
    expect(await h.sync()).toMatchObject({ status: 'Success', calls: 1 });
    // Not a first sync, and the batch adds coupon: the look for copies would compare as UUIDs.
    await h.calls([identify('u3', { plan: 'pro', coupon: 'X' }, { messageId: 'ajs-not-a-uuid' })]);
    expect(await h.sync()).toMatchObject({ status: 'Partial', calls: 1 });
    expect(await h.rows('_stowage_rejects', ['id', 'column_name'])).toEqual([{ id: 'ajs-not-a-uuid', column_name: '' }]);
    await h.close();
  });
});

describe(`PostgreSQL: a copy of a loaded call in a batch the warehouse refuses a call of (${server.label})`, () => {
  it('shapes no table: the parts the batch is written in look for copies too', async () => {
    const h = await Harness.create(dut, { batchSize: 4 });
    await h.execute('CREATE SCHEMA engage_default');
    await h.execute('CREATE TABLE engage_default.identifies (id text, email text NOT NULL)');
    await h.calls([identify('u1', { email: 'a@x', plan: 'pro' }, { messageId: 'k1' })]);
    expect(await h.sync()).toMatchObject({ status: 'Success' });
    await h.calls([
      // A copy with a key the first call did not have, and a call the table refuses (no email).
      identify('u1', { email: 'a@x', coupon: 'SPRING' }, { messageId: 'k1' }),
      identify('u2', { plan: 'none' }, { messageId: 'k2' }),
    ]);
    expect(await h.sync()).toMatchObject({ status: 'Partial', duplicates: 1 });
    expect(await h.columns('identifies')).not.toContain('coupon');
    await h.close();
  });
});

describe(`PostgreSQL: a user's identifies with times of fewer digits of a second (${server.label})`, () => {
  it('quarantines a time such a column would round (into the next second, or out of year 9999), and stores the others as sent', async () => {
    const h = await Harness.create(dut);
    await h.execute('CREATE SCHEMA engage_default');
    await h.execute('CREATE TABLE engage_default.identifies (id text, "timestamp" timestamptz(0), seen timestamptz(0), tapped timestamp(1), kept timestamptz)');
    await h.calls([
      identify('u1', { seen: '2026-11-23T10:00:01Z', tapped: '2026-11-23T10:00:00.5Z', kept: '2026-11-23T10:00:00.123Z' }, { messageId: 't1', timestamp: '2026-11-23T10:00:00.700Z' }),
      identify('u2', { seen: '9999-12-31T23:59:59.5Z', tapped: '2026-11-23T10:00:00.75Z', kept: '2026-11-23T10:00:00.7Z' }, { messageId: 't2', timestamp: '2026-11-23T10:00:01.999Z' }),
    ]);
    expect(await h.sync()).toMatchObject({ status: 'Partial', rows: { identifies: 2 }, rejects: 2 });
    const rows = await h.rows('identifies', ['id', 'timestamp', 'seen', 'tapped', 'kept'], ['id']);
    const iso = (v: unknown) => (v === null ? null : new Date(v as string).toISOString());
    // The call's own time, a standard column, is cut to the second, never quarantined.
    expect(rows.map((r) => [r.id, iso(r.timestamp), iso(r.seen), r.tapped === null ? null : String(r.tapped), iso(r.kept)])).toEqual([
      ['t1', '2026-11-23T10:00:00.000Z', '2026-11-23T10:00:01.000Z', expect.stringMatching(/10:00:00\.5/), '2026-11-23T10:00:00.123Z'],
      ['t2', '2026-11-23T10:00:01.000Z', null, null, '2026-11-23T10:00:00.700Z'],
    ]);
    const rejects = await h.rows('_stowage_rejects', ['column_name', 'value', 'reason'], ['column_name']);
    expect(rejects.map((r) => [r.column_name, r.value])).toEqual([
      ['seen', '9999-12-31T23:59:59.5Z'],
      ['tapped', '2026-11-23T10:00:00.75Z'],
    ]);
    expect(String(rejects[0]!.reason)).toBe("the value has more digits of a second than the 0 the column's type timestamp(0) with time zone keeps, which it would round");
    await h.close();
  });
});
