import { afterAll, describe, expect, it } from 'vitest';
import { Harness, removeHarnessDirs } from '@stowage/testkit';
import { joinRejectParts } from '@stowage/core';
import { duckdbUnderTest } from './support/under-test.js';

afterAll(removeHarnessDirs);

const MiB = 1024 * 1024;

describe('a run value of tens of megabytes, under the default memory limit', () => {
  it("quarantines a refused event's 100 MB row in parts, writes the rest of the run, and lets later runs write", async () => {
    // The row of an event over the entity-context limit is kept whole in _stowage_rejects: here a
    // 50 MB cart_id and the 50 MB context holding it. Its CSV line was sized at three bytes a
    // character, 600 MB of read_csv buffer past the 512MB limit: the write failed, its events
    // stayed queued, and every later run of the activation failed the same way.
    const h = await Harness.create(duckdbUnderTest(), {
      computations: { carts: { type: 'linked_audience' } },
      activations: { c: { computation: 'carts', table: 'carts', columns: { cart_id: { '@path': '$.properties.data_graph_entity_context.cart_id' } } } },
    });
    const first = await h.run({ computation: 'carts', id: 'r1', kind: 'delta' }, [
      { userId: 'huge', entityContext: { cart_id: 'p'.repeat(50 * MiB) } },
      { userId: 'ok', entityContext: { cart_id: 'x' } },
    ]);
    expect(first.writes[0]).toMatchObject({ status: 'Partial', rejects: 1 });
    const later = await h.run({ computation: 'carts', id: 'r2', kind: 'delta' }, [{ userId: 'later', entityContext: { cart_id: 'y' } }]);
    expect(later.writes[0]).toMatchObject({ status: 'Success' });
    expect(await h.rows('carts', ['user_id', 'cart_id'], ['user_id'], 'wh', 'default')).toEqual([
      { user_id: 'later', cart_id: 'y' },
      { user_id: 'ok', cart_id: 'x' },
    ]);
    const parts = await h.rows('_stowage_rejects', ['id', 'value', 'reason'], ['reason'], 'wh', 'default');
    expect(parts.map((p) => (p.reason as string).slice(0, 30))).toEqual([expect.stringMatching(/^value \w+, part 1 of 2/), expect.stringMatching(/^value \w+, part 2 of 2/)]);
    const [whole] = joinRejectParts(parts as Array<{ id: string; value: string; reason: string }>);
    expect(JSON.parse(whole!.value)).toMatchObject({ user_id: 'huge', cart_id: 'p'.repeat(50 * MiB) });
    await h.close();
  });
});
