import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { DeleteObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { S3_IDLE_TIMEOUT_MS, type Staging } from './staging-settings.js';

/**
 * An S3 client for the staging bucket. Without an access key it uses the SDK's default chain
 * (environment, shared config, instance role). Checksums only where S3 requires them, so that
 * S3-compatible servers that predate the SDK's default CRC32 accept the uploads. A request that
 * gets no connection, or hears nothing, for `S3_IDLE_TIMEOUT_MS` fails (the SDK tries it again).
 */
export function s3Client(staging: Staging): S3Client {
  return withoutNodeVersionWarning(() => new S3Client({
    region: staging.region,
    ...(staging.credentials ? { credentials: staging.credentials } : {}),
    ...(staging.endpoint ? { endpoint: staging.endpoint } : {}),
    forcePathStyle: staging.forcePathStyle,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    // A connection not made, or a request silent either way, this long fails (the SDK waits for ever by default).
    requestHandler: { connectionTimeout: staging.idleTimeoutMs ?? S3_IDLE_TIMEOUT_MS, socketTimeout: staging.idleTimeoutMs ?? S3_IDLE_TIMEOUT_MS },
    // Its failures reach the caller as errors; left without a logger, the SDK also prints some
    // (a failed streaming upload) on the console, beside Stowage's own message.
    logger: QUIET,
  }));
}

/** The variable by which the AWS SDK leaves out its warning about the Node versions of its later releases. */
const NODE_VERSION_WARNING_OFF = 'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED';

/**
 * Makes a client without the warning the SDK prints, at its first client, on a Node older than
 * its releases after January 2027 will need (`NodeVersionSupportWarning: … will require node
 * >=22`): nine lines on stderr in the middle of every `stowage sync`, `run` and `check` that
 * staged on S3, on the Node 20 Stowage runs on, which no setting of Stowage's could act on. The
 * SDK reads the variable as the client is made (and then warns no more in the process); it is
 * set for that moment only, and the process's own value, if any, put back.
 */
function withoutNodeVersionWarning<T>(make: () => T): T {
  const before = process.env[NODE_VERSION_WARNING_OFF];
  process.env[NODE_VERSION_WARNING_OFF] = 'true';
  try {
    return make();
  } finally {
    if (before === undefined) delete process.env[NODE_VERSION_WARNING_OFF];
    else process.env[NODE_VERSION_WARNING_OFF] = before;
  }
}

const quiet = () => undefined;
const QUIET = { trace: quiet, debug: quiet, info: quiet, warn: quiet, error: quiet };

/** A new key under the prefix: files of concurrent sessions never share one. */
export const newKey = (staging: Staging, suffix: string): string => `${staging.prefix}stowage-${randomUUID()}${suffix}`;

export const s3Url = (staging: Staging, key: string): string => `s3://${staging.bucket}/${key}`;

/** Tries of an upload, the first included: the SDK's own count for the requests it may repeat. */
const UPLOAD_TRIES = 3;

/**
 * Whether S3 asks for the request again (a 5xx, `SlowDown`, a throttle, `RequestTimeout`: its
 * 400 for an upload whose body came too slowly) or the connection failed on the way (reset,
 * silent past the idle timeout): what the SDK repeats on its own for a request whose body it can
 * send again.
 */
function worthRepeating(error: unknown): boolean {
  const e = error as { $fault?: unknown; $retryable?: unknown; $metadata?: { httpStatusCode?: unknown }; name?: unknown; code?: unknown } | undefined;
  const status = e?.$metadata?.httpStatusCode;
  return (
    e?.$fault === 'server' ||
    e?.$retryable !== undefined ||
    (typeof status === 'number' && (status >= 500 || status === 429)) ||
    e?.name === 'TimeoutError' ||
    e?.name === 'RequestTimeout' ||
    e?.code === 'ECONNRESET' ||
    e?.code === 'EPIPE'
  );
}

/**
 * Uploads a local file; returns its size. Tried again here, with a new stream of the file, where
 * S3 asks for it (the SDK repeats no request whose body is a stream it has read: a single 500 or
 * `SlowDown`, which it absorbs for every other request, failed the sync).
 */
export async function putFile(client: S3Client, staging: Staging, key: string, path: string): Promise<number> {
  const { size } = await stat(path);
  for (let tried = 1; ; tried++) {
    try {
      await client.send(new PutObjectCommand({ Bucket: staging.bucket, Key: key, Body: createReadStream(path), ContentLength: size }));
      return size;
    } catch (error) {
      if (tried >= UPLOAD_TRIES || !worthRepeating(error)) throw error;
      await new Promise((resolve) => setTimeout(resolve, 250 * 4 ** (tried - 1)));
    }
  }
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

/**
 * What to set where S3 answered that the bucket is in another region than the one asked (a
 * `PermanentRedirect`, or a signature of the wrong region), whose own words name no setting:
 * without `s3Region`, uploads go to us-east-1. Empty for any other failure.
 */
export function regionHint(staging: Staging, error: unknown): string {
  const e = error as { name?: unknown; $metadata?: { httpStatusCode?: unknown } } | undefined;
  const elsewhere = e?.name === 'PermanentRedirect' || e?.name === 'AuthorizationHeaderMalformed' || e?.$metadata?.httpStatusCode === 301;
  if (!elsewhere) return '';
  return staging.regionGiven
    ? ` (S3 says the bucket is not in ${staging.region}: set s3Region to its region)`
    : " (S3 says the bucket is not in us-east-1, where uploads go without s3Region: set s3Region to the bucket's region)";
}

/** The probe wrote its object but could not remove it: the uploads would work, and every staged file stay behind. */
export class RemovalRefused extends Error {
  override name = 'RemovalRefused';
}

/**
 * Writes and removes a small object: proves the bucket, the prefix and the uploader's credentials,
 * both of what a load does with them. A removal refused is a `RemovalRefused`: told as a write
 * refused, it sent the user to a PutObject permission they had.
 */
export async function probe(staging: Staging): Promise<void> {
  const client = s3Client(staging);
  const key = newKey(staging, '.probe');
  try {
    await putText(client, staging, key, '{}');
    await client.send(new DeleteObjectCommand({ Bucket: staging.bucket, Key: key })).catch((error: Error) => {
      throw new RemovalRefused(`wrote to ${s3Url(staging, staging.prefix)}, but cannot remove what it wrote (s3:DeleteObject under the prefix: every staged file would stay on S3, and the probe's ${key} stays there now): ${error?.message ?? String(error)}`);
    });
  } finally {
    client.destroy();
  }
}
