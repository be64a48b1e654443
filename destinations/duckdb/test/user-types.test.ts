import { afterAll, describe, expect, it } from 'vitest';
import { Harness, identify, removeHarnessDirs } from '@stowage/testkit';
import { duckdbUnderTest } from './support/under-test.js';

afterAll(() => removeHarnessDirs());

const dut = duckdbUnderTest();

// Types of a user's own table that DuckDB would round a value into, or refuse the whole call for.
describe("DuckDB: a user's identifies with unsigned, huge and coarser time columns", () => {
  it('quarantines the value each would round or refuse, and stores the others as sent', async () => {
    const h = await Harness.create(dut);
    await h.execute('CREATE SCHEMA engage_default');
    await h.execute('CREATE TABLE engage_default.identifies (id VARCHAR, seats UBIGINT, big HUGEINT, seen TIMESTAMP_S, clicked TIMESTAMP_MS)');
    await h.calls([
      identify('u1', { seats: 3, big: 7, seen: '2026-11-23T10:00:01Z', clicked: '2026-11-23T10:00:00.777Z' }, { messageId: 'k1' }),
      // -1 is no UBIGINT (the warehouse refused the whole call); -0.5 a HUGEINT would have rounded
      // to -1 (it is read as an integer column now, which a fraction widens to DOUBLE, as any);
      // .7 s a TIMESTAMP_S would round up; .7777 s a TIMESTAMP_MS would round to .778.
      identify('u2', { seats: -1, big: -0.5, seen: '2026-11-23T10:00:00.7Z', clicked: '2026-11-23T10:00:00.7777Z' }, { messageId: 'k2' }),
    ]);
    const record = await h.sync();
    expect(record).toMatchObject({ status: 'Partial', rows: { identifies: 2 }, rejects: 2, notices: ['identifies.big widened from bigint to double'] });
    const rows = await h.rows('identifies', ['id', 'seats', 'big', 'seen', 'clicked'], ['id']);
    expect(rows.map((r) => [r.id, r.seats === null ? null : Number(r.seats), r.big === null ? null : Number(r.big), r.seen === null ? null : String(r.seen), r.clicked === null ? null : String(r.clicked)])).toEqual([
      ['k1', 3, 7, '2026-11-23T10:00:01.000Z', '2026-11-23T10:00:00.777Z'],
      // Stowage keeps a time to the millisecond, cutting the rest, as in its own columns.
      ['k2', null, -0.5, null, '2026-11-23T10:00:00.777Z'],
    ]);
    const rejects = await h.rows('_stowage_rejects', ['column_name', 'value', 'reason'], ['column_name']);
    expect(rejects.map((r) => [r.column_name, r.value])).toEqual([
      ['seats', '-1'],
      ['seen', '2026-11-23T10:00:00.7Z'],
    ]);
    expect(String(rejects[1]!.reason)).toBe("the value has more digits of a second than the 0 the column's type TIMESTAMP_S keeps, which it would round");
    await h.close();
  });
});
