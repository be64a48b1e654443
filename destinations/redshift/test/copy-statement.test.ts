import { describe, expect, it } from 'vitest';
import type pg from 'pg';
import type { Loader } from '@stowage/destination-postgres';
import { copyFromManifest, dialect, jsonLine, manifest, parsingSuper, stagingOf } from '../src/index.js';

describe('COPY from a manifest', () => {
  const base = { table: '"_stowage_stage_ab12_1"', columns: ['"id"', '"received_at"', '"plan"'], manifestUrl: 's3://acme-stage/stowage/stowage-1.manifest', literal: dialect.literal };

  it('authorizes with the IAM role attached to the cluster, and reads gzipped JSON lines with automatic time formats', () => {
    expect(copyFromManifest({ ...base, authorization: { iamRole: 'arn:aws:iam::123456789012:role/RedshiftCopy' } })).toBe(
      `COPY "_stowage_stage_ab12_1" ("id", "received_at", "plan") FROM 's3://acme-stage/stowage/stowage-1.manifest' ` +
        `IAM_ROLE 'arn:aws:iam::123456789012:role/RedshiftCopy' MANIFEST FORMAT AS JSON 'auto' GZIP TIMEFORMAT 'auto' COMPUPDATE OFF STATUPDATE OFF`,
    );
  });

  it("authorizes with the cluster's default IAM role, named as Redshift's keyword, not as a role's ARN", () => {
    for (const iamRole of ['default', 'DEFAULT']) {
      expect(copyFromManifest({ ...base, authorization: { iamRole } })).toBe(
        `COPY "_stowage_stage_ab12_1" ("id", "received_at", "plan") FROM 's3://acme-stage/stowage/stowage-1.manifest' ` +
          `IAM_ROLE default MANIFEST FORMAT AS JSON 'auto' GZIP TIMEFORMAT 'auto' COMPUPDATE OFF STATUPDATE OFF`,
      );
    }
  });

  it("authorizes with an access key when there is no role, and names the bucket's region when given", () => {
    expect(copyFromManifest({ ...base, authorization: { accessKeyId: 'AKIAEXAMPLE', secretAccessKey: 'wJalr/K7MDENG' }, region: 'eu-west-1' })).toBe(
      `COPY "_stowage_stage_ab12_1" ("id", "received_at", "plan") FROM 's3://acme-stage/stowage/stowage-1.manifest' ` +
        `CREDENTIALS 'aws_access_key_id=AKIAEXAMPLE;aws_secret_access_key=wJalr/K7MDENG' MANIFEST REGION 'eu-west-1' FORMAT AS JSON 'auto' GZIP TIMEFORMAT 'auto' COMPUPDATE OFF STATUPDATE OFF`,
    );
  });

  // Temporary keys (an assumed role, AWS SSO) had no setting for their token: COPY and the uploads were refused with them.
  it("sends temporary keys' session token with them", () => {
    expect(copyFromManifest({ ...base, authorization: { accessKeyId: 'ASIAEXAMPLE', secretAccessKey: 'wJalr/K7MDENG', sessionToken: 'IQoJb3JpZ2luX2Vj/+=' } })).toContain(
      `CREDENTIALS 'aws_access_key_id=ASIAEXAMPLE;aws_secret_access_key=wJalr/K7MDENG;token=IQoJb3JpZ2luX2Vj/+=' MANIFEST`,
    );
  });

  it('refuses an access key it cannot write without quoting any of the secret', () => {
    const secretAccessKey = 'wJalrXUtnFEMI/K7MDENG\\bPxRfiCYEXAMPLEKEY';
    const refused = (() => {
      try {
        return copyFromManifest({ ...base, authorization: { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey } });
      } catch (error) {
        return (error as Error).message;
      }
    })();
    expect(refused).toBe("COPY's CREDENTIALS cannot carry the access key: it holds a backslash, which no AWS key has");
  });

  it('lists each file as mandatory, with its size', () => {
    expect(JSON.parse(manifest([{ url: 's3://acme-stage/stowage/stowage-1.json.gz', bytes: 1234 }]))).toEqual({
      entries: [{ url: 's3://acme-stage/stowage/stowage-1.json.gz', mandatory: true, meta: { content_length: 1234 } }],
    });
  });
});

describe('a row as a JSON line', () => {
  it('leaves nulls out, keeps empty strings and types, and stores JSON columns as the values they spell', () => {
    const columns = [
      { name: 'id', type: 'string' as const },
      { name: 'empty', type: 'string' as const },
      { name: 'gone', type: 'string' as const },
      { name: 'vip', type: 'boolean' as const },
      { name: 'ltv', type: 'double' as const },
      { name: 'received_at', type: 'timestamp' as const },
      { name: 'context', type: 'json' as const },
    ];
    const line = jsonLine(columns, { id: 'm1\n"x"', empty: '', gone: null, vip: false, ltv: 0.1, received_at: '2026-11-23T10:00:00.000Z', context: '{"cart":[1,2]}' });
    expect(line.endsWith('\n')).toBe(true);
    expect(line.split('\n')).toHaveLength(2);
    expect(JSON.parse(line)).toEqual({ id: 'm1\n"x"', empty: '', vip: false, ltv: '0.1', received_at: '2026-11-23T10:00:00.000Z', context: { cart: [1, 2] } });
  });

  it("puts a JSON column's text in the line as written, so that SUPER gets its digits: parsed and written again, 9007199254740993 became 9007199254740992 and 1.0 the integer 1", () => {
    const columns = [
      { name: 'id', type: 'string' as const },
      { name: 'context', type: 'json' as const },
    ];
    const context = '{"order_id":9007199254740993,"total":1.0,"big":12345678901234567891,"tiny":1e-7,"n":[-0,1E2]}';
    expect(jsonLine(columns, { id: 'm1', context })).toBe(`{"id":"m1","context":${context}}\n`);
    // A JSON text written over lines (a mapped field's own text) stays on one line; text that is not JSON is a string.
    expect(jsonLine(columns, { context: '{\r\n  "a": "x\\ny",\n  "b": 2\n}' })).toBe('{"context":{    "a": "x\\ny",   "b": 2 }}\n');
    expect(jsonLine(columns, { context: '[1,2' })).toBe('{"context":"[1,2"}\n');
    expect(jsonLine(columns, { context: '"str"' })).toBe('{"context":"str"}\n');
    expect(jsonLine(columns, {})).toBe('{}\n');
  });

  it("writes a double as a JSON string of its shortest digits, which COPY converts exactly (AWS: a JSON number may lose precision)", () => {
    const columns = [{ name: 'ltv', type: 'double' as const }];
    for (const [value, text] of [[0.1, '0.1'], [1 / 3, '0.3333333333333333'], [5e-324, '5e-324'], [1.7976931348623157e308, '1.7976931348623157e+308'], [9007199254740994, '9007199254740994'], [-2.5, '-2.5']] as const) {
      expect(jsonLine(columns, { ltv: value })).toBe(`{"ltv":"${text}"}\n`);
      expect(Number(text)).toBe(value);
    }
  });

  it('writes an integer past 2^53, which comes as its digits, as a JSON string of them (COPY reads a JSON number into a numeric column with a double\'s precision)', () => {
    const columns = [
      { name: 'n', type: 'bigint' as const },
      { name: 'account_id', type: 'bigint' as const },
      { name: 'plan', type: 'string' as const },
    ];
    expect(jsonLine(columns, { n: 7, account_id: '1152921504606846976', plan: '9007199254740993' })).toBe('{"n":7,"account_id":"1152921504606846976","plan":"9007199254740993"}\n');
    expect(jsonLine(columns, { n: null, account_id: '-9223372036854775808', plan: null })).toBe('{"account_id":"-9223372036854775808"}\n');
  });
});

describe('the S3 staging settings', () => {
  it('needs a way for COPY to read the bucket', () => {
    expect(stagingOf({})).toBeUndefined();
    expect(() => stagingOf({ s3Bucket: 'b' })).toThrow(/needs iamRole, or accessKeyId and secretAccessKey/);
    expect(() => stagingOf({ s3Bucket: 'b', accessKeyId: 'AKIA' })).toThrow(/together/);
    expect(stagingOf({ s3Bucket: 'b', s3Prefix: '/stowage', iamRole: 'arn:aws:iam::1:role/r' })).toMatchObject({ bucket: 'b', prefix: 'stowage/', region: 'us-east-1', regionGiven: false, forcePathStyle: false });
  });
});

describe('the INSERT fallback into SUPER columns', () => {
  it('parses the JSON text a bound parameter left as a string scalar, in the stage', async () => {
    const statements: string[] = [];
    const inner: Loader = { name: 'insert', write: async () => { throw new Error('unused'); }, load: async (client) => void (await client.query('INSERT …')) };
    const client = { query: async (sql: string) => void statements.push(sql) } as unknown as pg.Client;
    const file = { path: '/nowhere', rows: 1, longestRow: 10, columns: [{ name: 'id', type: 'string' as const }, { name: 'Context', type: 'json' as const }] };
    await parsingSuper(inner).load(client, '"stage"', file, dialect.quote);
    expect(statements).toEqual(['INSERT …', 'UPDATE "stage" SET "context" = JSON_PARSE(CAST("context" AS VARCHAR(65535)))']);
    statements.length = 0;
    await parsingSuper(inner).load(client, '"stage"', { ...file, columns: [file.columns[0]!] }, dialect.quote);
    expect(statements).toEqual(['INSERT …']);
  });
});
