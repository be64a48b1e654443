import { afterAll, describe, expect, it } from 'vitest';
import { Harness, identify, removeHarnessDirs } from '@stowage/testkit';
import { duckdbUnderTest } from './support/under-test.js';

afterAll(() => removeHarnessDirs());

const dut = duckdbUnderTest();

// Types of a user's own table that DuckDB would round a value into, or refuse the whole call for.
describe("DuckDB: a user's identifies with unsigned, huge and second-precision columns", () => {
  it('quarantines the value each would round or refuse, and stores the others as sent', async () => {
    const h = await Harness.create(dut);
    await h.execute('CREATE SCHEMA engage_default');
    await h.execute('CREATE TABLE engage_default.identifies (id VARCHAR, "timestamp" TIMESTAMP_S, seats UBIGINT, big HUGEINT, seen TIMESTAMP_S)');
    await h.calls([
      identify('u1', { seats: 3, big: 7, seen: '2026-11-23T10:00:01Z' }, { messageId: 'k1', timestamp: '2026-11-23T10:00:00.700Z' }),
      // -1 is no UBIGINT (the warehouse refused the whole call); -0.5 a HUGEINT would round to -1;
      // .7 s a TIMESTAMP_S would round up to the next second.
      identify('u2', { seats: -1, big: -0.5, seen: '2026-11-23T10:00:00.7Z' }, { messageId: 'k2', timestamp: '2026-11-23T10:00:01.900Z' }),
    ]);
    const record = await h.sync();
    expect(record).toMatchObject({ status: 'Partial', rows: { identifies: 2 }, rejects: 3 });
    const text = (v: unknown) => (v === null ? null : String(v));
    const rows = await h.rows('identifies', ['id', 'timestamp', 'seats', 'big', 'seen'], ['id']);
    expect(rows.map((r) => [r.id, text(r.timestamp), text(r.seats), text(r.big), text(r.seen)])).toEqual([
      // The call's own time (a standard column) is cut to the second, never quarantined.
      ['k1', '2026-11-23T10:00:00.000Z', '3', '7', '2026-11-23T10:00:01.000Z'],
      ['k2', '2026-11-23T10:00:01.000Z', null, null, null],
    ]);
    const rejects = await h.rows('_stowage_rejects', ['column_name', 'value', 'reason'], ['column_name']);
    expect(rejects.map((r) => [r.column_name, r.value, r.reason])).toEqual([
      ['big', '-0.5', "the value is not an integer, which the column's type HUGEINT holds"],
      ['seats', '-1', "the value is outside 0 to 18446744073709552000, the range of the column's type UBIGINT"],
      ['seen', '2026-11-23T10:00:00.7Z', "the value has more digits of a second than the 0 the column's type TIMESTAMP_S keeps, which it would round"],
    ]);
    await h.close();
  });
});

describe("DuckDB: a user's identifies whose user_id is an integer wider than BIGINT", () => {
  it('refreshes users keyed by it, the marks (text) read as its type, and rebuilds them', async () => {
    for (const type of ['UBIGINT', 'HUGEINT']) {
      const h = await Harness.create(dut);
      await h.execute('CREATE SCHEMA engage_default');
      await h.execute(`CREATE TABLE engage_default.identifies (id VARCHAR, user_id ${type})`);
      await h.calls([identify('12', { tier: 'gold' }, { messageId: 'k1', timestamp: '2026-11-23T10:00:00Z' }), identify('18446744073709551615', { tier: 'silver' }, { messageId: 'k2' })]);
      expect(await h.sync(), type).toMatchObject({ status: 'Success', rows: { users: 2 } });
      await h.calls([identify('12', { tier: 'platinum' }, { messageId: 'k3', timestamp: '2026-11-24T10:00:00Z' })]);
      expect(await h.sync(), type).toMatchObject({ status: 'Success' });
      const users = async () => (await h.rows('users', ['id', 'tier'], ['tier'])).map((r) => [String(r.id), r.tier]);
      expect(await users(), type).toEqual([['12', 'platinum'], ['18446744073709551615', 'silver']]);
      await h.execute('DELETE FROM engage_default.users');
      expect(await h.sync(), type).toMatchObject({ status: 'Success', rows: { users: 2 } });
      expect(await users(), type).toEqual([['12', 'platinum'], ['18446744073709551615', 'silver']]);
      await h.close();
    }
  });
});
