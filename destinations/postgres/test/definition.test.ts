import { createServer, type AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { actionsCore, ConfigError, parseConfig } from '@stowage/core';
import { testPostgres } from '@stowage/testkit';
import { connectPostgres, copyTextLine, definition, postgres } from '../src/index.js';
import { clientConfig } from '../src/client-config.js';

const server = await testPostgres();
afterAll(() => server.close());

describe('the PostgreSQL destination definition', () => {
  it('loads in @segment/actions-core and tests a connection through testAuthentication', async () => {
    const destination = new (actionsCore().Destination)(definition as never);
    const url = await server.freshDatabase();
    await expect(destination.testAuthentication({ url, ...(server.copy ? {} : { bulkLoad: 'insert' }) })).resolves.not.toThrow();
    await expect(destination.testAuthentication({ url: 'postgres://postgres@127.0.0.1:1/none', connectTimeoutSeconds: 2 })).rejects.toThrow(/Cannot connect to 127\.0\.0\.1:1\/none/);
    // What to do about it, where the driver says only what happened.
    await expect(destination.testAuthentication({ url: 'postgres://postgres@127.0.0.1:1/none', connectTimeoutSeconds: 2 })).rejects.toThrow(/ECONNREFUSED.*: no server listens there; check that it runs, and the host and port in the warehouse's settings \(or its URL\)$/);
    await server.afterEach();
  });

  it('derives the settings JSON Schema from the same fields', () => {
    expect(postgres.settingsSchema).toMatchObject({
      properties: { url: { type: 'string' }, port: { type: 'integer' }, sslmode: { enum: ['disable', 'require', 'verify-full'] }, bulkLoad: { enum: ['copy', 'insert'] } },
    });
  });
});

/** The configuration's problems with a warehouse at this URL. */
function problems(url: string): string[] {
  try {
    parseConfig({ spaces: { s: {} }, warehouses: { pg: { type: 'postgres', settings: { url } } } }, '/srv', new Map([['postgres', postgres as never]]));
    return [];
  } catch (e) {
    return (e as ConfigError).problems;
  }
}

describe('credentials', () => {
  it('never appear in a connection error, whether given in the URL or as a field', async () => {
    const secret = 'pa$$ w0rd/with:parts';
    const fromUrl = await connectPostgres({ url: `postgres://stowage:${encodeURIComponent(secret)}@127.0.0.1:1/db`, connectTimeoutSeconds: 2 }).catch((e: Error) => e);
    const fromField = await connectPostgres({ host: '127.0.0.1', port: 1, user: 'stowage', password: secret, connectTimeoutSeconds: 2 }).catch((e: Error) => e);
    for (const error of [fromUrl, fromField]) {
      expect(error).toBeInstanceOf(Error);
      expect((error as Error).message).toMatch(/^Cannot connect to 127\.0\.0\.1:1/);
      expect((error as Error).message).not.toContain(secret);
      expect((error as Error).message).not.toContain(encodeURIComponent(secret));
    }
    expect(postgres.secrets({ url: `postgres://u:${encodeURIComponent(secret)}@h/db` })).toContain(secret);
  });

  it('says that a server asking for a password was given none, where pg speaks of SCRAM', async () => {
    // A server that asks for SCRAM-SHA-256 (PostgreSQL's default since 14), and sends its first message on.
    const auth = (code: number, data: string) => {
      const message = Buffer.alloc(9 + data.length);
      message.write('R', 0);
      message.writeInt32BE(8 + data.length, 1);
      message.writeInt32BE(code, 5);
      message.write(data, 9);
      return message;
    };
    const scram = createServer((socket) => {
      let received = 0;
      socket.on('data', () => socket.write(received++ === 0 ? auth(10, 'SCRAM-SHA-256\0\0') : auth(11, 'r=abc,s=c2FsdA==,i=4096')));
      socket.on('error', () => undefined);
    });
    await new Promise<void>((listening) => scram.listen(0, '127.0.0.1', listening));
    const { port } = scram.address() as AddressInfo;
    try {
      for (const password of [undefined, '']) {
        const error = (await connectPostgres({ host: '127.0.0.1', port, user: 'stowage', database: 'db', connectTimeoutSeconds: 5, ...(password === undefined ? {} : { password }) }).catch((e: Error) => e)) as Error;
        expect(error.message).toMatch(/: client password must be a string \(the server asks for a password, and the warehouse's settings give none: set `password`, or put it in the URL; .*\)$/);
      }
    } finally {
      scram.close();
    }
  });

  it('never appear when a password written unencoded in the URL ends its host part, and such a URL is refused with the configuration', async () => {
    // A URL parser reads `postgres://u:/pw@host/db` as host `u` and path `/pw@host/db`: no password at all.
    for (const secret of ['/S3cretPW', '5432/S3cretPW', '12#S3cretPW', 'S3cret?PW']) {
      const url = `postgres://stowage:${secret}@127.0.0.1:1/db`;
      const error = (await connectPostgres({ url, connectTimeoutSeconds: 2 }).catch((e: Error) => e)) as Error;
      expect(error).toBeInstanceOf(Error);
      expect(error.message, secret).toMatch(/^Cannot connect to 127\.0\.0\.1:1\/db: /);
      expect(error.message, secret).not.toContain('S3cret');
      const problems = (() => {
        try {
          parseConfig({ spaces: { s: {} }, warehouses: { pg: { type: 'postgres', settings: { url } } } }, '/srv', new Map([['postgres', postgres as never]]));
          return [];
        } catch (e) {
          return (e as ConfigError).problems;
        }
      })();
      expect(problems, secret).toEqual([expect.stringMatching(/^\/warehouses\/pg\/settings\/url: it cannot be read with its user and password as written/)]);
      expect(problems.join(' ')).not.toContain('S3cret');
    }
    // An `@` after the host part is no user part: such URLs are taken as they are.
    for (const url of ['postgres://u:pw@host/db?application_name=a@b', 'postgres://host:5432/db?user=alice@corp', 'postgres://u:p%2Fw@host/db']) {
      expect(() => parseConfig({ spaces: { s: {} }, warehouses: { pg: { type: 'postgres', settings: { url } } } }, '/srv', new Map([['postgres', postgres as never]])), url).not.toThrow();
    }
    expect(postgres.secrets({ url: 'postgres://u@host/db?password=Qp4ssw0rd' })).toContain('Qp4ssw0rd');
  });

  it('refuses a URL pg cannot use, saying what is wrong with it, and takes the forms it can', () => {
    // A port out of range was blamed on the user and password; a word was read as a host named "base".
    expect(problems('postgres://u:S3cret@127.0.0.1:99999/db')).toEqual([expect.stringMatching(/^\/warehouses\/pg\/settings\/url: it is not a URL that can be read \(a port is 1 to 65535/)]);
    expect(problems('not-a-url')).toEqual(['/warehouses/pg/settings/url: it is not a connection URL: give postgres://user:password@host:port/database']);
    // pg connects with any scheme, and takes a stray "%" as it is: libpq refuses both.
    expect(problems('http://u:pw@127.0.0.1:5432/db')).toEqual(['/warehouses/pg/settings/url: it is a http:// URL, not one of postgres://, postgresql://: give postgres://user:password@host:port/database']);
    const stray = problems('postgres://u:Top%ZZSecret8@127.0.0.1/db');
    expect(stray).toEqual(['/warehouses/pg/settings/url: a "%" in it is not followed by two hex digits, as percent-encoding has it (libpq refuses such a URL): write a "%" itself as %25']);
    expect(stray.join('')).not.toContain('Secret');
    expect(problems('postgres://u:Top%25Secret8@127.0.0.1/db')).toEqual([]);
    for (const url of ['postgres://u:p@/db?host=/var/run/postgresql', 'postgresql://h/db', 'socket:/var/run/postgresql?db=x']) expect(problems(url), url).toEqual([]);
  });

  it("reads an sslmode as libpq does without pg's warning that require means verify-full, which is not so here", async () => {
    const warnings: unknown[] = [];
    const listen = (w: unknown) => warnings.push(w);
    process.on('warning', listen);
    try {
      for (const sslmode of ['require', 'prefer', 'verify-full']) expect(problems(`postgres://u@h/db?sslmode=${sslmode}`)).toEqual([]);
      // Emitted on the next tick.
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('warning', listen);
    }
    expect(String(warnings)).not.toMatch(/SECURITY WARNING/);
    expect(problems('postgres://u@h/db?sslmode=verify-ca')).toEqual([expect.stringMatching(/sslmode=verify-ca needs the certificate of the CA .*sslrootcert=<file>/)]);
    // A TLS file named in the URL that is not there is said as such, not as a URL that cannot be read.
    expect(problems('postgres://u:pw@h:5432/db?sslrootcert=/nonexistent/ca.crt&sslmode=verify-full')).toEqual([
      expect.stringContaining("the file /nonexistent/ca.crt that sslrootcert names cannot be read (there is no such file): give the path of the CA certificate that signed the server's"),
    ]);
    expect(problems('postgres://u:pw@h/db?sslcert=/nonexistent/x.crt&sslkey=/nonexistent/x.key')).toEqual([expect.stringContaining('the file /nonexistent/x.crt that sslcert names cannot be read (there is no such file)')]);
  });
});

describe('schema names', () => {
  it('tells a schema from the Classic one by its case, as PostgreSQL does with quoted names', () => {
    const config = (schema: string) =>
      parseConfig(
        { spaces: { shop: { computations: { carts: { type: 'linked_audience' } }, activations: { a: { computation: 'carts', warehouse: 'pg', table: 't', schema } } } }, warehouses: { pg: { type: 'postgres', settings: { url: 'postgres://h/db' } } } },
        '/srv',
        new Map([['postgres', postgres as never]]),
      );
    expect(() => config('Engage_Shop')).not.toThrow();
    expect(() => config('engage_shop')).toThrow(/is a Classic schema/);
  });
});

describe('where a warehouse writes', () => {
  it('is the server and database the settings reach, the parts over the URL, never the password', () => {
    const at = (settings: Record<string, unknown>) => postgres.location!(settings, { root: '/srv' });
    expect(at({ url: 'postgres://alice:s3cret@db.internal:6543/analytics' })).toBe('db.internal:6543/analytics');
    expect(at({ url: 'postgres://alice:s3cret@db.internal/analytics' })).toBe('db.internal:5432/analytics');
    expect(at({ url: 'postgres://alice:s3cret@db.internal/analytics', database: 'other', port: 5433 })).toBe('db.internal:5433/other');
    expect(at({ host: 'db.internal', user: 'alice', password: 's3cret' })).toBe('db.internal:5432/alice');
    expect(at({ url: 'postgres://alice@db.internal' })).toBe('db.internal:5432/alice');
    // A password written unencoded, which ends a URL's host part early, is not taken for the host.
    expect(at({ url: 'postgres://alice:pa/ss@db.internal/analytics' })).toBe('db.internal:5432/analytics');
  });

  it('spells one host one way where no resolver is needed to know it: case, and the loopback names of a local server', () => {
    const at = (settings: Record<string, unknown>) => postgres.location!(settings, { root: '/srv' });
    const local = ['postgres://u@localhost/db', 'postgres://u@127.0.0.1/db', 'postgres://u@[::1]/db', 'postgres://u@LOCALHOST./db', 'postgres://u@[0:0:0:0:0:0:0:1]:5432/db'];
    for (const url of local) expect(at({ url }), url).toBe('localhost:5432/db');
    expect(at({ host: '::1', database: 'db' })).toBe('localhost:5432/db');
    expect(at({ host: 'DB.Internal', database: 'db' })).toBe(at({ url: 'postgres://u@db.internal/db' }));
    // Not known to be one without a resolver, or not one: kept apart.
    expect(at({ host: '127.0.0.2', database: 'db' })).toBe('127.0.0.2:5432/db');
    expect(at({ host: '10.0.0.5', database: 'db' })).toBe('10.0.0.5:5432/db');
    expect(at({ host: '/var/run/postgresql', database: 'db' })).toBe('/var/run/postgresql:5432/db');
  });

  it("refuses a schema of the server's own for an activation, where no table can be made", () => {
    const config = (schema: string) => () =>
      parseConfig(
        { spaces: { shop: { computations: { carts: { type: 'linked_audience' } }, activations: { a: { computation: 'carts', warehouse: 'wh', table: 't', schema } } } }, warehouses: { wh: { type: 'postgres', settings: { url: 'postgres://u@h/db' } } } },
        '/srv',
        new Map([['postgres', postgres as never]]),
      );
    for (const schema of ['information_schema', 'pg_catalog', 'pg_toast', 'pg_mine']) expect(config(schema), schema).toThrow(new RegExp(`/spaces/shop/activations/a/schema: "${schema}" is a schema of PostgreSQL's own`));
    // Quoted, another name: PostgreSQL keeps its case.
    expect(config('PG_mine')).not.toThrow();
  });

  it('refuses two warehouses that would load one Classic schema of one database', () => {
    const config = (b: Record<string, unknown>) => () =>
      parseConfig({ spaces: { shop: {} }, warehouses: { a: { type: 'postgres', settings: { url: 'postgres://u:p1@h/db' } }, b: { type: 'postgres', ...b } } }, '/srv', new Map([['postgres', postgres as never]]));
    expect(config({ settings: { host: 'h', database: 'db', user: 'v', password: 'p2' } })).toThrow(/warehouse "b" would load schema "engage_shop" of space "shop" in the same postgres database as warehouse "a" \(h:5432\/db\)/);
    expect(config({ settings: { host: 'h', database: 'db' }, schemaPrefix: 'personas_' })).not.toThrow();
    expect(config({ settings: { host: 'h', database: 'db2' } })).not.toThrow();
    const local = (a: string, b: string) => () =>
      parseConfig({ spaces: { shop: {} }, warehouses: { a: { type: 'postgres', settings: { url: a } }, b: { type: 'postgres', settings: { url: b } } } }, '/srv', new Map([['postgres', postgres as never]]));
    expect(local('postgres://postgres@localhost:5432/test', 'postgres://postgres@127.0.0.1:5432/test')).toThrow(/same postgres database as warehouse "a" \(localhost:5432\/test\)/);
    expect(local('postgres://postgres@localhost:5432/test', 'postgres://postgres@127.0.0.1:5433/test')).not.toThrow();
  });
});

describe("COPY's text format", () => {
  it('escapes what COPY gives a meaning to, and spells nulls and booleans its way', () => {
    const columns = [
      { name: 's', type: 'string' as const },
      { name: 'b', type: 'boolean' as const },
      { name: 'n', type: 'double' as const },
      { name: 'z', type: 'string' as const },
    ];
    expect(copyTextLine(columns, { s: 'a\tb\nc\\d\re', b: false, n: 1.5, z: null })).toBe('a\\tb\\nc\\\\d\\re\tf\t1.5\t\\N\n');
    expect(copyTextLine(columns, { s: '\\N', b: true, n: -0, z: '' })).toBe('\\\\N\tt\t0\t\n');
  });
});

describe('a session', () => {
  it('says it connected when what failed is its setup, not the connection', async () => {
    // A lock timeout PostgreSQL will not take: the configuration bounds it, a library caller may not.
    const error = await connectPostgres({ url: await server.freshDatabase(), lockTimeoutSeconds: 1e10 }).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error?.message).toMatch(/^Connected to .+, but the session could not be set up \(SET lock_timeout = 10000000000000\): /);
  });

  // pg decoded the name with decodeURI: `%23` and `%2F` stayed, and the server was asked for
  // "we%23ird%2Fdb" (where the URL's password had been pasted there, it was shown half decoded).
  it("reads the URL's database name with every escape decoded once, as libpq does", () => {
    expect(clientConfig({ url: 'postgres://u@h:5433/we%23ird%2Fdb%3F%40%2525?sslmode=disable' }).database).toBe('we#ird/db?@%25');
    expect(clientConfig({ url: 'postgresql://u@h/plain' }).database).toBe('plain');
    expect(clientConfig({ url: 'postgres://u:p%2Fw@h/caf%C3%A9#x' }).database).toBe('café');
    // The setting wins over the URL, as it did.
    expect(clientConfig({ url: 'postgres://u@h/we%23ird', database: 'other' }).database).toBe('other');
  });

  it('asks the kernel to probe an idle connection, so that a dead peer ends a long statement', () => {
    expect(clientConfig({ url: 'postgres://u@h/db' })).toMatchObject({ keepAlive: true, keepAliveInitialDelayMillis: 30_000 });
  });
});
