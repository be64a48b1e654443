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
  credentials?: { accessKeyId: string; secretAccessKey: string };
  endpoint?: string;
  forcePathStyle: boolean;
}

/** The staging of the settings, or undefined when no bucket is set; a bucket without a way for Redshift to read it is refused. */
export function stagingOf(settings: RedshiftSettings): Staging | undefined {
  if (!settings.s3Bucket) return undefined;
  if (Boolean(settings.accessKeyId) !== Boolean(settings.secretAccessKey)) throw new Error('accessKeyId and secretAccessKey are given together or not at all');
  let authorization: CopyAuthorization;
  if (settings.iamRole) authorization = { iamRole: settings.iamRole };
  else if (settings.accessKeyId && settings.secretAccessKey) authorization = { accessKeyId: settings.accessKeyId, secretAccessKey: settings.secretAccessKey };
  else throw new Error('s3Bucket needs iamRole, or accessKeyId and secretAccessKey, so that COPY may read the staged files');
  const prefix = (settings.s3Prefix ?? '').replace(/^\/+/, '');
  return {
    bucket: settings.s3Bucket,
    prefix: prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`,
    region: settings.s3Region ?? 'us-east-1',
    regionGiven: settings.s3Region !== undefined,
    authorization,
    ...(settings.accessKeyId && settings.secretAccessKey ? { credentials: { accessKeyId: settings.accessKeyId, secretAccessKey: settings.secretAccessKey } } : {}),
    ...(settings.s3Endpoint ? { endpoint: settings.s3Endpoint } : {}),
    forcePathStyle: settings.s3ForcePathStyle ?? false,
  };
}
