import { afterAll, afterEach } from 'vitest';
import type { Destination } from '@stowage/core';
import { removeHarnessDirs, testPostgres, type DestinationUnderTest, type TestPostgres } from '@stowage/testkit';
import { postgres } from '../../src/index.js';

/** The PostgreSQL destination on a test server (the real one, or PGlite through the insert loader). */
export function postgresUnderTest(server: TestPostgres): DestinationUnderTest {
  return {
    destination: postgres as unknown as Destination,
    module: '@stowage/destination-postgres',
    settings: async () => ({ url: await server.freshDatabase(), ...(server.copy ? {} : { bulkLoad: 'insert' }) }),
    // Nothing listens on port 1 of loopback: the connection is refused at once.
    unreachable: () => ({ url: 'postgres://postgres@127.0.0.1:1/none', connectTimeoutSeconds: 2 }),
  };
}

/**
 * A test file's server and the destination on it, for tests through the harness: each test's
 * databases dropped after it, the server and the harnesses' folders let go of after the file.
 */
export async function postgresForHarness(): Promise<{ server: TestPostgres; dut: DestinationUnderTest }> {
  const server = await testPostgres();
  afterEach(() => server.afterEach());
  afterAll(async () => {
    await server.close();
    removeHarnessDirs();
  });
  return { server, dut: postgresUnderTest(server) };
}
