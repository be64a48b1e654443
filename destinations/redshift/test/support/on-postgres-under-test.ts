import { afterAll, afterEach } from 'vitest';
import { removeHarnessDirs, testPostgres, type DestinationUnderTest } from '@stowage/testkit';
import redshiftOnPostgres from '../../src/testing/on-postgres.js';

/**
 * The Redshift destination on a test PostgreSQL server (conformance.test.ts says what differs
 * from Redshift), for a test file beside the suite's: its databases dropped after each test, the
 * server and the harnesses' folders let go of after the file.
 */
export async function redshiftOnPostgresUnderTest(): Promise<DestinationUnderTest> {
  const server = await testPostgres();
  afterEach(() => server.afterEach());
  afterAll(async () => {
    await server.close();
    removeHarnessDirs();
  });
  return {
    destination: redshiftOnPostgres as never,
    // Child processes (killed syncs) import this same destination by name.
    module: '@stowage/destination-redshift/testing/on-postgres',
    // Redshift sessions are encrypted by default; the test servers take plain connections.
    settings: async () => ({ url: await server.freshDatabase(), sslmode: 'disable' }),
    // Nothing listens on port 1 of loopback: the connection is refused at once.
    unreachable: () => ({ url: 'postgres://postgres@127.0.0.1:1/none', sslmode: 'disable', connectTimeoutSeconds: 2 }),
  };
}
