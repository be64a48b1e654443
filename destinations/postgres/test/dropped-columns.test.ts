import { describe, expect, it } from 'vitest';
import { Harness, track } from '@stowage/testkit';
import { postgresForHarness } from './support/dut.js';

const { server, dut } = await postgresForHarness();

describe(`PostgreSQL: a table whose dropped columns still count toward its 1,600 (${server.label})`, () => {
  // PostgreSQL keeps a dropped column's place until the table is made again: a table showing a
  // few columns may have no room for one more ("tables can have at most 1600 columns"), which
  // failed that sync and every one after it, the whole space's calls held back.
  it('quarantines the values of columns past the limit, saying why, and loads the rest', async () => {
    const h = await Harness.create(dut);
    await h.calls([track('u1', 'Order Placed', { total: 10 }, { messageId: 'o1' })]);
    await h.sync();
    const visible = (await h.columns('order_placed'))!.length;
    const extra = Array.from({ length: 1600 - visible - 1 }, (_, i) => `x${i}`);
    await h.execute(`ALTER TABLE engage_default.order_placed ${extra.map((c) => `ADD COLUMN ${c} int`).join(', ')}`);
    await h.execute(`ALTER TABLE engage_default.order_placed ${extra.map((c) => `DROP COLUMN ${c}`).join(', ')}`);
    // One place is left: coupon takes it, gift_note finds none.
    await h.calls([track('u2', 'Order Placed', { total: 20, coupon: 'SPRING', gift_note: 'for mum' }, { messageId: 'o2' }), track('u3', 'Signed Up', { plan: 'pro' }, { messageId: 's1' })]);
    const second = await h.sync();
    expect(second).toMatchObject({ status: 'Partial', rejects: 1 });
    expect(await h.rows('order_placed', ['id', 'total', 'coupon'], ['id'])).toEqual([
      { id: 'o1', total: 10, coupon: null },
      { id: 'o2', total: 20, coupon: 'SPRING' },
    ]);
    expect(await h.rows('signed_up', ['id'])).toEqual([{ id: 's1' }]);
    const rejects = await h.rows('_stowage_rejects', ['id', 'column_name', 'reason']);
    expect(rejects).toEqual([{ id: 'o2', column_name: 'gift_note', reason: expect.stringMatching(/limit of 1600 columns, 1\d{3} of them dropped ones that still count/) }]);
    await h.close();
  });
});
