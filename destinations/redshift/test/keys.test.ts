import { describe, expect, it } from 'vitest';
import { Harness, identify } from '@stowage/testkit';
import { redshiftOnPostgresUnderTest } from './support/on-postgres-under-test.js';
import { dialect } from '../src/dialect.js';

const dut = await redshiftOnPostgresUnderTest();

describe("Redshift's message ids", () => {
  it('compare without their trailing blanks, as Redshift compares VARCHAR values', () => {
    expect(dialect.keyForComparison!('m1  ')).toBe('m1');
    expect(dialect.keyForComparison!(' m1')).toBe(' m1');
    expect(dialect.keyForComparison!('M1')).toBe('M1');
  });

  it('load once when two spellings Redshift takes for one come in one batch: the first in the log', async () => {
    const h = await Harness.create(dut);
    await h.calls([
      { ...identify('u1', { plan: 'pro' }), messageId: 'm1' },
      { ...identify('u1', { plan: 'free' }), messageId: 'm1 ' },
      { ...identify('u2', { plan: 'team' }), messageId: 'm2' },
    ]);
    expect(await h.sync()).toMatchObject({ status: 'Success', calls: 3, duplicates: 1, rows: { identifies: 2 } });
    expect(await h.rows('identifies', ['id', 'plan'], ['id'])).toEqual([
      { id: 'm1', plan: 'pro' },
      { id: 'm2', plan: 'team' },
    ]);
    await h.close();
  });
});
