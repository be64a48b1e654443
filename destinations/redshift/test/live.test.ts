import { afterAll, describe, it } from 'vitest';
import { describeDestination } from '@stowage/testkit';
import { redshift } from '../src/index.js';
import { liveRedshift } from './support/live-redshift.js';

/**
 * Live mode: the whole suite against a real Redshift, with Redshift's own dialect (127-byte
 * names) and, when a bucket is given, COPY from S3. Nothing here runs without
 * STOWAGE_TEST_REDSHIFT_URL (see support/live-redshift.ts and docs/warehouses/redshift.md).
 */
const url = process.env.STOWAGE_TEST_REDSHIFT_URL;

if (url) {
  const cluster = await liveRedshift(url);
  afterAll(() => cluster.close());
  describeDestination(`redshift on ${cluster.label}`, {
    destination: redshift as never,
    module: '@stowage/destination-redshift',
    settings: () => cluster.freshSettings(),
    unreachable: () => ({ url: 'postgres://stowage@127.0.0.1:1/none', sslmode: 'disable', connectTimeoutSeconds: 2 }),
    afterEach: () => cluster.afterEach(),
    // As on PostgreSQL through Redshift's dialect (conformance.test.ts): a statement waits for
    // another session's lock for as long as it is held, so the tests of a lock given up on soon
    // cannot be played; run, they fail on the notice of a wait Redshift never gives up.
    lockWait: { lacks: 'Redshift has no lock_timeout: a statement waits for a lock as long as it takes (its serializable isolation violations are tried again)' },
  });
} else {
  // No cluster is reachable from here (no credentials, no internet): the live suite is declared,
  // with the condition that runs it, rather than left out silently.
  describe('redshift on a real cluster', () => {
    it.skipIf(!url)('runs the conformance suite when STOWAGE_TEST_REDSHIFT_URL is set (docs/warehouses/redshift.md#live-mode-tests-against-a-real-cluster)', () => undefined);
  });
}
