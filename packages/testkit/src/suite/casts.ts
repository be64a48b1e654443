import { describe, expect, it } from 'vitest';
import { Harness, identify, type DestinationUnderTest } from '../harness.js';
import { dialectNames } from './dialect-names.js';

const localDay = (d: Date) => `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;

/** A later value meets a column whose type an earlier one fixed: cast when nothing is lost, quarantined otherwise. */
export function casts(dut: DestinationUnderTest): void {
  const { names, named } = dialectNames(dut);
  const columns = names('flag', 'count', 'ratio', 'seen_at', 'label');

  describe('casts', () => {
    it('casts each lossless value into the column type, quarantines each lossy one, and counts both', async () => {
      const h = await Harness.create(dut);
      await h.calls([identify('u0', { flag: true, count: 1, ratio: 0.5, seen_at: '2026-11-23T10:00:00.000Z', label: 'a' }, { messageId: 'm0' })]);
      await h.sync();
      await h.calls([
        identify('u1', { flag: 'false', count: '42', ratio: '3.5', seen_at: '2026-11-23T12:00:00+02:00', label: true }, { messageId: 'm1' }),
        identify('u2', { ratio: 12, label: 7 }, { messageId: 'm2' }),
        identify('u3', { flag: 'yes', count: '42.0', ratio: 'abc', seen_at: 'tomorrow' }, { messageId: 'm3' }),
        identify('u4', { flag: 1, count: '9007199254740993', seen_at: 12345 }, { messageId: 'm4' }),
      ]);
      const record = await h.sync();
      expect(record).toMatchObject({ status: 'Partial', casts: 7, rejects: 6 });
      expect(await h.columnTypes('identifies')).toMatchObject(named({ flag: 'boolean', count: 'bigint', ratio: 'double', seen_at: 'timestamp', label: 'string' }));
      expect(await h.rows('identifies', ['id', ...columns], ['id'])).toEqual([
        { id: 'm0', ...named({ flag: true, count: 1, ratio: 0.5, seen_at: '2026-11-23T10:00:00.000Z', label: 'a' }) },
        { id: 'm1', ...named({ flag: false, count: 42, ratio: 3.5, seen_at: '2026-11-23T10:00:00.000Z', label: 'true' }) },
        { id: 'm2', ...named({ flag: null, count: null, ratio: 12, seen_at: null, label: '7' }) },
        { id: 'm3', ...named({ flag: null, count: null, ratio: null, seen_at: null, label: null }) },
        // Digits past 2^53, read back as digits: the integer column holds them exactly.
        { id: 'm4', ...named({ flag: null, count: '9007199254740993', ratio: null, seen_at: null, label: null }) },
      ]);
      const [flag, count, ratio, seenAt] = columns;
      const byIdAndColumn = (a: Record<string, unknown>, b: Record<string, unknown>) => `${a.id} ${a.column_name}`.localeCompare(`${b.id} ${b.column_name}`);
      expect((await h.rows('_stowage_rejects', ['id', 'column_name', 'value'], [])).sort(byIdAndColumn)).toEqual(
        [
          { id: 'm3', column_name: flag, value: 'yes' },
          { id: 'm3', column_name: count, value: '42.0' },
          { id: 'm3', column_name: ratio, value: 'abc' },
          { id: 'm3', column_name: seenAt, value: 'tomorrow' },
          { id: 'm4', column_name: flag, value: '1' },
          { id: 'm4', column_name: seenAt, value: '12345' },
        ].sort(byIdAndColumn),
      );
      await h.close();
    });

    it("quarantines a value outside a narrower type of the user's own table (varchar(n), integer, numeric(p,s), date) instead of failing its call, or being rounded or cut", async () => {
      const h = await Harness.create(dut);
      const { quote, physicalType } = dut.destination.dialect;
      const [nick, seats, price, born] = names('nick', 'seats', 'price', 'born');
      await h.execute(`CREATE SCHEMA ${quote('engage_default')}`);
      await h.execute(
        `CREATE TABLE ${quote('engage_default')}.${quote('identifies')} (${quote('id')} ${physicalType('string')}, ` +
          `${quote(nick!)} VARCHAR(5), ${quote(seats!)} INTEGER, ${quote(price!)} NUMERIC(6,2), ${quote(born!)} DATE)`,
      );
      // A warehouse whose VARCHAR has no length (DuckDB) stores any text there.
      const limited = (await h.tables()).get('identifies')!.find((c) => c.name === nick)!.bounds?.maxLength !== undefined;
      await h.calls([
        identify('u1', { nick: 'abc', seats: 3, price: 9.99, born: '1990-04-01' }, { messageId: 'b1' }),
        identify('u2', { nick: 'abcdefgh', seats: 3_000_000_000, price: 1.234 }, { messageId: 'b2' }),
        // A date column would keep the day of a date-time and drop its time, without a word.
        identify('u3', { seats: -2_147_483_648, price: 12_345.6, born: '1990-04-01T23:30:00.000Z' }, { messageId: 'b3' }),
        identify('u4', { seats: '2147483648', price: -9_999.99, born: 'soon' }, { messageId: 'b4' }),
        // A day no calendar has: the warehouse would refuse the whole call.
        identify('u5', { seats: 5, born: '2026-02-30' }, { messageId: 'b5' }),
      ]);
      const record = await h.sync();
      expect(record).toMatchObject({ status: 'Partial', calls: 5, rejects: limited ? 8 : 7 });
      const rows = (await h.rows('identifies', ['id', nick!, seats!, price!, born!], ['id'])).map((r) => ({
        ...r,
        [seats!]: r[seats!] === null ? null : Number(r[seats!]),
        [price!]: r[price!] === null ? null : Number(r[price!]),
        // A driver may read a date back as a Date at local midnight, or as its text.
        [born!]: r[born!] === null ? null : r[born!] instanceof Date ? localDay(r[born!] as Date) : String(r[born!]).slice(0, 10),
      }));
      expect(rows).toEqual([
        { id: 'b1', [nick!]: 'abc', [seats!]: 3, [price!]: 9.99, [born!]: '1990-04-01' },
        { id: 'b2', [nick!]: limited ? null : 'abcdefgh', [seats!]: null, [price!]: null, [born!]: null },
        { id: 'b3', [nick!]: null, [seats!]: -2_147_483_648, [price!]: null, [born!]: null },
        { id: 'b4', [nick!]: null, [seats!]: null, [price!]: -9_999.99, [born!]: null },
        { id: 'b5', [nick!]: null, [seats!]: 5, [price!]: null, [born!]: null },
      ]);
      const rejects = await h.rows('_stowage_rejects', ['id', 'column_name', 'value', 'reason'], ['id', 'column_name']);
      expect(rejects.map((r) => [r.id, r.column_name, r.value])).toEqual(
        [
          ...(limited ? [['b2', nick, 'abcdefgh']] : []),
          ['b2', seats, '3000000000'],
          ['b2', price, '1.234'],
          ['b3', price, '12345.6'],
          ['b3', born, '1990-04-01T23:30:00.000Z'],
          ['b4', seats, '2147483648'],
          ['b4', born, 'soon'],
          ['b5', born, '2026-02-30'],
        ].sort((a, b) => `${a[0]} ${a[1]}`.localeCompare(`${b[0]} ${b[1]}`)),
      );
      const reasons = rejects.map((r) => String(r.reason)).join('\n');
      expect(reasons).toMatch(/outside -2147483648 to 2147483647, the range of the column's type integer/i);
      expect(reasons).toMatch(/more than 2 digits after the point, which the column's type (numeric|decimal)\(6,\s?2\) would round away/i);
      expect(reasons).toMatch(/10000 or more in absolute value/);
      await h.close();
    });

    it("quarantines a number a single-precision REAL column of the user's would round, and stores one it reads back as sent", async () => {
      const h = await Harness.create(dut);
      const { quote, physicalType } = dut.destination.dialect;
      const [score] = names('score');
      await h.execute(`CREATE SCHEMA ${quote('engage_default')}`);
      await h.execute(`CREATE TABLE ${quote('engage_default')}.${quote('identifies')} (${quote('id')} ${physicalType('string')}, ${quote(score!)} REAL)`);
      await h.calls([
        identify('u1', { score: 0.5 }, { messageId: 'f1' }),
        identify('u2', { score: 0.1 }, { messageId: 'f2' }),
        identify('u3', { score: 16_777_217 }, { messageId: 'f3' }),
        identify('u4', { score: 0.123456789012 }, { messageId: 'f4' }),
      ]);
      expect(await h.sync()).toMatchObject({ status: 'Partial', rejects: 2 });
      // A driver reads the float back as the double nearest to it, or as its shortest text.
      const rows = (await h.rows('identifies', ['id', score!], ['id'])).map((r) => [r.id, r[score!] === null ? null : Math.fround(Number(r[score!]))]);
      expect(rows).toEqual([['f1', 0.5], ['f2', Math.fround(0.1)], ['f3', null], ['f4', null]]);
      const rejects = await h.rows('_stowage_rejects', ['id', 'value', 'reason'], ['id']);
      expect(rejects.map((r) => [r.id, r.value])).toEqual([['f3', '16777217'], ['f4', '0.123456789012']]);
      expect(String(rejects[0]!.reason)).toMatch(/more than the column's type \w+ \(a single-precision float\) holds: it would read back as 16777216/);
      await h.close();
    });
  });
}
