import { describe, expect, it } from 'vitest';
import { Harness, identify } from '@stowage/testkit';
import { postgresForHarness } from './support/dut.js';

const { server, dut } = await postgresForHarness();

describe(`PostgreSQL: a column a user's generated column reads (${server.label})`, () => {
  // "cannot alter type of a column used by a generated column": the widening ALTER would fail
  // that sync and every one after it.
  it('keeps its type: the fraction is quarantined, naming the generated column, and later syncs go on', async () => {
    const h = await Harness.create(dut);
    await h.calls([identify('u1', { ltv: 100 }, { messageId: 'g1' })]);
    await h.sync();
    await h.execute('ALTER TABLE engage_default.identifies ADD COLUMN ltv_twice bigint GENERATED ALWAYS AS (ltv * 2) STORED');
    await h.calls([identify('u2', { ltv: 99.5 }, { messageId: 'g2' })]);
    const second = await h.sync();
    expect(second).toMatchObject({ status: 'Partial', rejects: 1 });
    expect(second.notices.join('\n')).toContain('identifies.ltv stays bigint: the generated column "ltv_twice" reads it, so values that need double are quarantined');
    expect(await h.columnTypes('identifies')).toMatchObject({ ltv: 'bigint' });
    expect(await h.rows('identifies', ['id', 'ltv', 'ltv_twice'], ['id'])).toEqual([
      { id: 'g1', ltv: 100, ltv_twice: 200 },
      { id: 'g2', ltv: null, ltv_twice: null },
    ]);
    await h.calls([identify('u3', { ltv: 7, tier: 'gold' }, { messageId: 'g3' })]);
    expect(await h.sync()).toMatchObject({ status: 'Success' });
    expect(await h.rows('identifies', ['id', 'ltv_twice', 'tier'], ['id'])).toContainEqual({ id: 'g3', ltv_twice: 14, tier: 'gold' });
    await h.close();
  });
});
