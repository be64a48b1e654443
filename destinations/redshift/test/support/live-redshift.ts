import pg from 'pg';
import type { RedshiftSettings } from '../../src/index.js';

/** A real Redshift cluster or Serverless workgroup to run the suite against. */
export interface LiveRedshift {
  label: string;
  /** Settings of a fresh, empty database, staged through S3 when the environment names a bucket. */
  freshSettings(): Promise<RedshiftSettings>;
  afterEach(): Promise<void>;
  close(): Promise<void>;
}

/**
 * `STOWAGE_TEST_REDSHIFT_URL` names a user that may CREATE DATABASE; each test gets its own
 * database, dropped after it. S3 staging comes from `STOWAGE_TEST_REDSHIFT_S3_BUCKET`,
 * `…_S3_PREFIX` (default `stowage-test/`), `…_S3_REGION`, `…_IAM_ROLE`, `…_ACCESS_KEY_ID` and
 * `…_SECRET_ACCESS_KEY`; without a bucket, rows go through the INSERT fallback.
 */
export async function liveRedshift(url: string, env: NodeJS.ProcessEnv = process.env): Promise<LiveRedshift> {
  const admin = new pg.Client({ connectionString: url, ssl: { rejectUnauthorized: false } });
  await admin.connect();
  const made: string[] = [];
  let n = 0;
  const target = new URL(url);
  const s3: RedshiftSettings = {};
  const fromEnv = (key: keyof RedshiftSettings, name: string) => {
    const value = env[`STOWAGE_TEST_REDSHIFT_${name}`];
    if (value) s3[key] = value;
  };
  fromEnv('s3Bucket', 'S3_BUCKET');
  fromEnv('s3Region', 'S3_REGION');
  fromEnv('iamRole', 'IAM_ROLE');
  fromEnv('accessKeyId', 'ACCESS_KEY_ID');
  fromEnv('secretAccessKey', 'SECRET_ACCESS_KEY');
  if (s3.s3Bucket) s3.s3Prefix = env.STOWAGE_TEST_REDSHIFT_S3_PREFIX ?? 'stowage-test/';
  // Redshift's DROP DATABASE has no IF EXISTS (`DROP DATABASE database_name`): asked so, it
  // refused every test's database with a syntax error. Looked for first, then dropped.
  const drop = async (name: string) => {
    const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if ((rowCount ?? 0) > 0) await admin.query(`DROP DATABASE "${name}"`);
  };
  const live: LiveRedshift = {
    label: `Redshift at ${target.hostname} (${s3.s3Bucket ? `COPY from s3://${s3.s3Bucket}` : 'INSERT fallback'})`,
    async freshSettings() {
      const name = `stowage_test_${process.pid}_${++n}`;
      await drop(name);
      await admin.query(`CREATE DATABASE "${name}"`);
      made.push(name);
      const fresh = new URL(url);
      fresh.pathname = `/${name}`;
      return { url: fresh.toString(), ...s3 };
    },
    async afterEach() {
      for (const name of made.splice(0)) await drop(name);
    },
    async close() {
      await live.afterEach();
      await admin.end();
    },
  };
  return live;
}
