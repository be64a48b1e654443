import { afterAll } from 'vitest';
import { describeDestination, testPostgres } from '@stowage/testkit';
import redshiftOnPostgres from '../src/testing/on-postgres.js';

/**
 * Redshift's dialect, capabilities and SQL on PostgreSQL, through the insert loader (COPY from
 * S3 is Redshift's own; test/s3-loader.test.ts covers it). The rule PostgreSQL cannot hold, and
 * what it means for the suite:
 * - names are cut at 63 bytes, not 127 (see src/testing/on-postgres.ts);
 * - strings are VARCHAR(65535): longer values are quarantined (`maxStringBytes`), which the
 *   huge-value test checks.
 * The capabilities do the rest: no in-place widening (a fraction in a bigint column is
 * quarantined), no key indexes.
 */
const server = await testPostgres();
afterAll(() => server.close());

describeDestination(`redshift dialect on ${server.label}`, {
  destination: redshiftOnPostgres as never,
  // The suite's killed syncs run in child processes, which import this same destination by name.
  module: '@stowage/destination-redshift/testing/on-postgres',
  // Redshift sessions are encrypted by default; the test servers take plain connections.
  settings: async () => ({ url: await server.freshDatabase(), sslmode: 'disable' }),
  // Nothing listens on port 1 of loopback: the connection is refused at once.
  unreachable: () => ({ url: 'postgres://postgres@127.0.0.1:1/none', sslmode: 'disable', connectTimeoutSeconds: 2 }),
  afterEach: () => server.afterEach(),
  engineLacks: { jsonColumns: "SUPER and JSON_PARSE are Redshift's own; live mode covers them" },
  lockWait: { lacks: 'Redshift has no lock_timeout: a statement waits for a lock as long as it takes (its serializable isolation violations are tried again)' },
});
