import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { Harness, identify, track } from '@stowage/testkit';
import { postgresForHarness } from './support/dut.js';

const { server, dut } = await postgresForHarness();

describe(`PostgreSQL: a space schema made for Stowage's user by an administrator (${server.label})`, () => {
  // The common set-up where Stowage's user may not create schemas: the administrator makes
  // `engage_default`, owned by (or granted to) that user. `CREATE SCHEMA IF NOT EXISTS` checks
  // CREATE on the database before it looks for the schema, so it failed every sync. (PGlite's
  // socket serves every connection as its one superuser: there the sync passes either way.)
  it('loads into it without asking to create it', async () => {
    const role = `stowage_granted_${process.pid}`;
    let admin: pg.Client | undefined;
    const h = await Harness.create({
      ...dut,
      settings: async (dir) => {
        const settings = await dut.settings(dir);
        admin = new pg.Client({ connectionString: settings.url as string });
        await admin.connect();
        const database = (await admin.query<{ db: string }>('SELECT current_database() AS db')).rows[0]!.db;
        await admin.query(`DROP ROLE IF EXISTS ${role}`);
        await admin.query(`CREATE ROLE ${role} LOGIN`);
        await admin.query(`REVOKE CREATE ON DATABASE "${database}" FROM PUBLIC`);
        await admin.query(`CREATE SCHEMA engage_default AUTHORIZATION ${role}`);
        const url = new URL(settings.url as string);
        url.username = role;
        return { ...settings, url: url.toString() };
      },
    });
    try {
      await h.calls([identify('u1', { plan: 'pro' }, { messageId: 'i1' }), track('u1', 'Order Placed', { total: 10 }, { messageId: 'o1' })]);
      const sync = await h.sync();
      expect(sync.error).toBeUndefined();
      expect(sync.status).toBe('Success');
      expect(await h.rows('users', ['id', 'plan'])).toEqual([{ id: 'u1', plan: 'pro' }]);
      expect(await h.rows('order_placed', ['id', 'total'])).toEqual([{ id: 'o1', total: 10 }]);
    } finally {
      await h.close();
      if (admin) {
        // The database goes after the test; the role is the cluster's, and owns nothing elsewhere.
        await admin.query(`DROP OWNED BY ${role} CASCADE`);
        await admin.end();
      }
    }
  });
});
