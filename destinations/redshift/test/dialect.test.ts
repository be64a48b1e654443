import { describe, expect, it } from 'vitest';
import { applyIdentifierRules, snakeCase, Statements } from '@stowage/core';
import pg from 'pg';
import { dialectFingerprint, testPostgres } from '@stowage/testkit';
import { capabilities, dialect, latestNonNull, REDSHIFT_RESERVED_WORDS, redshift } from '../src/index.js';
import redshiftOnPostgres from '../src/testing/on-postgres.js';

const name = (word: string) => applyIdentifierRules(word, dialect.identifiers);
const sql = new Statements(dialect);

describe('Redshift types', () => {
  it('creates tables with VARCHAR(65535) strings (TEXT would be VARCHAR(256)), SUPER JSON, TIMESTAMPTZ, DOUBLE PRECISION and BIGINT', () => {
    const columns = [
      { name: 'id', type: 'string' as const },
      { name: 'entity_context', type: 'json' as const },
      { name: 'received_at', type: 'timestamp' as const },
      { name: 'ltv', type: 'double' as const },
      { name: 'seats', type: 'bigint' as const },
      { name: 'vip', type: 'boolean' as const },
    ];
    expect(sql.createTable('engage_default', 'identifies', columns)).toBe(
      'CREATE TABLE IF NOT EXISTS "engage_default"."identifies" ("id" VARCHAR(65535), "entity_context" SUPER, "received_at" TIMESTAMPTZ, "ltv" DOUBLE PRECISION, "seats" BIGINT, "vip" BOOLEAN)',
    );
    expect(sql.addColumn('engage_default', 'identifies', { name: 'plan', type: 'string' })).toBe('ALTER TABLE "engage_default"."identifies" ADD COLUMN "plan" VARCHAR(65535)');
  });

  it('reads the catalog back: SUPER is JSON, character varying is a string, no jsonb', () => {
    expect(dialect.logicalType('super')).toBe('json');
    expect(dialect.logicalType('character varying')).toBe('string');
    expect(dialect.logicalType('timestamp with time zone')).toBe('timestamp');
    expect(dialect.logicalType('double precision')).toBe('double');
    expect(dialect.logicalType('jsonb')).toBeUndefined();
    expect(Object.values({ s: 'string', j: 'json' } as const).map(dialect.physicalType)).not.toContain('jsonb');
  });

  it('declares what Redshift cannot do: no in-place widening, no indexes, no U+0000 in text, no input row over 4 MB', () => {
    const { rowLimit, ...rest } = capabilities;
    expect(rest).toEqual({ transactionalDdl: true, multiStatementTransactions: true, merge: true, maxColumns: 1600, inPlaceWidening: [], textHoldsNul: false, keyIndexes: false, maxStringBytes: 65_535 - (2 * 64 + 4 * 64) });
    expect(rowLimit).toMatchObject({ maxBytes: 4_000_000, maxValueBytes: Infinity });
    expect(() => dialect.alterColumnType('"s"."t"', '"ltv"', 'double')).toThrow(/cannot change the type of column "ltv" to DOUBLE PRECISION in place/);
  });

  it('renders the current time as the transaction start in UTC (now() runs on the leader node only)', () => {
    expect(dialect.now()).toBe('CAST(SYSDATE AS TIMESTAMPTZ)');
  });
});

describe('Redshift names', () => {
  it("prefixes Redshift's reserved words, including the ones PostgreSQL does not reserve", () => {
    expect(['timestamp', 'select', 'delta', 'open', 'top', 'tag', 'credentials', 'gzip', 'without'].map(name)).toEqual([
      '_timestamp', '_select', '_delta', '_open', '_top', '_tag', '_credentials', '_gzip', '_without',
    ]);
    expect(['user_id', 'plan', 'first_time_shopper', 'start', 'connect'].map(name)).toEqual(['user_id', 'plan', 'first_time_shopper', 'start', 'connect']);
    // AWS's list (156, `oid` among them), PostgreSQL's other system column names, and Redshift's
    // own hidden columns, which Redshift refuses as a column's name as PostgreSQL refuses `xmin`.
    expect(REDSHIFT_RESERVED_WORDS.size).toBe(164);
    expect(['oid', 'tableoid', 'xmin', 'cmin', 'xmax', 'cmax', 'ctid'].map(name)).toEqual(['_oid', '_tableoid', '_xmin', '_cmin', '_xmax', '_cmax', '_ctid']);
    expect(['insertxid', 'deletexid', 'Insert XID'].map((key) => name(snakeCase(key)))).toEqual(['_insertxid', '_deletexid', 'insert_xid']);
    for (const word of REDSHIFT_RESERVED_WORDS) expect(word).toMatch(/^[a-z_0-9]+$/);
  });

  it('keeps names of up to 127 bytes and cuts longer ones to 127 with a stable hash', () => {
    const exact = `t${'x'.repeat(126)}`;
    expect(name(exact)).toBe(exact);
    const long = `trait_${'x'.repeat(300)}`;
    const cut = name(long);
    expect(cut).toHaveLength(127);
    expect(cut).toMatch(/^trait_x+_[0-9a-f]+$/);
    expect(name(long)).toBe(cut);
    expect(name(`${long}_2`)).not.toBe(cut);
    expect(name(`${long}_2`)).toHaveLength(127);
  });

  it('quotes every identifier in lower case, as Redshift stores it, and keeps a leading digit', () => {
    expect(dialect.quote('Order "Total"')).toBe('"order ""total"""');
    expect(dialect.quote('2fa_enabled')).toBe('"2fa_enabled"');
    expect(name('2fa_enabled')).toBe('2fa_enabled');
    expect(dialect.quote('Café')).toBe('"café"');
  });

  it('writes literals with quotes doubled, and refuses a backslash rather than guess how the server reads it', () => {
    expect(dialect.literal("it's")).toBe("'it''s'");
    expect(() => dialect.literal('a\\b')).toThrow(/backslash/);
  });
});

describe('the latest non-null value (no FILTER, no ordered array_agg, no arg_max)', () => {
  const order = ['"timestamp"', '"received_at"', '"id"'];
  const key = `RPAD(COALESCE(CAST("timestamp" AS VARCHAR(65535)), ''), 64, '\u0001') || RPAD(COALESCE(CAST("received_at" AS VARCHAR(65535)), ''), 64, '\u0001') || RPAD(COALESCE(CAST("id" AS VARCHAR(65535)), ''), 64, '\u0001')`;

  it('takes the MAX of a fixed-width sort key followed by the value, and casts the rest back', () => {
    expect(latestNonNull('"plan"', order, 'string')).toBe(`SUBSTRING(MAX(CASE WHEN "plan" IS NOT NULL THEN ${key} || "plan" END) FROM 193)`);
    expect(latestNonNull('"seats"', order, 'bigint')).toBe(`CAST(SUBSTRING(MAX(CASE WHEN "seats" IS NOT NULL THEN ${key} || CAST("seats" AS VARCHAR) END) FROM 193) AS BIGINT)`);
    expect(latestNonNull('"vip"', order, 'boolean')).toBe(`(SUBSTRING(MAX(CASE WHEN "vip" IS NOT NULL THEN ${key} || CASE WHEN "vip" THEN 't' ELSE 'f' END END) FROM 193) = 't')`);
    expect(latestNonNull('"seen_at"', order, 'timestamp')).toContain('AS TIMESTAMPTZ)');
    expect(latestNonNull('"ltv"', order, 'double')).toContain('AS DOUBLE PRECISION)');
  });

  it("keeps the longest string a text column takes whole within VARCHAR(65535) behind the key, whatever the message id's characters", async () => {
    // RPAD counts characters, on Redshift as on PostgreSQL, and VARCHAR(65535) holds bytes: an id
    // of 64 four-byte characters makes a 384-byte key, and a value of 65,343 bytes (the limit
    // when the key was counted as 192 bytes) made a 65,727-byte string to take the MAX of.
    const server = await testPostgres();
    const client = new pg.Client({ connectionString: await server.freshDatabase() });
    await client.connect();
    try {
      const keyed = /^SUBSTRING\((.*) FROM 193\)$/.exec(latestNonNull('"plan"', order, 'string'))![1]!.replace(/^MAX\((.*)\)$/, '$1');
      const { rows } = await client.query(
        `SELECT octet_length(${keyed}) AS bytes, octet_length("plan") AS value FROM (SELECT CAST($1 AS TIMESTAMPTZ) AS "timestamp", CAST($1 AS TIMESTAMPTZ) AS "received_at", CAST($2 AS VARCHAR) AS "id", CAST($3 AS VARCHAR) AS "plan") AS t`,
        ['2026-11-23T10:00:00.123Z', '😀'.repeat(70), 'v'.repeat(capabilities.maxStringBytes)],
      );
      expect(rows[0].value).toBe(capabilities.maxStringBytes);
      expect(rows[0].bytes).toBeLessThanOrEqual(65_535);
    } finally {
      await client.end();
      await server.close();
    }
  });

  it('serializes SUPER for the key and parses it back', () => {
    expect(latestNonNull('"context"', order, 'json')).toBe(`JSON_PARSE(SUBSTRING(MAX(CASE WHEN "context" IS NOT NULL THEN ${key} || JSON_SERIALIZE("context") END) FROM 193))`);
  });
});

describe('the destination', () => {
  it('documents its settings, S3 staging included, in the JSON Schema', () => {
    expect(redshift.type).toBe('redshift');
    expect(redshift.settingsSchema).toMatchObject({
      properties: {
        url: { type: 'string' },
        port: { type: 'integer' },
        s3Bucket: { type: 'string' },
        iamRole: { type: 'string' },
        secretAccessKey: { type: 'string' },
        s3Endpoint: { type: 'string' },
        s3ForcePathStyle: { type: 'boolean' },
      },
    });
  });

  it('names the password, the URL password and the secret access key as secrets', () => {
    const secrets = redshift.secrets({ url: 'postgres://u:url%20secret@h:5439/dev', password: 'pw', secretAccessKey: 'sk/abc+def' });
    expect(secrets).toEqual(expect.arrayContaining(['url secret', 'pw', 'sk/abc+def']));
  });
});

describe('the variant the tests run on PostgreSQL', () => {
  it('differs from the package default only in the length names are cut at, which the killed-sync children check', () => {
    expect(redshiftOnPostgres.dialect.identifiers.maxLength).toBe(63);
    expect(redshift.dialect.identifiers.maxLength).toBe(127);
    expect(redshiftOnPostgres.dialect.physicalType('json')).toBe(redshift.dialect.physicalType('json'));
    // The child refuses a module whose destination's fingerprint is not the test's.
    expect(dialectFingerprint(redshiftOnPostgres.dialect)).not.toBe(dialectFingerprint(redshift.dialect));
    expect(dialectFingerprint(redshiftOnPostgres.dialect)).toBe(dialectFingerprint({ ...redshift.dialect, identifiers: { ...redshift.dialect.identifiers, maxLength: 63 } }));
  });
});
