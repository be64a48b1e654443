import type { DestinationUnderTest, TestPostgres } from '@stowage/testkit';
import redshiftOnPostgres from '../../src/testing/on-postgres.js';

/** The Redshift destination on a test PostgreSQL server, as the tests beside the suite's use it (conformance.test.ts says what differs). */
export function redshiftOnPostgresUnderTest(server: TestPostgres): DestinationUnderTest {
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
