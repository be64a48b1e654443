import { afterAll } from 'vitest';
import { describeDestination, testPostgres } from '@stowage/testkit';
import { postgres } from '../src/index.js';

const server = await testPostgres();
afterAll(() => server.close());

describeDestination(`postgres on ${server.label}`, {
  destination: postgres as never,
  module: '@stowage/destination-postgres',
  settings: async () => ({ url: await server.freshDatabase(), ...(server.copy ? {} : { bulkLoad: 'insert' }) }),
  // Nothing listens on port 1 of loopback: the connection is refused at once.
  unreachable: () => ({ url: 'postgres://postgres@127.0.0.1:1/none', connectTimeoutSeconds: 2 }),
  afterEach: () => server.afterEach(),
  lockWait: server.copy ? { settings: { lockTimeoutSeconds: 0.2 } } : { lacks: 'PGlite serves every connection from one session, so no session holds a lock against another' },
});
