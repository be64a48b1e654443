import { afterAll, describe, expect, it } from 'vitest';
import { Harness, identify, removeHarnessDirs } from '@stowage/testkit';
import { duckdb } from '../src/index.js';
import { duckdbUnderTest } from './support/under-test.js';

afterAll(() => removeHarnessDirs());

const dut = duckdbUnderTest();

const at = (minute: number) => `2026-11-23T10:${String(minute).padStart(2, '0')}:00.000Z`;

describe("DuckDB: a column a user's index or key holds", () => {
  // DuckDB refuses to change the type of any column of a table that has an index (CREATE INDEX),
  // and of a UNIQUE or PRIMARY KEY column; the widening ALTER would fail the sync, and every later one.
  it('keeps its type: the fraction is quarantined, naming the index, and later syncs go on', async () => {
    const h = await Harness.create(dut);
    await h.calls([identify('u1', { ltv: 100, score: 1, plan: 'free' }, { messageId: 'i1', timestamp: at(1) })]);
    await h.sync();
    await h.execute('CREATE INDEX "by user" ON engage_default.identifies (user_id)');
    await h.calls([identify('u2', { ltv: 99.5, score: 2.5 }, { messageId: 'i2', timestamp: at(2) })]);
    const second = await h.sync();
    expect(second).toMatchObject({ status: 'Partial', rejects: 2 });
    expect(second.notices.join('\n')).toContain('identifies.ltv stays bigint: the table has the index "by user", which keeps the type of its every column, so values that need double are quarantined');
    expect(await h.columnTypes('identifies')).toMatchObject({ ltv: 'bigint', score: 'bigint' });
    expect(await h.rows('users', ['id', 'ltv', 'score'])).toEqual([{ id: 'u1', ltv: 100, score: 1 }, { id: 'u2', ltv: null, score: null }]);
    expect(await h.rows('_stowage_rejects', ['id', 'column_name', 'value'], ['column_name'])).toEqual([{ id: 'i2', column_name: 'ltv', value: '99.5' }, { id: 'i2', column_name: 'score', value: '2.5' }]);
    const [reject] = await h.rows('_stowage_rejects', ['reason']);
    expect(reject!.reason).toContain('the table has the index "by user"');
    // New columns are added to the indexed table as before.
    await h.calls([identify('u3', { ltv: 7, tier: 'gold' }, { messageId: 'i3', timestamp: at(3) })]);
    expect((await h.sync()).status).toBe('Success');
    expect(await h.rows('users', ['id', 'ltv', 'tier'], ['id'])).toEqual([{ id: 'u1', ltv: 100, tier: null }, { id: 'u2', ltv: null, tier: null }, { id: 'u3', ltv: 7, tier: 'gold' }]);
    await h.close();
  });

  it('reads the columns of indexes and keys from the catalog', async () => {
    const h = await Harness.create(dut);
    await h.execute('CREATE SCHEMA s');
    await h.execute('CREATE TABLE s.t (id VARCHAR PRIMARY KEY, n BIGINT, "Odd Name" BIGINT, m BIGINT UNIQUE, c BIGINT CHECK (c > 0), free BIGINT)');
    await h.execute('CREATE TABLE s.indexed (id VARCHAR, n BIGINT)');
    await h.execute('CREATE INDEX "by n" ON s.indexed ((n + 1))');
    await h.execute('CREATE TABLE s.generating (n BIGINT, twice BIGINT GENERATED ALWAYS AS (n * 2) VIRTUAL)');
    const driver = await duckdb.connect(h.settings as never, { root: h.dir });
    try {
      const pinned = await driver.pinnedColumns!('s');
      // A key pins its own columns; an index every column of its table.
      expect(Object.fromEntries(pinned.get('t')!)).toEqual({ id: 'a PRIMARY KEY constraint holds it', m: 'a UNIQUE constraint holds it', c: 'a CHECK constraint holds it' });
      expect(Object.fromEntries(pinned.get('indexed')!)).toEqual({ id: 'the table has the index "by n", which keeps the type of its every column', n: 'the table has the index "by n", which keeps the type of its every column' });
      // The catalog does not say which columns a generated column reads: all of them are held.
      const generated = 'the table has a generated column, which keeps the type of the columns it reads';
      expect(Object.fromEntries(pinned.get('generating')!)).toEqual({ n: generated, twice: generated });
      expect(pinned.has('free')).toBe(false);
    } finally {
      await driver.close();
      await h.close();
    }
  });
});
