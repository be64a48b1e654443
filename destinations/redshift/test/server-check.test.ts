import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { testPostgres } from '@stowage/testkit';
import { redshift } from '../src/index.js';
import { ensureRedshift } from '../src/server-check.js';

const server = await testPostgres();
afterEach(() => server.afterEach());
afterAll(() => server.close());

describe(`a redshift warehouse given a PostgreSQL server (${server.label})`, () => {
  // PostgreSQL takes Redshift's SQL but cuts names at 63 bytes where Redshift's dialect keeps 127:
  // the first long trait name made a column that the next sync could not find, and every sync failed.
  it('is refused as the session opens, saying what the server is and which type to give it', async () => {
    const url = await server.freshDatabase();
    const refused = await redshift.connect({ url, sslmode: 'disable' }, { root: '.' }).then(() => undefined, (error: Error) => error.message);
    expect(refused).toMatch(/ is not Amazon Redshift \(it says: PostgreSQL [\d.]+.*\): for a PostgreSQL server, give the warehouse "type": "postgres"$/);
    // The server as the settings name it (127.0.0.1 stays 127.0.0.1).
    const { host, pathname } = new URL(url);
    expect(refused!.startsWith(`${host}${pathname} is not`)).toBe(true);
  });

  it("gives a session of Redshift the settings only Redshift has, once its version says so", async () => {
    const url = await server.freshDatabase();
    // A version() that says Redshift, found before pg_catalog's.
    const pg = (await import('pg')).default;
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await client.query('CREATE SCHEMA fake');
      await client.query("CREATE FUNCTION fake.version() RETURNS text AS $$ SELECT 'PostgreSQL 8.0.2 on i686-pc-linux-gnu, Redshift 1.0.77467'::text $$ LANGUAGE sql");
      await client.query('DO $$ BEGIN EXECUTE format(\'ALTER DATABASE %I SET search_path = fake, pg_catalog, public\', current_database()); END $$');
    } finally {
      await client.end();
    }
    // PostgreSQL has no describe_field_name_in_uppercase: the session is refused on it, which shows it was asked.
    await expect(redshift.connect({ url, sslmode: 'disable' }, { root: '.' })).rejects.toThrow(/describe_field_name_in_uppercase/);
  });

  it("takes the URL's sslmode where the settings give none, as pg does (the default `require` hid it)", async () => {
    const url = await server.freshDatabase();
    const plain = `${url}${url.includes('?') ? '&' : '?'}sslmode=disable`;
    // Connected without TLS (the test server has none), then told apart from Redshift.
    await expect(redshift.connect({ url: plain }, { root: '.' })).rejects.toThrow(/ is not Amazon Redshift/);
  });
});

describe('the check of the server', () => {
  // A session whose question fails is not handed to anyone: left open, it kept the process alive.
  it('closes the session when version() fails, and passes the failure on', async () => {
    let closed = 0;
    const session = {
      query: () => Promise.reject(new Error('permission denied for function version')),
      execute: async () => 0,
      close: async () => void closed++,
    };
    await expect(ensureRedshift(session, 'server at example:5439')).rejects.toThrow('permission denied for function version');
    expect(closed).toBe(1);
  });

  it('closes the session of a server that is not Redshift, and keeps that of one that is', async () => {
    let closed = 0;
    const answering = (version: string) => ({ query: async <T>() => [{ version }] as T[], execute: async () => 0, close: async () => void closed++ });
    await expect(ensureRedshift(answering('PostgreSQL 15.20 on x86_64-pc-linux-gnu'), 'server at example:5439')).rejects.toThrow(/^server at example:5439 is not Amazon Redshift \(it says: PostgreSQL 15\.20 on x86_64-pc-linux-gnu\)/);
    expect(closed).toBe(1);
    await ensureRedshift(answering('PostgreSQL 8.0.2 on i686-pc-linux-gnu, compiled by GCC gcc (GCC) 3.4.2 20041017 (Red Hat 3.4.2-6.fc3), Redshift 1.0.77467'), 'server at example:5439');
    expect(closed).toBe(1);
  });

  // A parameter group (or `ALTER USER … SET`) may name every column of a result in upper case:
  // the version came back as `VERSION`, read as none, and Redshift was refused as not Redshift;
  // every other result of the session read as empty.
  it('reads the version whatever the case of its column, and names columns in lower case from then on', async () => {
    const statements: string[] = [];
    const session = {
      query: async <T>() => [{ VERSION: 'PostgreSQL 8.0.2 on i686-pc-linux-gnu, Redshift 1.0.77467' }] as T[],
      execute: async (sql: string) => (statements.push(sql), 0),
      close: async () => undefined,
    };
    await ensureRedshift(session, 'server at example:5439');
    expect(statements).toEqual(['SET describe_field_name_in_uppercase TO off']);
  });

  it('closes the session when a setting of Redshift fails, and passes the failure on', async () => {
    let closed = 0;
    const session = {
      query: async <T>() => [{ version: 'PostgreSQL 8.0.2, Redshift 1.0.77467' }] as T[],
      execute: () => Promise.reject(new Error('permission denied to set parameter')),
      close: async () => void closed++,
    };
    await expect(ensureRedshift(session, 'server at example:5439')).rejects.toThrow('permission denied to set parameter');
    expect(closed).toBe(1);
  });
});
