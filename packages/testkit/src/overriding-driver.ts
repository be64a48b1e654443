import type { Driver } from '@stowage/core';

/** The session with the methods of `over` put over its own; the others run on it. */
export function overriding(driver: Driver, over: Partial<Driver>): Driver {
  return new Proxy(driver, {
    get(target, name) {
      if (Object.hasOwn(over, name)) return over[name as keyof Driver];
      const value = Reflect.get(target, name, target) as unknown;
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/**
 * The session, its transactions held open after their statements until `release()`: two writers
 * of the same keys made to overlap. `reached` settles once a transaction is held.
 */
export function holdingCommits(driver: Driver): { driver: Driver; reached: Promise<void>; release: () => void } {
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  let reach!: () => void;
  const reached = new Promise<void>((resolve) => (reach = resolve));
  const holding = overriding(driver, {
    transaction: (fn) =>
      driver.transaction(async () => {
        const result = await fn();
        reach();
        await held;
        return result;
      }),
  });
  return { driver: holding, reached, release };
}

/**
 * Two sessions writing the same 100 new keys at once (after `x`, written first to make the
 * table): the first's transaction held open once its statements ran, the second's started
 * meanwhile, and given half a second to commit its copies, were it not made to wait its turn.
 * `meanwhile` runs while the first is held.
 */
export async function writeSameKeysAtOnce<R>(first: Driver, second: Driver, write: (driver: Driver, keys: readonly string[]) => Promise<R>, meanwhile?: () => Promise<void>): Promise<[R, R]> {
  await write(first, ['x']);
  const held = holdingCommits(first);
  const keys = Array.from({ length: 100 }, (_, i) => `k${i}`);
  const a = write(held.driver, keys);
  await held.reached;
  const b = write(second, keys);
  await meanwhile?.();
  await new Promise((resolve) => setTimeout(resolve, 500));
  held.release();
  return Promise.all([a, b]);
}
