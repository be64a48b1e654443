import pg from 'pg';

/** A PostgreSQL to run a destination's suite against: the real server, or PGlite served on loopback. */
export interface TestPostgres {
  /** Which engine runs, for the suite's name: the tests say what they ran against. */
  label: string;
  /** COPY FROM STDIN works over the wire (not through PGlite's socket, which loses protocol sync on it). */
  copy: boolean;
  /** The URL of a fresh, empty database. */
  freshDatabase(): Promise<string>;
  /** Drops what the last test made, or hands its PGlite instances back for the next test. */
  afterEach(): Promise<void>;
  close(): Promise<void>;
}

/**
 * `STOWAGE_TEST_POSTGRES_URL` names a server the tests may create databases on (CI sets it to the
 * server on 127.0.0.1:5432); without it, PGlite serves the same SQL over the same `pg` driver.
 */
export async function testPostgres(): Promise<TestPostgres> {
  const url = process.env.STOWAGE_TEST_POSTGRES_URL;
  return url ? realServer(url) : pgliteOnLoopback();
}

/** A database per test on a real server, dropped after it. */
async function realServer(url: string): Promise<TestPostgres> {
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  const made: string[] = [];
  let n = 0;
  const target = new URL(url);
  const server: TestPostgres = {
    label: `PostgreSQL server at ${target.hostname}:${target.port || 5432}`,
    copy: true,
    async freshDatabase() {
      const name = `stowage_test_${process.pid}_${++n}`;
      await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await admin.query(`CREATE DATABASE "${name}"`);
      made.push(name);
      const fresh = new URL(url);
      fresh.pathname = `/${name}`;
      // Written out: a destination whose own default port differs (Redshift's 5439) is given the server's.
      if (!fresh.port) fresh.port = '5432';
      return fresh.toString();
    },
    async afterEach() {
      for (const name of made.splice(0)) await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    },
    async close() {
      await server.afterEach();
      await admin.end();
    },
  };
  return server;
}

interface Instance {
  db: { exec(sql: string): Promise<unknown>; query<T>(sql: string): Promise<{ rows: T[] }>; close(): Promise<void>; dumpDataDir(compression?: 'none'): Promise<Blob | File> };
  server: { start(): Promise<void>; stop(): Promise<void>; getServerConn(): string };
  busy: boolean;
}

/**
 * PGlite instances served on loopback, pooled: PGlite holds one database, so a test that needs
 * several fresh warehouses gets several instances. An instance handed back is emptied (every
 * schema but the system ones dropped) before its next test; new ones start from a copy of the
 * first one's data folder, which is three times faster than initdb.
 */
async function pgliteOnLoopback(): Promise<TestPostgres> {
  const { PGlite } = await import('@electric-sql/pglite');
  const { PGLiteSocketServer } = await import('@electric-sql/pglite-socket');
  const pool: Instance[] = [];
  let template: Blob | File | undefined;

  async function start(): Promise<Instance> {
    const db = await PGlite.create(template ? { loadDataDir: template } : {});
    template ??= await db.dumpDataDir('none');
    const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: 16 });
    await server.start();
    return { db: db as unknown as Instance['db'], server, busy: false };
  }

  async function empty(instance: Instance): Promise<void> {
    const { rows } = await instance.db.query<{ nspname: string }>(
      "SELECT nspname FROM pg_namespace WHERE nspname NOT IN ('pg_catalog', 'information_schema', 'public') AND nspname NOT LIKE 'pg\\_%'",
    );
    for (const { nspname } of rows) await instance.db.exec(`DROP SCHEMA "${nspname.replace(/"/g, '""')}" CASCADE`);
    await instance.db.exec('DROP SCHEMA public CASCADE; CREATE SCHEMA public');
  }

  return {
    label: 'PGlite on loopback (no STOWAGE_TEST_POSTGRES_URL; COPY is replaced by multi-row INSERT)',
    copy: false,
    async freshDatabase() {
      let instance = pool.find((i) => !i.busy);
      if (instance) await empty(instance);
      else pool.push((instance = await start()));
      instance.busy = true;
      return `postgres://postgres@${instance.server.getServerConn()}/postgres`;
    },
    async afterEach() {
      for (const instance of pool) instance.busy = false;
    },
    async close() {
      for (const instance of pool.splice(0)) {
        await instance.server.stop();
        await instance.db.close();
      }
    },
  };
}
