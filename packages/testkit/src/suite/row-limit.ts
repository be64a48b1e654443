import { describe, expect, it } from 'vitest';
import { Harness, identify, type DestinationUnderTest } from '../harness.js';
import { dialectNames } from './dialect-names.js';

/** Traits `t<from>`…`t<to − 1>`, each a distinct 12-character value: 13 bytes a value, stored. */
const traits = (from: number, to: number, tag = 'v') => Object.fromEntries(Array.from({ length: to - from }, (_, i) => [`t${from + i}`, `${tag}-${String(from + i).padStart(10 - tag.length, '0')}`]));

/**
 * Where the warehouse bounds a row's bytes (`capabilities.rowLimit`: PostgreSQL's 8 KB), a row of
 * many short values can be over it while each value is small. Such a row must not fail its batch
 * on every retry: its newest values are quarantined, and a `users` row over it alone is left out.
 */
export function rowLimit(dut: DestinationUnderTest): void {
  const limit = dut.destination.capabilities.rowLimit;
  const { name } = dialectNames(dut);
  // Where rows are bounded only by their columns, the rule is the column limit's (column-limit.ts).
  if (!limit) return;

  describe(`row limit (${limit.maxBytes} bytes)`, () => {
    it("stores a row over the limit with its newest columns' values quarantined, and later syncs go on", async () => {
      const h = await Harness.create(dut);
      const wide = traits(0, 800);
      await h.calls([identify('u1', wide, { messageId: 'wide-1', timestamp: '2026-11-23T10:00:00.000Z' })]);
      const first = await h.sync();
      expect(first.status).toBe('Partial');

      const columns = Object.keys(wide).map(name);
      const [row] = await h.rows('identifies', ['id', ...columns], []);
      const kept = columns.filter((c) => row![c] !== null);
      // The row keeps its first traits, each with its value; the rest are quarantined, newest first.
      expect(kept.length).toBeGreaterThan(300);
      expect(kept).toEqual(columns.slice(0, kept.length));
      for (const [i, c] of kept.entries()) expect(row![c]).toBe(Object.values(wide)[i]);
      const rejects = await h.rows('_stowage_rejects', ['id', 'column_name', 'value', 'reason'], ['column_name']);
      expect(rejects).toHaveLength(columns.length - kept.length);
      expect(first.rejects).toBe(rejects.length);
      expect(new Set(rejects.map((r) => r.column_name))).toEqual(new Set(columns.slice(kept.length)));
      for (const r of rejects) {
        expect(r).toMatchObject({ id: 'wide-1', value: wide[Object.keys(wide)[columns.indexOf(r.column_name as string)]!] });
        expect(r.reason).toContain(`over the ${limit.maxBytes} bytes this warehouse stores in one row`);
      }
      expect(await h.rows('users', ['id', name('t0')])).toEqual([{ id: 'u1', [name('t0')]: wide.t0 }]);

      await h.calls([identify('u2', { t0: 'x' }, { messageId: 'narrow-1' })]);
      expect(await h.sync()).toMatchObject({ status: 'Success', rows: { identifies: 1, users: 1 } });
      await h.close();
    });

    it('leaves out a users row over the limit, refreshes every other user, and brings it back once its columns fit', async () => {
      const before = await Harness.create(dut);
      // Each call is within the limit; u1's latest values together (900 of them) are not.
      await before.calls([
        identify('u1', traits(0, 300), { timestamp: '2026-11-23T10:00:00.000Z' }),
        identify('u1', traits(300, 600), { timestamp: '2026-11-23T10:01:00.000Z' }),
        identify('u1', traits(600, 900), { timestamp: '2026-11-23T10:02:00.000Z' }),
        // Columns named like PL/pgSQL's own variables, which a procedural recompute must read as columns.
        identify('u2', { t0: 'u2-first', r: 1, found: true, sqlstate: 'x', sqlerrm: 'y' }, { timestamp: '2026-11-23T10:03:00.000Z' }),
      ]);
      const first = await before.sync();
      expect(first).toMatchObject({ status: 'Partial', rejects: 1, rows: { identifies: 4, users: 1 } });
      expect(await before.rows('users', ['id', name('t0'), ...['r', 'found', 'sqlstate', 'sqlerrm'].map(name)])).toEqual([
        { id: 'u2', [name('t0')]: 'u2-first', [name('r')]: 1, [name('found')]: true, [name('sqlstate')]: 'x', [name('sqlerrm')]: 'y' },
      ]);
      const [reject] = await before.rows('_stowage_rejects', ['id', 'table_name', 'reason'], []);
      expect(reject).toMatchObject({ id: 'u1', table_name: 'users' });
      expect(reject!.reason).toContain('disabling columns of users makes room');
      await before.close();

      // With most of those columns disabled in users, u1's next call brings its row back.
      const disabled = { columns: { users: Object.keys(traits(100, 900)).map(name) } };
      const h = await Harness.create(dut, { warehouse: { disabled }, reuse: { dir: before.dir, settings: before.settings } });
      await h.calls([identify('u1', { t0: 'u1-latest' }, { timestamp: '2026-11-23T11:00:00.000Z' })]);
      expect(await h.sync()).toMatchObject({ status: 'Success', rows: { identifies: 1, users: 1 } });
      expect(await h.rows('users', ['id', name('t0'), name('t99')])).toEqual([
        { id: 'u1', [name('t0')]: 'u1-latest', [name('t99')]: traits(99, 100).t99 },
        { id: 'u2', [name('t0')]: 'u2-first', [name('t99')]: null },
      ]);
      await h.close();
    });
  });
}
