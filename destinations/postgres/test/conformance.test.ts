import { afterAll } from 'vitest';
import { describeDestination, testPostgres } from '@stowage/testkit';
import { postgresUnderTest } from './support/dut.js';

const server = await testPostgres();
afterAll(() => server.close());

describeDestination(`postgres on ${server.label}`, {
  ...postgresUnderTest(server),
  afterEach: () => server.afterEach(),
  lockWait: server.copy ? { settings: { lockTimeoutSeconds: 0.2 } } : { lacks: 'PGlite serves every connection from one session, so no session holds a lock against another' },
});
