import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Harness, removeHarnessDirs, type DestinationUnderTest } from '@stowage/testkit';
import { duckdb } from '../src/index.js';

const dut: DestinationUnderTest = { destination: duckdb as never, module: '@stowage/destination-duckdb', settings: (dir) => ({ path: join(dir, 'warehouse.duckdb') }) } as DestinationUnderTest;
const computations = { vip: { type: 'audience' }, ltv: { type: 'trait' } };

afterAll(() => removeHarnessDirs());

describe('runs handed to one process at once', () => {
  // The profile state applies a run in one transaction of its connection: runs at once on one
  // instance shared it, and two instances on one state folder were two engines on its file, each
  // committing over the other: each run said it was applied, and only one's state was kept.
  it('are applied one after another, each kept, whether on one instance or two, with a sync meanwhile', async () => {
    const h = await Harness.create(dut, { computations });
    const other = await Harness.create(dut, { computations, reuse: { dir: h.dir, settings: h.settings } });
    const outcomes = await Promise.all([
      h.run({ computation: 'vip', id: 'a1' }, [{ userId: 'u1' }, { userId: 'u2' }]),
      h.run({ computation: 'ltv', id: 'b1', kind: 'delta' }, [{ userId: 'u1', value: 5 }]),
      other.run({ computation: 'ltv', id: 'b2', kind: 'delta' }, [{ userId: 'u2', value: 7 }]),
      h.stowage.sync('wh'),
    ]);
    expect(outcomes.slice(0, 3).map((o) => (o as { applied: boolean }).applied)).toEqual([true, true, true]);
    // Each run's state is there (the two deltas in either order): sent again, nothing changes, and a snapshot of it all changes nothing.
    expect((await h.run({ computation: 'vip', id: 'a1' }, [{ userId: 'u1' }, { userId: 'u2' }])).applied).toBe(false);
    expect((await other.run({ computation: 'ltv', id: 'b3' }, [{ userId: 'u1', value: 5 }, { userId: 'u2', value: 7 }])).changes).toBe(0);
    await h.sync();
    expect(await h.rows('users', ['id', 'vip', 'ltv'])).toEqual([
      { id: 'u1', vip: true, ltv: 5 },
      { id: 'u2', vip: true, ltv: 7 },
    ]);
    await other.close();
    await h.close();
  });
});
