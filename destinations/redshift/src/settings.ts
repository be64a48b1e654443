import type { PgConnectionSettings } from '@stowage/destination-postgres';

/**
 * Settings of a Redshift warehouse: the connection, as for PostgreSQL (`url` such as
 * `postgres://user:password@cluster.abc123.eu-west-1.redshift.amazonaws.com:5439/dev`, port 5439
 * and `sslmode` `require` by default), and, for bulk loads, where rows are staged on S3 and how
 * Redshift may read them.
 */
export interface RedshiftSettings extends PgConnectionSettings {
  /** Bucket rows are staged in for COPY. Without it, rows are loaded with batched INSERTs. */
  s3Bucket?: string;
  /** Key prefix of the staged files, `stowage/` for example. */
  s3Prefix?: string;
  /** Region of the bucket. Default `us-east-1`. */
  s3Region?: string;
  /** ARN of an IAM role attached to the cluster that may read the bucket: COPY authorizes with it. */
  iamRole?: string;
  /** Access key that may write the bucket; COPY uses it too when no IAM role is given. */
  accessKeyId?: string;
  secretAccessKey?: string;
  /** With temporary keys (an assumed role, AWS SSO: `ASIA…`), their session token; uploads and COPY need it. */
  sessionToken?: string;
  /** An S3-compatible endpoint instead of AWS's (uploads only: Redshift itself reads from AWS S3). */
  s3Endpoint?: string;
  /** Address the bucket in the path (`host/bucket/key`) rather than the host name; most S3-compatible servers want it. */
  s3ForcePathStyle?: boolean;
}
