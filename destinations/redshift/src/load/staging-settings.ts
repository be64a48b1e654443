import type { RedshiftSettings } from '../settings.js';
import type { CopyAuthorization } from './copy-statement.js';

/** Where load files are staged and how Redshift may read them, checked once from the settings. */
export interface Staging {
  bucket: string;
  /** Empty, or ends with `/`. */
  prefix: string;
  region: string;
  authorization: CopyAuthorization;
  /** Whether `region` was set: COPY names it only then (otherwise the bucket is the cluster's region). */
  regionGiven: boolean;
  /** The uploader's own credentials; without them, the SDK's default chain. */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  endpoint?: string;
  forcePathStyle: boolean;
  /**
   * How long an S3 request may wait for a connection, or go without a byte either way, before it
   * fails (default `S3_IDLE_TIMEOUT_MS`); the tests shorten it.
   */
  idleTimeoutMs?: number;
}

/**
 * Without it, an endpoint that takes the connection and never answers (a firewall dropping
 * packets, a proxy that hangs) held an upload for ever: a sync never ended, its transaction and
 * its locks held, and `stowage check` never returned.
 */
export const S3_IDLE_TIMEOUT_MS = 60_000;

/** A key's characters: AWS's access keys hold none of these, and COPY's `CREDENTIALS 'aws_access_key_id=…;aws_secret_access_key=…'` cannot carry them. */
const NOT_IN_A_KEY = /[\\;'\s]/;
/** A region's name (`eu-west-1`; an S3-compatible server's own, such as `auto`): COPY writes it in a literal. */
const REGION = /^[A-Za-z0-9-]+$/;

/**
 * Why the staging settings cannot be used, each at its key: a key without its pair, no way for
 * COPY to read the files, or what COPY's statement cannot carry (a Redshift literal holds no
 * backslash, which was refused only once a sync had uploaded its files, with the first half of
 * a secret key in the error). A key's value is never quoted.
 */
export function stagingRefusals(settings: RedshiftSettings): Array<{ key: keyof RedshiftSettings; problem: string }> {
  const refusals: Array<{ key: keyof RedshiftSettings; problem: string }> = [];
  if (Boolean(settings.accessKeyId) !== Boolean(settings.secretAccessKey)) {
    refusals.push({ key: settings.accessKeyId ? 'accessKeyId' : 'secretAccessKey', problem: 'accessKeyId and secretAccessKey are given together or not at all' });
  } else if (!settings.iamRole && !settings.accessKeyId) {
    refusals.push({ key: 's3Bucket', problem: 's3Bucket needs iamRole, or accessKeyId and secretAccessKey, so that COPY may read the staged files' });
  }
  if (settings.sessionToken && !settings.accessKeyId) {
    refusals.push({ key: 'sessionToken', problem: 'sessionToken goes with the temporary keys it was issued with: give accessKeyId and secretAccessKey too' });
  }
  if (typeof settings.s3Prefix === 'string' && settings.s3Prefix.includes('\\')) {
    refusals.push({ key: 's3Prefix', problem: `s3Prefix ${JSON.stringify(settings.s3Prefix)} holds a backslash, which COPY's statement cannot carry (a Redshift string literal holds none); folders are separated by /` });
  }
  if (typeof settings.s3Prefix === 'string' && /^[a-z][a-z0-9+.-]*:\/\//i.test(settings.s3Prefix)) {
    // `s3://bucket/folder/` as the prefix was taken as keys beginning `s3://bucket/`: the files went under a folder `s3:` of s3Bucket, outside the prefix meant (and its lifecycle rule).
    refusals.push({ key: 's3Prefix', problem: `s3Prefix ${JSON.stringify(settings.s3Prefix)} is a URL: give the key prefix alone (stowage/), without s3:// or the bucket, which goes in s3Bucket` });
  }
  if (typeof settings.s3Region === 'string' && !REGION.test(settings.s3Region)) {
    refusals.push({ key: 's3Region', problem: `s3Region ${JSON.stringify(settings.s3Region)} is not a region's name (eu-west-1)` });
  }
  if (typeof settings.s3Endpoint === 'string' && !isHttpUrl(settings.s3Endpoint)) {
    // The SDK's own words for `localhost:9000` name another address (`localhost://9000`), and only at the first upload.
    refusals.push({ key: 's3Endpoint', problem: `s3Endpoint ${JSON.stringify(settings.s3Endpoint)} is not an http:// or https:// URL (http://localhost:9000)` });
  }
  for (const key of ['accessKeyId', 'secretAccessKey', 'sessionToken'] as const) {
    const value = settings[key];
    if (typeof value === 'string' && NOT_IN_A_KEY.test(value)) refusals.push({ key, problem: `${key} holds a character no AWS key has (a backslash, a semicolon, a quote or a blank), which COPY's CREDENTIALS cannot carry either: copy the key again` });
  }
  return refusals;
}

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
}

/** The staging of the settings, or undefined when no bucket is set; settings it cannot use are refused (`stagingRefusals`). */
export function stagingOf(settings: RedshiftSettings): Staging | undefined {
  if (!settings.s3Bucket) return undefined;
  const [refusal] = stagingRefusals(settings);
  if (refusal) throw new Error(refusal.problem);
  const token = settings.sessionToken ? { sessionToken: settings.sessionToken } : {};
  const authorization: CopyAuthorization = settings.iamRole ? { iamRole: settings.iamRole } : { accessKeyId: settings.accessKeyId!, secretAccessKey: settings.secretAccessKey!, ...token };
  const prefix = (settings.s3Prefix ?? '').replace(/^\/+/, '');
  return {
    bucket: settings.s3Bucket,
    prefix: prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`,
    region: settings.s3Region ?? 'us-east-1',
    regionGiven: settings.s3Region !== undefined,
    authorization,
    ...(settings.accessKeyId && settings.secretAccessKey ? { credentials: { accessKeyId: settings.accessKeyId, secretAccessKey: settings.secretAccessKey, ...token } } : {}),
    ...(settings.s3Endpoint ? { endpoint: settings.s3Endpoint } : {}),
    forcePathStyle: settings.s3ForcePathStyle ?? false,
  };
}
