import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { Destination } from '@stowage/core';
import { Harness, identify, removeHarnessDirs, testPostgres, type DestinationUnderTest } from '@stowage/testkit';
import { postgres } from '@stowage/destination-postgres';
import redshiftOnPostgres from '../src/testing/on-postgres.js';

const server = await testPostgres();
afterEach(() => server.afterEach());
afterAll(async () => {
  await server.close();
  removeHarnessDirs();
});

const destinations: Array<[string, DestinationUnderTest]> = [
  // PostgreSQL first: on PGlite's one backend, its `SET temp_buffers` must come before any temporary table.
  ['postgres', { destination: postgres as unknown as Destination, module: '@stowage/destination-postgres', settings: async () => ({ url: await server.freshDatabase(), ...(server.copy ? {} : { bulkLoad: 'insert' }) }) }],
  ['redshift dialect', { destination: redshiftOnPostgres as never, module: '@stowage/destination-redshift/testing/on-postgres', settings: async () => ({ url: await server.freshDatabase(), sslmode: 'disable' }) }],
];

describe(`users' latest values whatever DateStyle the database gives its sessions (${server.label})`, () => {
  // Redshift's users recompute orders each value by its timestamp as text: a database (or a
  // parameter group) set to `SQL, DMY` wrote 1 February as `01/02/2026`, before 2 January's
  // `02/01/2026`, and the older value won, silently.
  for (const [name, dut] of destinations) {
    it(`${name}: the value of the latest call by timestamp`, async () => {
      const h = await Harness.create(dut);
      const dmy = "SET DateStyle = 'SQL, DMY'";
      await h.execute(`DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET DateStyle = ''SQL, DMY''', current_database()); END $$`);
      // PGlite serves every connection from one backend, which keeps this for the next one.
      await h.execute(dmy);
      await h.calls([
        identify('u1', { plan: 'new' }, { messageId: 'i2', timestamp: '2026-02-01T00:00:00.000Z' }),
        identify('u1', { plan: 'old' }, { messageId: 'i1', timestamp: '2026-01-02T00:00:00.000Z' }),
      ]);
      expect(await h.sync()).toMatchObject({ status: 'Success' });
      expect(await h.rows('users', ['id', 'plan'])).toEqual([{ id: 'u1', plan: 'new' }]);
      await h.close();
    });
  }
});
