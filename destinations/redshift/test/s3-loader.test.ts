import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createServer } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { actionsCore } from '@stowage/core';
import { Harness, identify, removeHarnessDirs, testPostgres, track, type DestinationUnderTest } from '@stowage/testkit';
import { redshiftDestination, stagingOf, type RedshiftSettings } from '../src/index.js';
import { s3Loader } from '../src/load/s3-loader.js';
import { putFile, s3Client } from '../src/load/s3-staging.js';
import { emulatingCopy, type CopiesSeen } from './support/emulated-copy.js';
import { redshiftDialectOnPostgres } from '../src/testing/on-postgres.js';
import { testS3, type TestS3 } from './support/s3-server.js';

const SECRET = 'test/Secret+Key=42';
const server = await testPostgres();
let s3: TestS3;
let seen: CopiesSeen;

beforeAll(async () => {
  s3 = await testS3();
});
afterAll(async () => {
  await s3?.close();
  await server.close();
  // The harness made outside the conformance suite leaves its folder to be removed here.
  removeHarnessDirs();
});
afterEach(() => server.afterEach());

/** A fresh warehouse whose rows are staged on the local S3 server. */
async function settings(extra: Partial<RedshiftSettings> = {}): Promise<RedshiftSettings> {
  seen = { statements: [], manifests: [], objectsDuringCopy: [] };
  return {
    url: await server.freshDatabase(),
    sslmode: 'disable',
    s3Bucket: s3.bucket,
    s3Prefix: 'stowage/',
    s3Region: 'eu-west-1',
    // s3rver knows this key id (and checks no signature, so any secret will do).
    accessKeyId: 'S3RVER',
    secretAccessKey: SECRET,
    s3Endpoint: s3.endpoint,
    s3ForcePathStyle: true,
    ...extra,
  };
}

/** Redshift on PostgreSQL, bulk loading through S3 with the COPY played by the test. */
const destination = redshiftDestination({ dialect: redshiftDialectOnPostgres, requireRedshift: false, loader: (s) => emulatingCopy(s3Loader(stagingOf(s)!), s3, seen) });

describe(`COPY from S3 (local s3rver; COPY emulated on ${server.label})`, () => {
  it('stages rows as gzipped JSON lines behind a manifest, COPYs them into the stage, and leaves nothing on S3', async () => {
    const driver = await destination.connect(await settings(), { root: '.' });
    try {
      const columns = [
        { name: 'id', type: 'string' as const },
        { name: 'note', type: 'string' as const },
        { name: 'vip', type: 'boolean' as const },
        { name: 'seats', type: 'bigint' as const },
        { name: 'ltv', type: 'double' as const },
        { name: 'seen_at', type: 'timestamp' as const },
      ];
      const rows = [
        { id: 'm1', note: 'tab\there, "quotes", new\nline, ünïcödé 🎉', vip: true, seats: 9007199254740991, ltv: 0.30000000000000004, seen_at: '2026-11-23T10:00:00.123Z' },
        { id: 'm2', note: '', vip: false, seats: -1, ltv: 1e300, seen_at: null },
        { id: 'm3', note: null, vip: null, seats: null, ltv: null, seen_at: '1999-12-31T23:59:59.999Z' },
      ];
      const file = await driver.writeLoadFile(columns, rows);
      expect(gunzipSync((await import('node:fs')).readFileSync(file.path)).toString('utf8').split('\n')).toHaveLength(4);
      const stage = await driver.stage('_stowage_stage_identifies', file);
      expect(await driver.query(`SELECT * FROM ${stage} ORDER BY "id"`)).toEqual(rows);

      expect(seen.statements).toEqual([expect.stringMatching(/^COPY "_stowage_stage_[0-9a-f]+_1" \("id", "note", "vip", "seats", "ltv", "seen_at"\) FROM 's3:\/\/stowage-stage\/stowage\/stowage-[0-9a-f-]+\.manifest' CREDENTIALS 'aws_access_key_id=S3RVER;aws_secret_access_key=test\/Secret\+Key=42' MANIFEST REGION 'eu-west-1' FORMAT AS JSON 'auto' GZIP TIMEFORMAT 'auto' COMPUPDATE OFF STATUPDATE OFF$/)]);
      const manifestKey = /s3:\/\/stowage-stage\/([^']+)'/.exec(seen.statements[0]!)![1]!;
      const dataKey = manifestKey.replace(/\.manifest$/, '.json.gz');
      expect(seen.objectsDuringCopy).toEqual([expect.arrayContaining([manifestKey, dataKey])]);
      expect(seen.manifests).toEqual([{ entries: [{ url: `s3://stowage-stage/${dataKey}`, mandatory: true, meta: { content_length: expect.any(Number) } }] }]);
      expect(await s3.keys()).toEqual([]);
    } finally {
      await driver.close();
    }
  });

  it("prints nothing of the SDK's own on stderr as its client is made (its warning about the Node versions of its later releases, nine lines in every sync)", async () => {
    // In a process of its own: the SDK warns once a process, at its first client. The built module, as the CLI loads it.
    const module = new URL('../dist/load/s3-staging.js', import.meta.url).href;
    const script = `const { s3Client } = await import(${JSON.stringify(module)}); s3Client({ bucket: 'b', prefix: '', region: 'us-east-1', regionGiven: false, authorization: { iamRole: 'default' }, forcePathStyle: false }).destroy(); console.log(process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ?? 'unset');`;
    const { spawnSync } = await import('node:child_process');
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: undefined } });
    expect(child.status).toBe(0);
    expect(child.stderr).toBe('');
    // The process's own environment is as it was.
    expect(child.stdout.trim()).toBe('unset');
  });

  it('authorizes COPY with the IAM role when one is given (the access key then only uploads)', async () => {
    const driver = await destination.connect(await settings({ iamRole: 'arn:aws:iam::123456789012:role/RedshiftCopy' }), { root: '.' });
    try {
      await driver.stage('t', await driver.writeLoadFile([{ name: 'id', type: 'string' }], [{ id: 'm1' }]));
      expect(seen.statements[0]).toContain(" IAM_ROLE 'arn:aws:iam::123456789012:role/RedshiftCopy' MANIFEST ");
      expect(seen.statements[0]).not.toContain(SECRET);
    } finally {
      await driver.close();
    }
  });

  it('removes the staged files when COPY fails, and its error never holds the secret access key', async () => {
    const driver = await destination.connect(await settings(), { root: '.' });
    try {
      const file = await driver.writeLoadFile([{ name: 'id', type: 'string' }], [{ id: 'm1' }]);
      seen.failNext = true;
      const error = (await driver.stage('t', file).catch((e: Error) => e)) as Error;
      expect(error.message).toMatch(/Access Denied \(emulated\)/);
      expect(error.message).toContain('aws_secret_access_key=***');
      expect(error.message).not.toContain(SECRET);
      expect(seen.objectsDuringCopy[0]).toHaveLength(2);
      expect(await s3.keys()).toEqual([]);
    } finally {
      await driver.close();
    }
  });

  it('says an upload that fails is the upload, not the database connection, and check finds the bucket it cannot write', async () => {
    // A closed port: nothing listens there.
    const driver = await destination.connect(await settings({ s3Endpoint: 'http://127.0.0.1:1' }), { root: '.' });
    try {
      const file = await driver.writeLoadFile([{ name: 'id', type: 'string' }], [{ id: 'm1' }]);
      const error = (await driver.stage('t', file).catch((e: Error) => e)) as Error;
      expect(error.message).toMatch(/^the upload of a load file to s3:\/\/[^ ]+\/stowage\/stowage-[^ ]+\.json\.gz \(s3Bucket, s3Region, s3Endpoint\) failed: .*ECONNREFUSED/);
      // Not a region's failure: no word of s3Region's.
      expect(error.message).not.toMatch(/S3 says/);
      expect(error.message).not.toMatch(/connection to .* was lost|SQLSTATE/);
      expect(await driver.query('SELECT 1 AS ok')).toEqual([{ ok: 1 }]);
      const problems = await driver.privilegeProblems!([], []);
      expect(problems).toEqual([expect.stringMatching(/^cannot write to s3:\/\/[^ ]+\/stowage\/ \(s3Bucket, s3Prefix, s3Region, s3Endpoint, .*\): .*ECONNREFUSED/)]);
      expect(problems.join('')).not.toContain(SECRET);
    } finally {
      await driver.close();
    }
    const reachable = await destination.connect(await settings(), { root: '.' });
    try {
      expect(await reachable.privilegeProblems!([], [])).toEqual([]);
    } finally {
      await reachable.close();
    }
  });

  it.each([
    [500, 'InternalError', 'We encountered an internal error. Please try again.'],
    // S3's answer to an upload whose body came too slowly: a 400, repeated by the SDK for every other request.
    [400, 'RequestTimeout', 'Your socket connection to the server was not read from or written to within the timeout period.'],
  ])("uploads a load file again, whole, where S3 answers %i %s (which the SDK repeats for no request whose body is a stream)", async (status, code, message) => {
    const bodies: number[] = [];
    const flaky = createServer((request, response) => {
      let length = 0;
      request.on('data', (chunk: Buffer) => (length += chunk.length));
      request.on('end', () => {
        bodies.push(length);
        if (bodies.length === 1) {
          response.writeHead(status, { 'content-type': 'application/xml' });
          response.end(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${message}</Message></Error>`);
        } else {
          response.writeHead(200, { etag: '"0"' });
          response.end();
        }
      });
    });
    await new Promise<void>((resolve) => flaky.listen(0, '127.0.0.1', resolve));
    const staging = stagingOf(await settings({ s3Endpoint: `http://127.0.0.1:${(flaky.address() as AddressInfo).port}` }))!;
    const dir = mkdtempSync(join(tmpdir(), 'stowage-rs-upload-'));
    const client = s3Client(staging);
    try {
      const path = join(dir, 'load.json.gz');
      writeFileSync(path, Buffer.alloc(300_000, 7));
      expect(await putFile(client, staging, 'stowage/k.json.gz', path)).toBe(300_000);
      expect(bodies).toEqual([300_000, 300_000]);
    } finally {
      client.destroy();
      rmSync(dir, { recursive: true, force: true });
      await new Promise((resolve) => flaky.close(resolve));
    }
  });

  it('gives up on an endpoint that takes the connection and never answers, where an upload (and check) waited for ever', async () => {
    // A firewall that drops packets, a proxy that hangs: the connection is made, no byte comes back.
    const silent = createNetServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const endpoint = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
    const impatient = redshiftDestination({ dialect: redshiftDialectOnPostgres, requireRedshift: false, loader: (s) => s3Loader({ ...stagingOf(s)!, idleTimeoutMs: 500 }) });
    const driver = await impatient.connect(await settings({ s3Endpoint: endpoint }), { root: '.' });
    try {
      const file = await driver.writeLoadFile([{ name: 'id', type: 'string' }], [{ id: 'm1' }]);
      const started = Date.now();
      const error = (await driver.stage('t', file).catch((e: Error) => e)) as Error;
      expect(error.message).toMatch(/^the upload of a load file to s3:\/\/[^ ]+ \(s3Bucket, s3Region, s3Endpoint\) failed: .*timed out/);
      expect(Date.now() - started).toBeLessThan(20_000);
      expect(await driver.privilegeProblems!([], [])).toEqual([expect.stringMatching(/^cannot write to s3:\/\/.*timed out/)]);
      expect(await driver.query('SELECT 1 AS ok')).toEqual([{ ok: 1 }]);
    } finally {
      await driver.close();
      silent.close();
    }
  });

  it('says a key that may write but not remove is refused the removal, not the write', async () => {
    // A bucket policy that grants s3:PutObject and not s3:DeleteObject.
    const putOnly = createServer((request, response) => {
      request.resume();
      request.on('end', () => {
        if (request.method === 'PUT') {
          response.writeHead(200, { etag: '"0"' });
          response.end();
        } else {
          response.writeHead(403, { 'content-type': 'application/xml' });
          response.end('<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>');
        }
      });
    });
    await new Promise<void>((resolve) => putOnly.listen(0, '127.0.0.1', resolve));
    const endpoint = `http://127.0.0.1:${(putOnly.address() as AddressInfo).port}`;
    try {
      const driver = await destination.connect(await settings({ s3Endpoint: endpoint }), { root: '.' });
      try {
        const problems = await driver.privilegeProblems!([], []);
        expect(problems).toEqual([expect.stringMatching(/^wrote to s3:\/\/stowage-stage\/stowage\/, but cannot remove what it wrote \(s3:DeleteObject under the prefix: every staged file would stay on S3, and the probe's stowage\/stowage-[0-9a-f-]+\.probe stays there now\): Access Denied$/)]);
      } finally {
        await driver.close();
      }
      const refused = await new (actionsCore().Destination)(destination.definition as never).testAuthentication((await settings({ s3Endpoint: endpoint })) as never).catch((e: Error) => e);
      expect((refused as Error).message).toMatch(/Wrote to s3:\/\/stowage-stage\/stowage\/, but cannot remove what it wrote \(s3:DeleteObject/);
      expect((refused as Error).message).not.toContain(SECRET);
    } finally {
      await new Promise((resolve) => putOnly.close(resolve));
    }
  });

  it("says to set s3Region where S3 answers that the bucket is in another region than the uploads' (us-east-1 without it)", async () => {
    // What S3 answers a request sent to a region the bucket is not in.
    const elsewhere = createServer((request, response) => {
      request.resume();
      request.on('end', () => {
        response.writeHead(301, { 'content-type': 'application/xml', 'x-amz-bucket-region': 'eu-west-1' });
        response.end('<?xml version="1.0" encoding="UTF-8"?><Error><Code>PermanentRedirect</Code><Message>The bucket you are attempting to access must be addressed using the specified endpoint. Please send all future requests to this endpoint.</Message><Endpoint>b.s3.eu-west-1.amazonaws.com</Endpoint></Error>');
      });
    });
    await new Promise<void>((resolve) => elsewhere.listen(0, '127.0.0.1', resolve));
    const endpoint = `http://127.0.0.1:${(elsewhere.address() as AddressInfo).port}`;
    try {
      const unset = await settings({ s3Endpoint: endpoint });
      delete unset.s3Region;
      const driver = await destination.connect(unset, { root: '.' });
      try {
        const file = await driver.writeLoadFile([{ name: 'id', type: 'string' }], [{ id: 'm1' }]);
        const error = (await driver.stage('t', file).catch((e: Error) => e)) as Error;
        expect(error.message).toMatch(/^the upload of a load file to s3:\/\/.* \(s3Bucket, s3Region, s3Endpoint\) failed: .*\(S3 says the bucket is not in us-east-1, where uploads go without s3Region: set s3Region to the bucket's region\)$/);
        expect(await driver.privilegeProblems!([], [])).toEqual([expect.stringMatching(/set s3Region to the bucket's region\)$/)]);
      } finally {
        await driver.close();
      }
      const refused = await new (actionsCore().Destination)(destination.definition as never).testAuthentication((await settings({ s3Endpoint: endpoint, s3Region: 'us-west-2' })) as never).catch((e: Error) => e);
      expect((refused as Error).message).toMatch(/\(S3 says the bucket is not in us-west-2: set s3Region to its region\)$/);
    } finally {
      await new Promise((resolve) => elsewhere.close(resolve));
    }
  });

  it('syncs Classic tables through S3: the same rows as through INSERT, every file removed', async () => {
    const s = await settings();
    const dut: DestinationUnderTest = { destination: destination as never, module: '@stowage/destination-redshift', settings: () => s, unreachable: () => ({}) };
    const h = await Harness.create(dut);
    await h.calls([
      identify('u1', { plan: 'pro', seats: 3 }, { timestamp: '2026-11-23T12:00:00Z' }),
      identify('u1', { plan: 'free' }, { timestamp: '2026-11-20T12:00:00Z' }),
      track('u1', 'Order Completed', { total: 12.5, coupon: '' }),
    ]);
    expect((await h.sync()).status).toBe('Success');
    expect(await h.rows('users', ['id', 'plan', 'seats'])).toEqual([{ id: 'u1', plan: 'pro', seats: 3 }]);
    expect(await h.rows('identifies', ['plan'], ['timestamp'])).toEqual([{ plan: 'free' }, { plan: 'pro' }]);
    expect(await h.rows('order_completed', ['user_id', 'total', 'coupon'])).toEqual([{ user_id: 'u1', total: 12.5, coupon: '' }]);
    // identifies, tracks, order_completed: one COPY each.
    expect(seen.statements).toHaveLength(3);
    expect(await s3.keys()).toEqual([]);
    await h.close();
  });

  it('testAuthentication proves the bucket as well as the database, and names neither secret when the bucket is missing', async () => {
    const definition = new (actionsCore().Destination)(destination.definition as never);
    await expect(definition.testAuthentication((await settings()) as never)).resolves.not.toThrow();
    const refused = await definition.testAuthentication((await settings({ s3Bucket: 'no-such-bucket' })) as never).catch((e: Error) => e);
    expect((refused as Error).message).toMatch(/Cannot write to s3:\/\/no-such-bucket\/stowage\//);
    expect((refused as Error).message).not.toContain(SECRET);
    expect(await s3.keys()).toEqual([]);
  });

  it('refuses a bucket without a way for COPY to read it, at connect', async () => {
    const s = await settings();
    delete s.accessKeyId;
    delete s.secretAccessKey;
    await expect(redshiftDestination({ dialect: redshiftDialectOnPostgres, requireRedshift: false }).connect(s, { root: '.' })).rejects.toThrow(/s3Bucket needs iamRole, or accessKeyId and secretAccessKey/);
  });
});
