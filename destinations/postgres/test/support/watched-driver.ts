import type { Destination, Driver } from '@stowage/core';
import type { DestinationUnderTest, TestPostgres } from '@stowage/testkit';
import { postgresUnderTest } from './dut.js';

/**
 * PostgreSQL on the test server, each session's driver calls of the methods named in `watched`
 * reported to `seen` (method name and arguments) before they run, in order.
 */
export function watchedPostgres(server: TestPostgres, watched: ReadonlySet<string>, seen: (method: string, args: unknown[]) => void): DestinationUnderTest {
  const dut = postgresUnderTest(server);
  const watch = (driver: Driver): Driver =>
    new Proxy(driver, {
      get(target, name, receiver) {
        const value = Reflect.get(target, name, receiver) as unknown;
        if (typeof value !== 'function') return value;
        if (!watched.has(String(name))) return value.bind(target);
        return (...args: unknown[]) => {
          seen(String(name), args);
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
  const destination = dut.destination;
  return { ...dut, destination: { ...destination, connect: async (settings, context) => watch(await destination.connect(settings as never, context)) } as Destination };
}
