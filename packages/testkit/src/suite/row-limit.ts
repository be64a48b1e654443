import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MAX_CALL_BYTES } from '@stowage/core';
import { Harness, identify, type DestinationUnderTest } from '../harness.js';
import { dialectNames } from './dialect-names.js';

/** Traits `t<from>`…`t<to − 1>`, each a distinct value of `length` characters (12: 13 bytes a value, stored in PostgreSQL). */
const traits = (from: number, to: number, tag = 'v', length = 12) =>
  Object.fromEntries(Array.from({ length: to - from }, (_, i) => [`t${from + i}`, `${tag}-${String(from + i).padStart(length - 2 - tag.length, '0')}`]));

/**
 * Where the warehouse bounds a row's bytes (`capabilities.rowLimit`: PostgreSQL's 8 KB page,
 * Redshift's 4 MB COPY row), a row can be over it while each value is within its own bound. Such
 * a row must not fail its batch on every retry: its newest values are quarantined; and where a
 * `users` row built by the warehouse is bounded too, a `users` row over it alone is left out.
 */
export function rowLimit(dut: DestinationUnderTest): void {
  const limit = dut.destination.capabilities.rowLimit;
  const { name } = dialectNames(dut);
  // Where rows are bounded only by their columns, the rule is the column limit's (column-limit.ts);
  // a destination that declares no row limit must then hold a wide row whole, in both tables.
  if (!limit) {
    describe('row limit (none declared)', () => {
      it('stores a wide row of random values whole, in identifies and users, since no row limit is declared', async () => {
        const columns = Math.min(200, dut.destination.capabilities.maxColumns - 30);
        const wide = Object.fromEntries(Array.from({ length: columns }, (_, i) => [`w${i}`, randomBytes(100).toString('hex')]));
        const h = await Harness.create(dut);
        await h.calls([identify('u1', wide, { messageId: 'wide-1' })]);
        expect(await h.sync()).toMatchObject({ status: 'Success', rejects: 0 });
        const names = Object.keys(wide).map(name);
        expect(await h.rows('identifies', names)).toEqual([Object.fromEntries(Object.values(wide).map((v, i) => [names[i], v]))]);
        expect(await h.rows('users', names)).toEqual([Object.fromEntries(Object.values(wide).map((v, i) => [names[i], v]))]);
        await h.close();
      });
    });
    return;
  }
  // Short values where a few hundred reach the limit (a page); long ones where it takes megabytes,
  // which short values would only reach past the column limit.
  const length = limit.maxBytes <= 100_000 ? 12 : 60_000;
  const count = Math.ceil((1.2 * limit.maxBytes) / (length + 1));

  describe(`row limit (${limit.maxBytes} bytes)`, () => {
    // A call is at most MAX_CALL_BYTES: where that cannot reach the limit (Redshift's 4 MB), only
    // the Storage Actions path below can, through its mappings.
    if (count * (length + 12) < MAX_CALL_BYTES) it("stores a row over the limit with its newest columns' values quarantined, and later syncs go on", async () => {
      const h = await Harness.create(dut);
      const wide = traits(0, count, 'v', length);
      await h.calls([identify('u1', wide, { messageId: 'wide-1', timestamp: '2026-11-23T10:00:00.000Z' })]);
      const first = await h.sync();
      expect(first.status).toBe('Partial');

      const columns = Object.keys(wide).map(name);
      // The row keeps its first traits, each with its value; the rest are quarantined, newest
      // first, and make no column: it would hold nothing (and spend the table's column limit).
      const made = (await h.columns('identifies'))!;
      const kept = columns.filter((c) => made.includes(c));
      expect(kept.length).toBeGreaterThan(count / 3);
      expect(kept).toEqual(columns.slice(0, kept.length));
      const [row] = await h.rows('identifies', ['id', ...kept], []);
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

    it("stores a Storage Actions row over the limit with its newest mapped columns' values quarantined", async () => {
      // One field of the entity context, mapped into as many columns as it takes to be over the limit.
      const value = traits(0, 1, 'v', length).t0!;
      const columns = Object.fromEntries(Array.from({ length: count }, (_, i) => [`c${i}`, { '@path': '$.properties.data_graph_entity_context.field' }]));
      const h = await Harness.create(dut, {
        computations: { carts: { type: 'linked_audience' } },
        activations: { a: { computation: 'carts', table: 'carts', columns, maxEntityContextBytes: 2 * length + 1000 } },
      });
      const result = await h.run({ computation: 'carts', id: 'r1' }, [{ userId: 'u1', entityContext: { field: value } }]);
      expect(result.activations[0]).toMatchObject({ written: 1, refused: 0 });
      expect(result.writes[0]?.status).toBe('Partial');
      const mapped = Object.keys(columns);
      const made = (await h.columns('carts', 'wh', 'default'))!;
      const kept = mapped.filter((c) => made.includes(c));
      const [row] = await h.rows('carts', ['user_id', 'entity_context', ...kept], [], 'wh', 'default');
      expect(row).toMatchObject({ user_id: 'u1', entity_context: JSON.stringify({ field: value }) });
      expect(kept.length).toBeGreaterThan(count / 3);
      expect(kept).toEqual(mapped.slice(0, kept.length));
      for (const c of kept) expect(row![c]).toBe(value);
      const rejects = await h.rows('_stowage_rejects', ['table_name', 'column_name', 'reason'], ['column_name'], 'wh', 'default');
      expect(rejects).toHaveLength(count - kept.length);
      expect(new Set(rejects.map((r) => r.column_name))).toEqual(new Set(mapped.slice(kept.length)));
      for (const r of rejects) expect(r.reason).toContain(`over the ${limit.maxBytes} bytes this warehouse stores in one row`);
      await h.close();
    });

    // A users row is built by the warehouse from rows it holds: bounded where the bound is the
    // stored row's (PostgreSQL), not where it is the loaded one's (Redshift's COPY).
    if (dut.destination.dialect.insertQuarantiningTooBig) usersRowOverLimit(dut, name);
  });
}

/** Each of a user's calls within the limit, their latest values together over it. */
function usersRowOverLimit(dut: DestinationUnderTest, name: (n: string) => string): void {
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
}
