import { describe, expect, it } from 'vitest';
import { escapesLoneSurrogate, planTable, planTableInSlices, type PlanInput } from './plan.js';
import type { LogicalType } from '../contract/logical-type.js';

const base = (over: Partial<PlanInput>): PlanInput => ({
  table: 'identifies',
  existing: undefined,
  rows: [],
  fixedTypes: new Map([['received_at', 'timestamp']]),
  keyColumn: 'id',
  capabilities: { inPlaceWidening: [['bigint', 'double']], maxColumns: 1000, textHoldsNul: true, maxStringBytes: Infinity },
  ...over,
});

describe('planTable', () => {
  it('creates columns from the first non-null value; a null never creates a column', () => {
    const plan = planTable(base({ rows: [{ id: 'm1', score: null, vip: true }, { id: 'm2', score: 3 }] }));
    expect(plan.added).toEqual([
      { name: 'id', type: 'string' },
      { name: 'vip', type: 'boolean' },
      { name: 'score', type: 'bigint' },
    ]);
    // A null stays as it came (it loads as NULL and never creates a column).
    expect(plan.rows).toEqual([{ id: 'm1', score: null, vip: true }, { id: 'm2', score: 3 }]);
  });

  it('casts lossless values and quarantines the rest with the reason', () => {
    const plan = planTable(base({
      existing: [{ name: 'id', type: 'string' }, { name: 'score', type: 'bigint' }],
      rows: [{ id: 'm1', score: '7' }, { id: 'm2', score: 'lots' }],
    }));
    // The refused value is quarantined and loads as NULL.
    expect(plan.rows).toEqual([{ id: 'm1', score: 7 }, { id: 'm2', score: null }]);
    expect(plan.casts).toBe(1);
    expect(plan.rejects).toEqual([
      { messageId: 'm2', table: 'identifies', column: 'score', value: 'lots', reason: expect.stringContaining('bigint') },
    ]);
  });

  it("quarantines a number outside its column's narrower type with its own digits", () => {
    const plan = planTable(base({
      existing: [{ name: 'id', type: 'string' }, { name: 'seats', type: 'bigint', bounds: { physical: 'integer', min: -2147483648, max: 2147483647 } }],
      rows: [{ id: 'm1', seats: 2 ** 60 }, { id: 'm2', seats: 7 }],
    }));
    // JSON.stringify writes 2^60 as 1152921504606847000, another integer.
    expect(plan.rejects).toEqual([expect.objectContaining({ messageId: 'm1', column: 'seats', value: '1152921504606846976' })]);
    expect(plan.rows).toEqual([{ id: 'm1', seats: null }, { id: 'm2', seats: 7 }]);
  });

  it('widens an integer column in place when the warehouse can', () => {
    const plan = planTable(base({
      existing: [{ name: 'id', type: 'string' }, { name: 'ltv', type: 'bigint' }],
      rows: [{ id: 'm1', ltv: 1 }, { id: 'm2', ltv: 1.5 }],
    }));
    expect(plan.widened).toEqual([{ column: 'ltv', from: 'bigint', to: 'double' }]);
    expect(plan.rows).toEqual([{ id: 'm1', ltv: 1 }, { id: 'm2', ltv: 1.5 }]);
  });

  it("takes a value refused before a later one of the batch widened its column, as it would after: the rows' order decides nothing", () => {
    const rows = [{ id: 'm1', n: 1 }, { id: 'm2', n: '2.5' }, { id: 'm3', n: 'lots' }, { id: 'm4', n: 3.5 }];
    const plan = planTable(base({ rows: rows.map((r) => ({ ...r })) }));
    const after = planTable(base({ rows: [rows[0], rows[3], rows[1], rows[2]].map((r) => ({ ...r })) }));
    expect(plan.added).toContainEqual({ name: 'n', type: 'double' });
    expect(plan.rows.map((r) => r.n)).toEqual([1, 2.5, null, 3.5]);
    expect(plan.casts).toBe(after.casts);
    // What stays refused is told against the column's final type.
    expect(plan.rejects).toEqual([{ messageId: 'm3', table: 'identifies', column: 'n', value: 'lots', reason: after.rejects[0]!.reason }]);
    expect(plan.rejects[0]!.reason).toContain('double');
  });

  it('keeps refused a value taken again after its column widened where the row would then be over the row limit', () => {
    // 10 bytes a value and 10 for the row: 9 values at most in 100 bytes.
    const rowLimit = { maxBytes: 100, maxValueBytes: 10, maxOverheadBytes: 10, rowBytes: (_: unknown, row: Readonly<Record<string, unknown>>) => 10 + 10 * Object.values(row).filter((v) => v !== null && v !== undefined).length };
    const capabilities = { inPlaceWidening: [['bigint', 'double']] as Array<[LogicalType, LogicalType]>, maxColumns: 1000, textHoldsNul: true, maxStringBytes: Infinity, rowLimit };
    const wide = Object.fromEntries('abcdefgh'.split('').map((k) => [k, 'x']));
    const plan = planTable(base({ capabilities, rows: [{ id: 'm1', n: 1 }, { id: 'm2', n: '2.5', ...wide }, { id: 'm3', n: 3.5 }] }));
    expect(plan.rows[1]!.n).toBeNull();
    expect(rowLimit.rowBytes(null, plan.rows[1]!)).toBeLessThanOrEqual(100);
    expect(plan.rejects.map((r) => [r.messageId, r.column])).toEqual([['m2', 'n']]);
  });

  it('quarantines a fraction when the warehouse cannot widen', () => {
    const plan = planTable(base({
      existing: [{ name: 'id', type: 'string' }, { name: 'ltv', type: 'bigint' }],
      rows: [{ id: 'm2', ltv: 1.5 }],
      capabilities: { inPlaceWidening: [], maxColumns: 1000, textHoldsNul: true, maxStringBytes: Infinity },
    }));
    expect(plan.widened).toEqual([]);
    expect(plan.rejects.map((r) => r.column)).toEqual(['ltv']);
  });

  it('creates a column the batch makes with the wider type, even where nothing widens in place', () => {
    const plan = planTable(base({ rows: [{ id: 'm1', ltv: 1 }, { id: 'm2', ltv: 1.5 }], capabilities: { inPlaceWidening: [], maxColumns: 1000, textHoldsNul: true, maxStringBytes: Infinity } }));
    expect(plan.added).toContainEqual({ name: 'ltv', type: 'double' });
    expect(plan.widened).toEqual([]);
    expect(plan.rejects).toEqual([]);
  });

  it('quarantines a string longer than the warehouse stores in a text column, counted in UTF-8 bytes', () => {
    const capabilities = { inPlaceWidening: [], maxColumns: 1000, textHoldsNul: true, maxStringBytes: 10 };
    const plan = planTable(base({ rows: [{ id: 'm1', a: 'x'.repeat(10), b: 'é'.repeat(6) }], capabilities }));
    expect(plan.rejects).toEqual([expect.objectContaining({ column: 'b', reason: expect.stringContaining('10 bytes') })]);
    expect(plan.rows[0]).toMatchObject({ a: 'x'.repeat(10), b: null });
  });

  it('stores text that is not JSON as a JSON string in a JSON column, and JSON text as it is', () => {
    const plan = planTable(base({ rows: [{ id: 'm1', j: '{"a":1}' }, { id: 'm2', j: 'plain words' }], fixedTypes: new Map([['j', 'json' as const]]) }));
    expect(plan.rows.map((r) => r.j)).toEqual(['{"a":1}', '"plain words"']);
    expect(plan.casts).toBe(1);
    expect(plan.rejects).toEqual([]);
  });

  it('keeps fixed types for standard columns whatever the value looks like', () => {
    const plan = planTable(base({ rows: [{ id: 'm1', received_at: 'yesterday' }] }));
    expect(plan.added).toContainEqual({ name: 'received_at', type: 'timestamp' });
    expect(plan.rejects[0]).toMatchObject({ column: 'received_at', value: 'yesterday' });
  });

  it('quarantines values of columns past the column limit instead of dropping them', () => {
    const plan = planTable(base({ rows: [{ id: 'm1', a: 1, b: 2 }], capabilities: { inPlaceWidening: [], maxColumns: 2, textHoldsNul: true, maxStringBytes: Infinity } }));
    expect(plan.columns.map((c) => c.name)).toEqual(['id', 'a']);
    expect(plan.rejects).toEqual([expect.objectContaining({ column: 'b', value: '2' })]);
  });

  it('quarantines text holding U+0000 where the warehouse cannot store it, and only there', () => {
    const rows = () => [{ id: 'm1', a: 'x\u0000y', j: '{"k":"\\u0000"}', ok: '{"k":"\\\\u0000"}' }];
    const fixedTypes = new Map([['j', 'json' as const], ['ok', 'json' as const]]);
    const strict = planTable(base({ rows: rows(), fixedTypes, capabilities: { inPlaceWidening: [], maxColumns: 10, textHoldsNul: false, maxStringBytes: Infinity } }));
    expect(strict.rejects.map((r) => [r.column, r.reason])).toEqual([
      ['a', 'the value contains the character U+0000, which this warehouse cannot store in text'],
      ['j', 'the value contains the character U+0000, which this warehouse cannot store in JSON'],
    ]);
    expect(strict.rows[0]).toMatchObject({ a: null, j: null, ok: '{"k":"\\\\u0000"}' });
    const lenient = planTable(base({ rows: rows(), fixedTypes, capabilities: { inPlaceWidening: [], maxColumns: 10, textHoldsNul: true, maxStringBytes: Infinity } }));
    expect(lenient.rejects).toEqual([]);
  });

  it("says why a column stayed narrower only for a value the wider type would have taken", () => {
    const plan = planTable(
      base({ existing: [{ name: 'id', type: 'string' }, { name: 'n', type: 'bigint' }], holdsBigIntegers: new Set(['n']), rows: [{ id: 'm1', n: 2.5 }, { id: 'm2', n: '0x10' }] }),
    );
    expect(plan.rejects.map((r) => [r.messageId, r.reason.includes('the column stays bigint rather than widening to double')])).toEqual([
      ['m1', true],
      ['m2', false],
    ]);
    // A column the batch makes, on a warehouse that cannot widen one in place (Redshift): made so, not widened.
    const made = planTable(base({ rows: [{ id: 'm1', n: 2 ** 60 }, { id: 'm2', n: 2.5 }], capabilities: { inPlaceWidening: [], maxColumns: 10, textHoldsNul: true, maxStringBytes: Infinity } }));
    expect(made.rejects.map((r) => [r.messageId, r.reason.includes('the column is made bigint rather than double')])).toEqual([['m2', true]]);
  });

  it('quarantines JSON text that escapes half of a character, bound for a JSON column; an escaped pair, or the escape in a text column, is kept', () => {
    const rows = () => [
      { id: 'm1', j: JSON.stringify({ s: 'a\ud800b' }), t: JSON.stringify({ s: '\udc00' }) },
      { id: 'm2', j: JSON.stringify({ s: '\ud83d\ude00' }), t: 'x' },
      { id: 'm3', j: '{"s":"\\ud83d\\ude00","b":"\\\\ud800"}', t: 'y' },
      { id: 'm4', j: '{"s":"\\udc00"}', t: 'z' },
      // Not JSON: stored as a JSON string, its backslash escaped.
      { id: 'm5', j: 'plain \\ud800 words', t: 'w' },
    ];
    const plan = planTable(base({ rows: rows(), fixedTypes: new Map([['j', 'json' as const]]), capabilities: { inPlaceWidening: [], maxColumns: 10, textHoldsNul: true, maxStringBytes: Infinity } }));
    expect(plan.rejects.map((r) => [r.messageId, r.column, r.reason])).toEqual([
      ['m1', 'j', expect.stringContaining('lone UTF-16 surrogate')],
      ['m4', 'j', expect.stringContaining('lone UTF-16 surrogate')],
    ]);
    expect(plan.rows.map((r) => r.t)).toEqual(['{"s":"\\udc00"}', 'x', 'y', 'z', 'w']);
    expect(plan.rows[4]!.j).toBe(JSON.stringify('plain \\ud800 words'));
    expect(escapesLoneSurrogate('{"a":"\\ud800\\u0041"}')).toBe(true);
    expect(escapesLoneSurrogate('{"a":"\\u0041\\ud800"}')).toBe(true);
    expect(escapesLoneSurrogate('{"a":"\\\\ud800"}')).toBe(false);
  });

  it("quarantines the newest columns' values of a row over the row limit until it fits, never a standard column's", () => {
    // A warehouse whose rows hold 100 bytes: 10 a value, 10 of overhead, so that rows of more than 9 values are measured.
    const rowLimit = { maxBytes: 100, maxValueBytes: 10, maxOverheadBytes: 10, rowBytes: (_: unknown, row: Readonly<Record<string, unknown>>) => 10 + 10 * Object.values(row).filter((v) => v !== null && v !== undefined).length };
    const capabilities = { inPlaceWidening: [], maxColumns: 1000, textHoldsNul: true, maxStringBytes: Infinity, rowLimit };
    const values = (n: number, from = 0) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`t${from + i}`, i]));
    const plan = planTable(base({
      existing: [{ name: 'id', type: 'string' }, { name: 't0', type: 'bigint' }],
      // received_at (standard) is the newest column; t0 the oldest trait.
      rows: [{ id: 'm1', ...values(8) }, { id: 'm2', ...values(12), received_at: '2026-11-23T10:00:00.000Z' }],
      capabilities,
    }));
    expect(plan.rows[0]).toEqual({ id: 'm1', ...values(8) });
    // m2 has 14 values: the 5 newest traits go, the timestamp and the key stay.
    expect(plan.rows[1]).toEqual({ id: 'm2', ...values(7), ...Object.fromEntries(Object.keys(values(5, 7)).map((k) => [k, null])), received_at: '2026-11-23T10:00:00.000Z' });
    expect(plan.rejects.map((r) => [r.messageId, r.column, r.value])).toEqual([11, 10, 9, 8, 7].map((i) => ['m2', `t${i}`, String(i)]));
    expect(plan.rejects[0]!.reason).toBe("the row's values together are over the 100 bytes this warehouse stores in one row (150 estimated); its newest columns' values are kept here");
  });

  it('makes no column whose every value of the batch was quarantined: it would hold nothing, as a null makes none', () => {
    const rowLimit = { maxBytes: 100, maxValueBytes: 10, maxOverheadBytes: 10, rowBytes: (_: unknown, row: Readonly<Record<string, unknown>>) => 10 + 10 * Object.values(row).filter((v) => v !== null && v !== undefined).length };
    const capabilities = { inPlaceWidening: [], maxColumns: 1000, textHoldsNul: false, maxStringBytes: Infinity, rowLimit };
    const values = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`t${i}`, i]));
    const plan = planTable(base({
      existing: [{ name: 'id', type: 'string' }],
      // m2's values past the row limit: t7 keeps m1's value, t8–t11 none. `nul` holds only a refused value; `kept` one refused and one taken.
      rows: [{ id: 'm1', kept: 'a\u0000b', ...values(8) }, { id: 'm2', kept: 'ok', ...values(12), nul: 'x\u0000' }],
      capabilities,
    }));
    expect(plan.rejects.map((r) => r.column).sort()).toEqual(['kept', 'nul', 't10', 't11', 't7', 't8', 't9']);
    const made = ['id', 't0', 't1', 't2', 't3', 't4', 't5', 't6', 't7', 'kept'];
    expect(plan.added.map((c) => c.name).sort()).toEqual(made.slice(1).sort());
    expect(plan.columns.map((c) => c.name).sort()).toEqual([...made].sort());
    expect(plan.loaded.map((c) => c.name).sort()).toEqual([...made].sort());
    expect(plan.rows[1]).not.toHaveProperty('t8', 8);
  });

  it('gives a column the batch makes the type of its first value stored, not of a quarantined one before it', () => {
    // `age` first comes as half a character (quarantined on every warehouse), then as 41: the
    // column is made by 41, a bigint, as when the two calls come in two batches. `note` first
    // comes with U+0000 where text cannot hold it: its later `true` makes it boolean.
    const plan = planTable(base({
      existing: [{ name: 'id', type: 'string' }],
      rows: [{ id: 'm1', age: 'x\uD800', note: 'a\u0000' }, { id: 'm2', age: 41, note: true }, { id: 'm3', age: '42' }],
      capabilities: { inPlaceWidening: [], maxColumns: 1000, textHoldsNul: false, maxStringBytes: Infinity },
    }));
    expect(plan.added).toEqual([{ name: 'age', type: 'bigint' }, { name: 'note', type: 'boolean' }]);
    expect(plan.rows).toEqual([{ id: 'm1', age: null, note: null }, { id: 'm2', age: 41, note: true }, { id: 'm3', age: 42 }]);
    expect(plan.rejects.map((r) => [r.messageId, r.column])).toEqual([['m1', 'age'], ['m1', 'note']]);
    expect(plan.casts).toBe(1);
  });

  it('counts a column against the limit only while it holds a value: one left empty takes no place a later column could have', () => {
    // `a`, `b`, `c` hold only values the warehouse refuses (U+0000) and are not made; `d` then
    // fits the table's four columns. `e` comes once the table has them all.
    const plan = planTable(base({
      existing: [{ name: 'id', type: 'string' }],
      rows: [{ id: 'm1', a: 'x\u0000', b: 'y\u0000', c: 'z\u0000' }, { id: 'm2', d: 'fine', f: 1, g: 2 }, { id: 'm3', e: 'late', d: 'again' }],
      capabilities: { inPlaceWidening: [], maxColumns: 4, textHoldsNul: false, maxStringBytes: Infinity },
    }));
    expect(plan.columns.map((c) => c.name)).toEqual(['id', 'd', 'f', 'g']);
    expect(plan.rows[1]).toMatchObject({ d: 'fine', f: 1, g: 2 });
    expect(plan.rejects.map((r) => [r.column, r.reason.startsWith('the value contains the character U+0000') ? 'nul' : r.reason])).toEqual([
      ['a', 'nul'],
      ['b', 'nul'],
      ['c', 'nul'],
      ['e', 'the table has reached its limit of 4 columns'],
    ]);
  });

  it('frees the place of a column whose every value the row limit took out, for a later column of the batch', () => {
    const rowLimit = { maxBytes: 100, maxValueBytes: 10, maxOverheadBytes: 10, rowBytes: (_: unknown, row: Readonly<Record<string, unknown>>) => 10 + 10 * Object.values(row).filter((v) => v !== null && v !== undefined).length };
    const values = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`t${i}`, i]));
    // m1 is too wide: t8–t11 are taken out of it (t0–t7 and id make nine values); m2's `late` then
    // has the place they left, in a table of at most ten columns.
    const plan = planTable(base({
      existing: [{ name: 'id', type: 'string' }],
      rows: [{ id: 'm1', ...values(12) }, { id: 'm2', late: 'x' }],
      capabilities: { inPlaceWidening: [], maxColumns: 10, textHoldsNul: true, maxStringBytes: Infinity, rowLimit },
    }));
    expect(plan.columns.map((c) => c.name)).toEqual(['id', 't0', 't1', 't2', 't3', 't4', 't5', 't6', 't7', 'late']);
    expect(plan.rows[1]).toMatchObject({ late: 'x' });
    expect(plan.rejects.map((r) => r.column).sort()).toEqual(['t10', 't11', 't8', 't9']);
  });


  it('measures every row where a value has no bound below the row, and takes values out one at a time', () => {
    // Values bounded only by the row (Redshift: a JSON value may be as big as the row): rows of
    // any width are measured, and each value taken out is followed by a new measure.
    const measured: number[] = [];
    const rowLimit = {
      maxBytes: 100,
      maxValueBytes: Infinity,
      maxOverheadBytes: 0,
      rowBytes: (_: unknown, row: Readonly<Record<string, unknown>>) => {
        const bytes = Object.values(row).reduce<number>((n, v) => n + (typeof v === 'string' ? v.length : 0), 0);
        measured.push(bytes);
        return bytes;
      },
    };
    const capabilities = { inPlaceWidening: [], maxColumns: 1000, textHoldsNul: true, maxStringBytes: Infinity, rowLimit };
    const plan = planTable(base({ rows: [{ id: 'a', t0: 'x'.repeat(10) }, { id: 'b', t0: 'x'.repeat(50), t1: 'y'.repeat(30), t2: 'z'.repeat(40) }], capabilities }));
    expect(plan.rows).toEqual([{ id: 'a', t0: 'x'.repeat(10) }, { id: 'b', t0: 'x'.repeat(50), t1: 'y'.repeat(30), t2: null }]);
    expect(plan.rejects.map((r) => r.column)).toEqual(['t2']);
    expect(measured).toEqual([11, 121, 81]);
  });
  it('plans the same in slices as at once, a widening and a reject far past the first slice included', async () => {
    const rows = () =>
      Array.from({ length: 7001 }, (_, i) => ({
        id: `m${i}`,
        score: i === 4500 ? 2.5 : i,
        plan: i === 6000 ? { nested: true } : 'pro',
        ...(i === 5000 ? { late: 'first seen here' } : {}),
      }));
    const existing = [{ name: 'id', type: 'string' as const }, { name: 'score', type: 'bigint' as const }, { name: 'plan', type: 'string' as const }];
    const sliced = await planTableInSlices(base({ existing, rows: rows() }));
    expect(sliced).toEqual(planTable(base({ existing, rows: rows() })));
    expect(sliced.widened).toEqual([{ column: 'score', from: 'bigint', to: 'double' }]);
    expect(sliced.added).toEqual([{ name: 'late', type: 'string' }]);
    expect(sliced.rows[6000]!.plan).toBe('{"nested":true}');
  });
});
