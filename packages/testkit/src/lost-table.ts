import { expect } from 'vitest';
import { Harness, type DestinationUnderTest } from './harness.js';

const computations = { carts: { type: 'linked_audience' } };
const activations = { a: { computation: 'carts', table: 'carts' } };
const at = (minute: number) => `2026-11-23T10:${String(minute).padStart(2, '0')}:00.000Z`;

/**
 * An activation whose table the warehouse lost (the database replaced while it was down), its
 * next run's events queued meanwhile: the harness, the warehouse back, for what writes first.
 * Its members: u1 and u2 from run r1, u3 queued by run r2.
 */
export async function lostTableQueuedWhileDown(dut: DestinationUnderTest): Promise<Harness> {
  const first = await Harness.create(dut, { computations, activations });
  await first.run({ computation: 'carts', id: 'r1', completedAt: at(0) }, [{ userId: 'u1' }, { userId: 'u2' }]);
  await first.execute(`DROP TABLE ${dut.destination.dialect.quote('default')}.${dut.destination.dialect.quote('carts')}`);
  const good = first.settings;
  await first.close();
  const down = await Harness.create(dut, { computations, activations, reuse: { dir: first.dir, settings: good }, warehouse: { settings: await dut.unreachable(first.dir) } });
  await down.run({ computation: 'carts', id: 'r2', completedAt: at(1) }, [{ userId: 'u1' }, { userId: 'u2' }, { userId: 'u3' }]);
  await down.close();
  return Harness.create(dut, { computations, activations, reuse: { dir: first.dir, settings: good } });
}

/** The next run, once a write made the lost table again: it writes the members again, each once, and says why. */
export async function expectMembersWrittenAgain(h: Harness): Promise<void> {
  const next = await h.run({ computation: 'carts', id: 'r3', completedAt: at(2) }, [{ userId: 'u1' }, { userId: 'u2' }, { userId: 'u3' }, { userId: 'u4' }]);
  expect(next.notices.join('\n')).toContain('found when another write made it again');
  expect(await h.rows('carts', ['user_id', 'personas_computation_run_id'], ['user_id'], 'wh', 'default')).toEqual([
    { user_id: 'u1', personas_computation_run_id: 'r1' },
    { user_id: 'u2', personas_computation_run_id: 'r1' },
    { user_id: 'u3', personas_computation_run_id: 'r2' },
    { user_id: 'u4', personas_computation_run_id: 'r3' },
  ]);
}
