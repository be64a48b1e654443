import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { DeleteObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
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

/**
 * An S3 client for the staging bucket. Without an access key it uses the SDK's default chain
 * (environment, shared config, instance role). Checksums only where S3 requires them, so that
 * S3-compatible servers that predate the SDK's default CRC32 accept the uploads.
 */
export function s3Client(staging: Staging): S3Client {
  return new S3Client({
    region: staging.region,
    ...(staging.credentials ? { credentials: staging.credentials } : {}),
    ...(staging.endpoint ? { endpoint: staging.endpoint } : {}),
    forcePathStyle: staging.forcePathStyle,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

/** A new key under the prefix: files of concurrent sessions never share one. */
export const newKey = (staging: Staging, suffix: string): string => `${staging.prefix}stowage-${randomUUID()}${suffix}`;

export const s3Url = (staging: Staging, key: string): string => `s3://${staging.bucket}/${key}`;

/** Uploads a local file; returns its size. */
export async function putFile(client: S3Client, staging: Staging, key: string, path: string): Promise<number> {
  const { size } = await stat(path);
  await client.send(new PutObjectCommand({ Bucket: staging.bucket, Key: key, Body: createReadStream(path), ContentLength: size }));
  return size;
}

export async function putText(client: S3Client, staging: Staging, key: string, text: string): Promise<void> {
  await client.send(new PutObjectCommand({ Bucket: staging.bucket, Key: key, Body: text, ContentType: 'application/json' }));
}

/**
 * Removes staged objects. A removal that fails is not the load's failure (its rows are in);
 * what stays behind is left to a lifecycle rule on the prefix (docs/warehouses/redshift.md).
 */
export async function removeObjects(client: S3Client, staging: Staging, keys: readonly string[]): Promise<void> {
  await Promise.all(keys.map((key) => client.send(new DeleteObjectCommand({ Bucket: staging.bucket, Key: key })).catch(() => undefined)));
}

/** Writes and removes a small object: proves the bucket, the prefix and the uploader's credentials. */
export async function probe(staging: Staging): Promise<void> {
  const client = s3Client(staging);
  const key = newKey(staging, '.probe');
  try {
    await putText(client, staging, key, '{}');
    await client.send(new DeleteObjectCommand({ Bucket: staging.bucket, Key: key }));
  } finally {
    client.destroy();
  }
}
