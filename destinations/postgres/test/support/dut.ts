import type { Destination } from '@stowage/core';
import type { DestinationUnderTest, TestPostgres } from '@stowage/testkit';
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
