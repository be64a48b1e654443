import { ActionWriter, redact, withStorageActions, type Destination, type Dialect } from '@stowage/core';
import { pgSettingsProblems, POSTGRES_SCHEMES, serverLocation, settingsTarget, systemSchemaProblem, type Loader } from '@stowage/destination-postgres';
import { capabilities } from './capabilities.js';
import { connectionSettings, secretsOf } from './connection.js';
import { redshiftDefinition, settingsSchema } from './definition.js';
import { dialect, foldCase } from './dialect.js';
import { isDefaultRole } from './load/copy-statement.js';
import { ensureRedshift } from './server-check.js';
import { MAX_VARCHAR_BYTES } from './max-varchar.js';
import { parsingSuper } from './load/super-columns.js';
import { stagingOf, stagingRefusals } from './load/staging-settings.js';
import type { RedshiftSettings } from './settings.js';

/**
 * Every session runs in UTC, so timestamps read back and written without a zone mean UTC; with
 * two extra float digits, so that a double read back as text (by the driver, or by the users
 * recompute) is the same double; and without a user's or a parameter group's statement_timeout,
 * which would cut a long load short at the same point on every retry.
 */
// `users`' recompute orders values by their timestamps as text (latest-non-null.ts): ISO's text
// sorts as time does, a database's `SQL, DMY` does not.
const SETUP = ["SET timezone TO 'UTC'", "SET datestyle TO 'ISO, MDY'", 'SET extra_float_digits TO 2', 'SET statement_timeout TO 0'];

/** COPY from S3 when a bucket is set; batched INSERTs otherwise (`./loader-for.js`, loaded with the first session). */
export async function loaderFor(settings: RedshiftSettings): Promise<Loader> {
  return (await import('./loader-for.js')).loaderFor(settings);
}

export interface RedshiftOptions {
  /** The dialect (the tests run Redshift's on PostgreSQL with PostgreSQL's 63-byte names). */
  dialect?: Dialect;
  /** How rows are loaded, from the settings. Default `loaderFor`. */
  loader?: (settings: RedshiftSettings) => Loader | Promise<Loader>;
  /**
   * Whether a session refuses a server that is not Redshift (default true). The tests run
   * Redshift's SQL on PostgreSQL, with a dialect that cuts names where PostgreSQL does.
   */
  requireRedshift?: boolean;
}

/** The Redshift warehouse, on `pg` (Redshift speaks PostgreSQL's protocol) with the postgres package's driver. */
export function redshiftDestination(options: RedshiftOptions = {}): Destination<RedshiftSettings> {
  const sqlDialect = options.dialect ?? dialect;
  const loader = options.loader ?? loaderFor;
  // Async, so that settings refused while choosing the loader reject the promise rather than throw.
  // The driver (`pg`) and the S3 client load with the first session, not with this module.
  const requireRedshift = options.requireRedshift ?? true;
  const connect = async (settings: RedshiftSettings) => {
    const { PgDriver } = await import('@stowage/destination-postgres/driver');
    const driver = await PgDriver.open(connectionSettings(settings), { dialect: sqlDialect, loader: await loader(settings), setup: SETUP, textLengthIn: 'bytes', maxStringBytes: MAX_VARCHAR_BYTES, charAsciiOnly: true, tableLocks: true, catalogName: foldCase });
    // Named as the settings write it (serverLocation, which keys locks, says `localhost` for 127.0.0.1).
    if (requireRedshift) await ensureRedshift(driver, settingsTarget(connectionSettings(settings)));
    return driver;
  };
  const connectAndProbe = async (settings: RedshiftSettings) => {
    const staging = stagingOf(settings);
    if (staging) {
      const { probe, regionHint, RemovalRefused } = await import('./load/s3-staging.js');
      await probe(staging).catch((error: Error) => {
        const message = redact(error.message, secretsOf(settings));
        if (error instanceof RemovalRefused) throw new Error(`${message[0]!.toUpperCase()}${message.slice(1)}`);
        throw new Error(`Cannot write to s3://${staging.bucket}/${staging.prefix}: ${message}${regionHint(staging, error)}`);
      });
    }
    return connect(settings);
  };
  const definition = withStorageActions(redshiftDefinition(connectAndProbe), async (settings: RedshiftSettings) => {
    const driver = await connect(settings);
    return { writer: new ActionWriter(driver, sqlDialect, capabilities, undefined, (schema) => systemSchemaProblem(schema, 'Redshift', true)), close: () => driver.close() };
  });
  return {
    type: 'redshift',
    definition,
    settingsSchema,
    capabilities,
    dialect: sqlDialect,
    connect: (settings) => connect(settings),
    secrets: (settings) => secretsOf(settings),
    location: (settings) => serverLocation(connectionSettings(settings)),
    schemaProblem: (schema) => systemSchemaProblem(schema, 'Redshift', true),
    settingsProblems: (settings) => {
      // Redshift's own tools write redshift:// (pg connects with it as with postgres://).
      const problems = pgSettingsProblems(settings, [...POSTGRES_SCHEMES, 'redshift']);
      if (!settings.s3Bucket) {
        // Staging settings without a bucket stage nothing: rows go in by multi-row INSERT, and the user believes otherwise.
        // Unset is undefined, null (a YAML key left empty) or false (s3ForcePathStyle's default).
        for (const key of STAGING_KEYS) if (settings[key] !== undefined && settings[key] !== null && settings[key] !== false) problems.push(`${key}: set, but s3Bucket is not: without s3Bucket nothing is staged on S3 (rows go in by multi-row INSERT); set s3Bucket, or remove ${key}`);
        return problems;
      }
      // Each at its key, never quoting a key's value: a key given without its pair at its own path.
      for (const { key, problem } of stagingRefusals(settings)) problems.push(`${key}: ${problem}`);
      // Told with the configuration, not at the first sync's upload (or COPY) an hour later.
      if (typeof settings.s3Bucket === 'string' && !BUCKET_NAME.test(settings.s3Bucket)) {
        problems.push(`s3Bucket: ${JSON.stringify(settings.s3Bucket)} is not a bucket's name: give the name alone (my-bucket), without s3:// or a folder; a folder goes in s3Prefix`);
      }
      if (typeof settings.iamRole === 'string' && !isDefaultRole(settings.iamRole) && !settings.iamRole.split(',').every((role) => ROLE_ARN.test(role))) {
        problems.push(`iamRole: ${JSON.stringify(settings.iamRole)} is not a role's ARN (arn:aws:iam::123456789012:role/RedshiftCopy; chained roles separated by commas, without spaces), nor "default" (the cluster's default IAM role)`);
      }
      return problems;
    },
  };
}

/** A bucket's name: no scheme, no folder, no blank (S3's rules are stricter today; older buckets in us-east-1 may hold capitals and underscores). */
const BUCKET_NAME = /^[A-Za-z0-9._-]+$/;
/** An IAM role's ARN, in any partition (aws, aws-cn, aws-us-gov). */
const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d+:role\/[\w+=,.@/-]+$/;

/** Settings of the S3 staging, which mean something only with s3Bucket. */
const STAGING_KEYS = ['s3Prefix', 's3Region', 's3Endpoint', 's3ForcePathStyle', 'iamRole', 'accessKeyId', 'secretAccessKey', 'sessionToken'] as const;

export const redshift = redshiftDestination();
export default redshift;
export { MAX_VARCHAR_BYTES } from './max-varchar.js';
// The S3 loader is `./load/s3-loader.js`, loaded with the first session that stages on S3.
export { capabilities, dialect, secretsOf, connectionSettings, stagingOf, parsingSuper };
export { latestNonNull, ORDER_KEY_MAX_BYTES, ORDER_KEY_WIDTH } from './latest-non-null.js';
export { copyFromManifest, type CopyAuthorization, type CopyFromManifest } from './load/copy-statement.js';
export { jsonLine } from './load/json-lines.js';
export { manifest, type ManifestEntry } from './load/manifest.js';
export { REDSHIFT_RESERVED_WORDS } from './reserved-words.js';
export { fields, settingsSchema } from './definition.js';
export type { Staging } from './load/staging-settings.js';
export type { RedshiftSettings };
