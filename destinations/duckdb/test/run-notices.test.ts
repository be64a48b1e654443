import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Harness, removeHarnessDirs } from '@stowage/testkit';
import { duckdbUnderTest } from './support/under-test.js';

const dut = duckdbUnderTest();

afterAll(() => removeHarnessDirs());

describe("a run's own notices", () => {
  it("tell of the profile state's texts file that could not be compacted after the run, which is applied; the next run compacts it", async () => {
    const h = await Harness.create(dut, { computations: { carts: { type: 'linked_audience' } }, activations: { a: { computation: 'carts', table: 'carts' } }, compactContextsFrom: 1 });
    const state = join(h.dir, '.stowage');
    await h.run({ computation: 'carts', id: 'r1', completedAt: '2026-12-05T01:00:00.000Z' }, [{ userId: 'u1', entityContext: { cart_id: 'c1' } }]);
    expect(existsSync(join(state, 'contexts-0.texts'))).toBe(true);
    // The next generation's file cannot be made.
    mkdirSync(join(state, 'contexts-1.texts'));
    // u1's context replaced (no change to write): half the file is dead, a compaction is due.
    const result = await h.run({ computation: 'carts', id: 'r2', completedAt: '2026-12-05T02:00:00.000Z' }, [{ userId: 'u1', entityContext: { cart_id: 'c2' } }]);
    expect(result).toMatchObject({ applied: true, changes: 0 });
    expect(result.notices).toEqual([expect.stringMatching(/^the run is applied, but the entity contexts' file of the profile state could not be compacted/)]);
    rmSync(join(state, 'contexts-1.texts'), { recursive: true });
    // Compacted at the next run; u1 exits with its last context.
    const third = await h.run({ computation: 'carts', id: 'r3', completedAt: '2026-12-05T03:00:00.000Z' }, []);
    expect(third.notices).toEqual([]);
    expect(existsSync(join(state, 'contexts-1.texts'))).toBe(true);
    expect((await h.rows('carts', ['event_name', 'entity_context'], ['event_name'], 'wh', 'default')).map((r) => [r.event_name, JSON.parse(r.entity_context as string)])).toEqual([
      ['Audience Entered', { cart_id: 'c1' }],
      ['Audience Exited', { cart_id: 'c2' }],
    ]);
    await h.close();
  });

  /**
   * A run that fails in the profile state after a chunk of its changes was handed on: x's context
   * changed in the state's texts file, byte for byte, so its exit (after 10,000 members enter, a
   * chunk of them handed on first) cannot be read back. The record of its write, in the history.
   */
  async function runFailingAfterAChunk(activation: Record<string, string>) {
    const h = await Harness.create(dut, { computations: { carts: { type: 'linked_audience' } }, activations: { a: { computation: 'carts', table: 'carts', ...activation } } });
    await h.run({ computation: 'carts', id: 'r1', completedAt: '2026-12-05T01:00:00.000Z' }, [{ userId: 'x', entityContext: { cart_id: 'cx' } }]);
    const texts = join(h.dir, '.stowage', 'contexts-0.texts');
    writeFileSync(texts, readFileSync(texts, 'utf8').replace('cx', 'cy'));
    const entering = Array.from({ length: 10_000 }, (_, i) => ({ userId: `u${i}`, entityContext: { cart_id: `c${i}` } }));
    await expect(h.run({ computation: 'carts', id: 'r2', completedAt: '2026-12-05T02:00:00.000Z' }, entering)).rejects.toThrow(/was changed outside Stowage/);
    const [write] = h.stowage.history.list().filter((r) => r.trigger === 'run r2');
    return { h, write: write! };
  }

  it('record a write whose run failed after it kept events queued (a missing schema) as Failure, saying they stay queued, as its notice does', async () => {
    const { h, write } = await runFailingAfterAChunk({ schema: 'archive' });
    expect(write).toMatchObject({ status: 'Failure', notices: [expect.stringMatching(/^[\d,]+ events? stays? queued: /)] });
    const queued = /^([\d,]+)/.exec(write.notices[0]!)![1]!;
    expect(Number(queued.replaceAll(',', ''))).toBeGreaterThan(1);
    expect(write.error).toMatch(new RegExp(`^the run failed: .*was changed outside Stowage.* \\(its 0 events written stand; the ${queued} it kept queued stay so, as the notices say: sending the run again writes the rest, and none of these twice\\)$`));
    await h.close();
  });

  it('record a write whose run then failed in the profile state as Failure, saying the events written stand and that sending the run again writes the rest once', async () => {
    const { h, write } = await runFailingAfterAChunk({});
    expect(write).toMatchObject({ status: 'Failure' });
    expect(write.calls).toBeGreaterThan(0);
    expect(write.error).toMatch(/^the run failed: .*was changed outside Stowage.*; nothing of this run was applied \(its \d+ events written stand, none is queued: sending the run again writes the rest, and none of these twice\)$/);
    expect(write.error).toContain(`its ${write.calls} events written stand`);
    expect(await h.rows('carts', ['user_id'], [], 'wh', 'default')).toHaveLength(1 + write.calls);
    await h.close();
  });
});
