import pg from 'pg';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { testPostgres } from '@stowage/testkit';
import { privilegeProblems } from '../src/privileges.js';
import { connectPostgres } from '../src/index.js';

const server = await testPostgres();
afterEach(() => server.afterEach());
afterAll(() => server.close());

describe(`PostgreSQL: a statement the role lacks a privilege for (${server.label})`, () => {
  it('fails pointing at stowage check, which names the grants', async () => {
    const role = `stowage_denied_${process.pid}`;
    const driver = await connectPostgres({ url: await server.freshDatabase() });
    try {
      await driver.execute(`DROP ROLE IF EXISTS ${role}`);
      await driver.execute(`CREATE ROLE ${role}`);
      await driver.execute('CREATE SCHEMA engage_denied');
      await driver.execute(`SET ROLE ${role}`);
      await expect(driver.execute('CREATE TABLE engage_denied.t (id text)')).rejects.toThrow(/permission denied for schema engage_denied \(SQLSTATE 42501\); `stowage check` names every privilege the role lacks, with the GRANT to give$/);
      await driver.execute('RESET ROLE');
      await driver.execute('DROP SCHEMA engage_denied');
      await driver.execute(`DROP ROLE ${role}`);
    } finally {
      await driver.close();
    }
  });
});

describe(`PostgreSQL: what stowage check says a role lacks (${server.label})`, () => {
  // Asked as the role (SET ROLE): PGlite's socket serves every connection as its superuser.
  it('names each privilege a sync would fail on, with the grant that mends it, and nothing once granted', async () => {
    const role = `stowage_lacks_${process.pid}`;
    const admin = new pg.Client({ connectionString: await server.freshDatabase() });
    await admin.connect();
    try {
      const db = (await admin.query<{ db: string }>('SELECT current_database() AS db')).rows[0]!.db;
      await admin.query(`DROP ROLE IF EXISTS ${role}`);
      await admin.query(`CREATE ROLE ${role}`);
      await admin.query(`REVOKE CREATE, TEMPORARY ON DATABASE "${db}" FROM PUBLIC`);
      await admin.query('CREATE SCHEMA engage_default');
      await admin.query('CREATE TABLE engage_default.users (id text)');
      await admin.query(`SET ROLE ${role}`);
      const problems = await privilegeProblems(admin, ['engage_default', 'default'], ['engage_default']);
      expect(problems).toEqual([
        `the role "${role}" lacks TEMPORARY on database "${db}" (batches are staged, and users recomputed, in temporary tables): GRANT TEMPORARY ON DATABASE "${db}" TO "${role}"`,
        `the role "${role}" lacks USAGE and CREATE on schema "engage_default": GRANT USAGE, CREATE ON SCHEMA "engage_default" TO "${role}"`,
        `the role "${role}" lacks CREATE on database "${db}", and schema "default" does not exist: GRANT CREATE ON DATABASE "${db}" TO "${role}", or have it made (CREATE SCHEMA "default") and GRANT USAGE, CREATE ON SCHEMA "default" TO "${role}"`,
        `engage_default.users is owned by "postgres", not "${role}": Stowage adds its columns as values arrive, which only the owner may (GRANT ALL is not enough): ALTER TABLE "engage_default"."users" OWNER TO "${role}"`,
      ]);
      await admin.query('RESET ROLE');
      await admin.query(`GRANT CREATE, TEMPORARY ON DATABASE "${db}" TO ${role}`);
      await admin.query(`GRANT USAGE, CREATE ON SCHEMA "engage_default" TO "${role}"`);
      await admin.query(`ALTER TABLE "engage_default"."users" OWNER TO "${role}"`);
      await admin.query(`SET ROLE ${role}`);
      expect(await privilegeProblems(admin, ['engage_default', 'default'], ['engage_default'])).toEqual([]);
      await admin.query('RESET ROLE');
      // A member of the owning role may alter its tables.
      await admin.query(`CREATE ROLE ${role}_owner`);
      await admin.query(`GRANT ${role}_owner TO ${role}`);
      await admin.query(`ALTER TABLE engage_default.users OWNER TO ${role}_owner`);
      await admin.query(`SET ROLE ${role}`);
      expect(await privilegeProblems(admin, ['engage_default', 'default'], ['engage_default'])).toEqual([]);
      await admin.query('RESET ROLE');
      // An activation's existing table of another owner: INSERT on it, and its owner's role where it lacks a column the activation writes.
      await admin.query('CREATE SCHEMA archive');
      await admin.query('CREATE TABLE archive.vipt (id text, received_at timestamptz, user_id text)');
      await admin.query(`GRANT USAGE, CREATE ON SCHEMA archive TO ${role}`);
      const vipt = { schema: 'archive', table: 'vipt', columns: ['id', 'received_at', 'user_id', 'audience_key'], by: ['activation "vip"'] };
      await admin.query(`SET ROLE ${role}`);
      expect(await privilegeProblems(admin, ['archive'], [], [vipt, { ...vipt, table: 'not_made_yet' }])).toEqual([
        `the role "${role}" lacks SELECT and INSERT on archive.vipt, which activation "vip" writes (and reads for the message ids it holds): GRANT SELECT, INSERT ON TABLE "archive"."vipt" TO "${role}"`,
        `archive.vipt lacks the column audience_key that activation "vip" writes, and is owned by "postgres", not "${role}": only its owner may add it: ALTER TABLE "archive"."vipt" OWNER TO "${role}", or add it by hand`,
      ]);
      await admin.query('RESET ROLE');
      // INSERT alone is not enough: a write reads the table for the ids it holds.
      await admin.query(`GRANT INSERT ON archive.vipt TO ${role}`);
      await admin.query('ALTER TABLE archive.vipt ADD COLUMN audience_key text');
      await admin.query(`SET ROLE ${role}`);
      expect(await privilegeProblems(admin, ['archive'], [], [vipt])).toEqual([expect.stringContaining(`the role "${role}" lacks SELECT on archive.vipt`)]);
      await admin.query('RESET ROLE');
      await admin.query(`GRANT SELECT ON archive.vipt TO ${role}`);
      await admin.query(`SET ROLE ${role}`);
      // Every column there, INSERT granted: written without its owner's role.
      expect(await privilegeProblems(admin, ['archive'], [], [vipt])).toEqual([]);
      await admin.query('RESET ROLE');
      // A read-only session is told, a superuser's too (a standby; default_transaction_read_only).
      await admin.query('SET default_transaction_read_only = on');
      await admin.query('BEGIN');
      const readOnly = await privilegeProblems(admin, ['engage_default'], ['engage_default']);
      await admin.query('ROLLBACK');
      await admin.query('SET default_transaction_read_only = off');
      expect(readOnly).toEqual([expect.stringMatching(/^sessions of role "\w+" are read-only \(default_transaction_read_only, or a standby server\)/)]);
    } finally {
      await admin.query('RESET ROLE').catch(() => undefined);
      await admin.query(`DROP OWNED BY ${role}_owner CASCADE`).catch(() => undefined);
      await admin.query(`DROP OWNED BY ${role} CASCADE`).catch(() => undefined);
      await admin.query(`DROP ROLE IF EXISTS ${role}_owner`).catch(() => undefined);
      await admin.query(`DROP ROLE IF EXISTS ${role}`).catch(() => undefined);
      await admin.end();
    }
  });
});

describe(`PostgreSQL: what stands in place of a table (${server.label})`, () => {
  it('names a view, a materialized view or a foreign table, and neither a table nor a name not there', async () => {
    const driver = await connectPostgres({ url: await server.freshDatabase() });
    try {
      await driver.execute('CREATE SCHEMA archive');
      await driver.execute('CREATE VIEW archive.carts AS SELECT 1 AS x');
      await driver.execute('CREATE MATERIALIZED VIEW archive.users AS SELECT 1 AS x');
      await driver.execute('CREATE TABLE archive.vips (id text)');
      // A view of that name in another schema is not this schema's.
      await driver.execute('CREATE VIEW public.vips AS SELECT 1 AS x');
      expect(await driver.notTables('archive', ['vips', 'users', 'gone', 'carts'])).toEqual([
        { name: 'users', kind: 'a materialized view' },
        { name: 'carts', kind: 'a view' },
      ]);
      expect(await driver.notTables('archive', [])).toEqual([]);
    } finally {
      await driver.close();
    }
  });
});

// A server's databases may be made in another encoding; PGlite holds one database, made in UTF8.
describe.skipIf(!server.copy)(`PostgreSQL: a database that cannot hold every character (${server.label})`, () => {
  it('is named by stowage check, and a value it refuses fails with what to do', async () => {
    const utf8 = new URL(await server.freshDatabase());
    const name = `${utf8.pathname.slice(1)}_latin1`;
    const admin = new pg.Client({ connectionString: utf8.toString() });
    await admin.connect();
    try {
      await admin.query(`CREATE DATABASE "${name}" ENCODING 'LATIN1' TEMPLATE template0 LC_COLLATE 'C' LC_CTYPE 'C'`);
      const latin1 = new URL(utf8.toString());
      latin1.pathname = `/${name}`;
      const client = new pg.Client({ connectionString: latin1.toString() });
      await client.connect();
      try {
        expect(await privilegeProblems(client, [], [])).toEqual([`database "${name}" stores text as LATIN1, which cannot hold every character a call or context may carry: a value outside it fails its sync, or its activation's write, on every try (SQLSTATE 22P05); load into a database created with ENCODING 'UTF8'`]);
      } finally {
        await client.end();
      }
      const driver = await connectPostgres({ url: latin1.toString() });
      try {
        await driver.execute('CREATE TABLE t (v text)');
        await driver.execute("INSERT INTO t VALUES ('café')");
        await expect(driver.execute("INSERT INTO t VALUES ('5 €')")).rejects.toThrow(/\(SQLSTATE 22P05\).*load into a database created with ENCODING 'UTF8' \(`stowage check` tells a database's encoding\)$/);
      } finally {
        await driver.close();
      }
    } finally {
      await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await admin.end();
    }
  });

  it('names a database read-only by its own setting, with the setting to undo', async () => {
    const url = await server.freshDatabase();
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    const db = (await admin.query<{ db: string }>('SELECT current_database() AS db')).rows[0]!.db;
    await admin.query(`ALTER DATABASE "${db}" SET default_transaction_read_only = on`);
    await admin.end();
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      expect(await privilegeProblems(client, [], [])).toEqual([expect.stringMatching(/are read-only .*: point the warehouse at the primary, or ALTER DATABASE "[^"]+" SET default_transaction_read_only = off$/)]);
    } finally {
      await client.query('SET default_transaction_read_only = off');
      await client.query(`ALTER DATABASE "${db}" RESET default_transaction_read_only`);
      await client.end();
    }
  });
});
