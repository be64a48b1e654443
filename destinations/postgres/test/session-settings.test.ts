import { afterAll, afterEach, describe, expect, it } from 'vitest';
import pg from 'pg';
import { removeHarnessDirs, testPostgres } from '@stowage/testkit';
import { connectPostgres, postgres } from '../src/index.js';
import { clientConfig } from '../src/client-config.js';

const server = await testPostgres();
afterEach(() => server.afterEach());
afterAll(async () => {
  await server.close();
  removeHarnessDirs();
});

describe(`PostgreSQL sessions (${server.label})`, () => {
  it("connect where the settings' keys say, over the URL's parts", async () => {
    const url = new URL(await server.freshDatabase());
    const database = decodeURIComponent(url.pathname.slice(1));
    const port = Number(url.port || 5432);
    // The URL names a port nothing listens on and a database that does not exist; the keys name the right ones.
    const wrong = new URL(url);
    wrong.port = '1';
    wrong.pathname = '/no_such_database';
    const driver = await connectPostgres({ url: wrong.toString(), port, database, ...(server.copy ? {} : { bulkLoad: 'insert' }) });
    try {
      expect(await driver.query('SELECT current_database() AS db')).toEqual([{ db: database }]);
    } finally {
      await driver.close();
    }
  });

  it('refuse a port or connect timeout the client cannot use, and tell a connect that fails before it has a socket', async () => {
    expect(postgres.settingsProblems!({ host: 'h', port: 99_999, connectTimeoutSeconds: -5 })).toEqual([
      'port: expected a TCP port from 1 to 65535, not 99999',
      'connectTimeoutSeconds: expected a number of seconds from 1 to 2147483, not -5',
    ]);
    expect(postgres.settingsProblems!({ host: 'h', port: 5432, connectTimeoutSeconds: 10 })).toEqual([]);
    // Past validation (the library's own caller): an error, where the command used to end without a word.
    await expect(connectPostgres({ host: '127.0.0.1', port: 99_999 })).rejects.toThrow(/^Cannot connect to .*Port should be >= 0 and < 65536/);
  });

  it('wait a lock no longer than lockTimeoutSeconds says, however small: a fraction of a millisecond is 1 ms, never 0 (wait as long as it takes)', async () => {
    const url = await server.freshDatabase();
    const timeouts: string[] = [];
    for (const lockTimeoutSeconds of [0.0004, 0.2, 0]) {
      const driver = await connectPostgres({ url, lockTimeoutSeconds, ...(server.copy ? {} : { bulkLoad: 'insert' }) });
      try {
        const [row] = await driver.query<{ t: string }>("SELECT current_setting('lock_timeout') AS t");
        timeouts.push(row!.t);
      } finally {
        await driver.close();
      }
    }
    // Rounded to 0, 0.0004 s was lock_timeout 0: a sync behind another session's lock waited for ever.
    expect(timeouts).toEqual(['1ms', '200ms', '0']);
  });

  it("read a URL's sslmode as libpq does (require: encrypted, the certificate unchecked), and let the sslmode key win", () => {
    expect(clientConfig({ url: 'postgres://u@db.internal/a?sslmode=require' }).ssl).toEqual({ rejectUnauthorized: false });
    expect(clientConfig({ url: 'postgres://u@db.internal/a?sslmode=verify-full' }).ssl).toEqual({});
    expect(clientConfig({ url: 'postgres://u@db.internal/a?sslmode=require', sslmode: 'disable' }).ssl).toBe(false);
    expect(clientConfig({ url: 'postgres://u@db.internal:6000/a?application_name=etl', port: 6001, user: 'v' })).toMatchObject({ host: 'db.internal', port: 6001, database: 'a', user: 'v', application_name: 'etl' });
    expect(clientConfig({ host: 'h' })).toMatchObject({ host: 'h', application_name: 'stowage' });
  });

  it("connect with a URL's sslmode=prefer or allow whether the server has TLS or not, as libpq does, and refuse an sslmode libpq does not know", async () => {
    const url = await server.freshDatabase();
    for (const mode of ['prefer', 'allow']) {
      const driver = await connectPostgres({ url: `${url}${url.includes('?') ? '&' : '?'}sslmode=${mode}`, ...(server.copy ? {} : { bulkLoad: 'insert' }) });
      try {
        expect(await driver.query('SELECT 1 AS one'), mode).toEqual([{ one: 1 }]);
      } finally {
        await driver.close();
      }
    }
    for (const mode of ['disabled', 'bogus']) expect(postgres.settingsProblems!({ url: `postgres://u@h/db?sslmode=${mode}` })).toEqual([`url: sslmode=${mode} is not an sslmode: libpq's are disable, allow, prefer, require, verify-ca, verify-full (and pg's own no-verify)`]);
  });

  // pg-connection-string copies every URL parameter into the client's configuration, and the
  // client reads only its own: the rest were dropped without a word.
  it("refuse a misspelt URL parameter the client would drop (a misspelt sslmode connected without TLS), take providers' strings, and read libpq's connect_timeout and channel_binding", () => {
    const problems = (query: string) => postgres.settingsProblems!({ url: `postgres://u:s3cret@h/db?${query}` });
    expect(problems('sslmod=require')).toEqual(['url: sslmod is not a connection parameter (did you mean sslmode?): the client would ignore it']);
    expect(problems('SSLMODE=require')[0]).toContain('(did you mean sslmode?)');
    expect(problems('sslmode=require&dbname=other')[0]).toMatch(/^url: dbname=… in the query is not read \(the database is the URL's path\)/);
    expect(problems('channel_binding=always')).toEqual(["url: channel_binding=always is not one of libpq's: disable, prefer, require"]);
    // Neon's, Prisma's and others' strings as they give them.
    for (const query of ['sslmode=require&channel_binding=require', 'pgbouncer=true&connection_limit=1&schema=public', 'keepalives=1&gssencmode=disable&target_session_attrs=any']) expect(problems(query), query).toEqual([]);
    expect(clientConfig({ url: 'postgres://u@h/db?sslmode=require&channel_binding=require' }).enableChannelBinding).toBe(true);
    expect(clientConfig({ url: 'postgres://u@h/db' }).enableChannelBinding).toBeUndefined();
    expect(problems('connect_timeout=0')[0]).toMatch(/^url: connect_timeout=0 is not a whole number of seconds from 1 to 2147483/);
    // 1.5 is a number from 1 to 2147483: what is wrong with it is its fraction, which libpq does not read.
    expect(problems('connect_timeout=1.5')[0]).toMatch(/^url: connect_timeout=1\.5 is not a whole number of seconds from 1 to 2147483/);
    expect(problems('connect_timeout=soon')[0]).toMatch(/^url: connect_timeout=soon is not/);
    for (const query of ['sslmode=require&application_name=etl&connect_timeout=3', 'options=-c%20search_path%3Dx&statement_timeout=5', 'host=/tmp&port=5433&user=v&password=p']) expect(problems(query), query).toEqual([]);
    expect(problems('sslmod=require').join()).not.toContain('s3cret');
    expect(clientConfig({ url: 'postgres://u@h/db?connect_timeout=3' }).connectionTimeoutMillis).toBe(3000);
    expect(clientConfig({ url: 'postgres://u@h/db?connect_timeout=3', connectTimeoutSeconds: 7 }).connectionTimeoutMillis).toBe(7000);
    expect(clientConfig({ url: 'postgres://u@h/db' }).connectionTimeoutMillis).toBe(10_000);
  });

  // Managed servers often give application roles a statement_timeout, and an idle-in-transaction
  // one. A load's statements (a users refresh, a large COPY) may run longer: killed at the same
  // point on every retry, the sync would never finish.
  it("are not cut short by a role's or a database's statement and idle-in-transaction timeouts, and end a transaction whose client stopped answering after 15 minutes", async () => {
    const url = await server.freshDatabase();
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      await admin.query(`DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET statement_timeout = 20', current_database()); EXECUTE format('ALTER DATABASE %I SET idle_in_transaction_session_timeout = 20', current_database()); IF current_setting('server_version_num')::int >= 140000 THEN EXECUTE format('ALTER DATABASE %I SET idle_session_timeout = 20000', current_database()); END IF; END $$`);
      // PGlite serves every connection from one backend, which keeps these for the next one.
      await admin.query('SET statement_timeout = 20');
      await admin.query('SET idle_in_transaction_session_timeout = 20');
      await admin.query("SELECT set_config(name, '20000', false) FROM pg_settings WHERE name = 'idle_session_timeout'");
    } finally {
      await admin.end();
    }
    const driver = await connectPostgres({ url, ...(server.copy ? {} : { bulkLoad: 'insert' }) });
    try {
      expect(await driver.query('SHOW statement_timeout')).toEqual([{ statement_timeout: '0' }]);
      // Bounded, never as short as a role's: a session whose client stopped answering lets go of its locks.
      expect(await driver.query('SHOW idle_in_transaction_session_timeout')).toEqual([{ idle_in_transaction_session_timeout: '15min' }]);
      // PostgreSQL 14 and later.
      expect(await driver.query("SELECT setting FROM pg_settings WHERE name = 'idle_session_timeout' AND setting <> '0'")).toEqual([]);
      await driver.transaction(async () => {
        await driver.query('SELECT pg_sleep(0.1)');
        await new Promise((resolve) => setTimeout(resolve, 100));
        await driver.execute('CREATE TABLE slow_but_whole (id text)');
      });
      expect(await driver.query("SELECT count(*)::int AS n FROM information_schema.tables WHERE table_name = 'slow_but_whole'")).toEqual([{ n: 1 }]);
    } finally {
      await driver.close();
    }
  });
});
