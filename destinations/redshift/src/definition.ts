import { fieldsToJsonSchema } from '@stowage/core';
import { pgProtocolDefinition, type TestSession } from '@stowage/destination-postgres';
import type { RedshiftSettings } from './settings.js';

/** Settings fields: one source for the configuration's validation, its docs and its types. */
export const fields = {
  url: {
    label: 'Connection URL',
    description: '`postgres://user:password@cluster.abc123.eu-west-1.redshift.amazonaws.com:5439/dev` (a provisioned cluster or a Serverless workgroup endpoint). The fields below override its parts.',
    type: 'password' as const,
  },
  host: { label: 'Host', description: 'Endpoint host name of the cluster or workgroup.', type: 'string' as const },
  port: { label: 'Port', description: 'Default 5439.', type: 'integer' as const },
  database: { label: 'Database', description: 'Database the schemas are created in (`dev` by default on a new cluster).', type: 'string' as const },
  user: { label: 'User', description: 'Database user; it needs CREATE on the database (for `engage_<space>` and `<space>`) and TEMP (for staging tables).', type: 'string' as const },
  password: { label: 'Password', description: 'Password of the user. Never written to logs, errors or history.', type: 'password' as const },
  sslmode: {
    label: 'SSL mode',
    description: '`require` (default: encrypted, certificate not checked), `verify-full` (encrypted, certificate and host checked) or `disable`.',
    type: 'string' as const,
    choices: ['require', 'verify-full', 'disable'],
  },
  connectTimeoutSeconds: { label: 'Connect timeout', description: 'Seconds to wait for a connection. Default: the URL\'s connect_timeout, else 10.', type: 'integer' as const },
  s3Bucket: {
    label: 'S3 bucket',
    description: 'Bucket rows are staged in as gzipped JSON files for COPY, which is how Redshift loads fast. Without it, rows are loaded with batched multi-row INSERTs (fine for small spaces, slow for large ones).',
    type: 'string' as const,
  },
  s3Prefix: { label: 'S3 prefix', description: 'Key prefix of the staged files, for example `stowage/`. Files are removed once loaded; a lifecycle rule on the prefix clears any left by a killed process.', type: 'string' as const },
  s3Region: { label: 'S3 region', description: "Region of the bucket. Default `us-east-1` for uploads; COPY names it only when given (otherwise Redshift assumes the cluster's region).", type: 'string' as const },
  iamRole: {
    label: 'IAM role ARN',
    description: '`arn:aws:iam::123456789012:role/RedshiftCopy`: a role attached to the cluster that may read the bucket, or `default` for the cluster\'s default IAM role. COPY authorizes with it (preferred over an access key).',
    type: 'string' as const,
  },
  accessKeyId: {
    label: 'Access key ID',
    description: 'Access key Stowage uploads with (without one, the AWS SDK default chain: environment, shared config, instance role); COPY uses it too when no IAM role is given.',
    type: 'string' as const,
  },
  secretAccessKey: { label: 'Secret access key', description: 'Secret of the access key. Never written to logs, errors or history.', type: 'password' as const },
  sessionToken: {
    label: 'Session token',
    description: 'With temporary keys (`ASIA…`: an assumed role, AWS SSO), their session token, which uploads and COPY send with them. Temporary keys expire: give new ones (from the environment, `${VAR}`) before they do. Never written to logs, errors or history.',
    type: 'password' as const,
  },
  s3Endpoint: {
    label: 'S3 endpoint',
    description: 'An S3-compatible endpoint for uploads instead of AWS (a local server in tests). Redshift itself only reads from AWS S3.',
    type: 'string' as const,
  },
  s3ForcePathStyle: { label: 'S3 path-style addressing', description: 'Address the bucket in the path rather than the host name; most S3-compatible servers need it. Default false.', type: 'boolean' as const },
};

/** The definition of a Redshift warehouse; `connect` also proves the S3 staging when one is set. */
export function redshiftDefinition(connect: (settings: RedshiftSettings) => Promise<TestSession>) {
  return pgProtocolDefinition(
    { name: 'Stowage Redshift', slug: 'stowage-redshift', description: 'Lands Engage audiences, computed traits and journeys in Amazon Redshift, in the schema Segment documents.' },
    fields,
    connect,
  );
}

export const settingsSchema = fieldsToJsonSchema(fields as never);
