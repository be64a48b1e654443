/** `default`: the IAM role the cluster (or Serverless namespace) has as its default, which COPY names as `IAM_ROLE default`. */
export const isDefaultRole = (iamRole: string): boolean => iamRole.trim().toLowerCase() === 'default';

/** How Redshift is allowed to read the staged files: a role attached to the cluster, or an access key. */
export type CopyAuthorization = { iamRole: string } | { accessKeyId: string; secretAccessKey: string; sessionToken?: string };

export interface CopyFromManifest {
  /** Quoted table, and its quoted columns in the order of the file's records. */
  table: string;
  columns: readonly string[];
  manifestUrl: string;
  authorization: CopyAuthorization;
  /** Region of the bucket, when it is not the cluster's. */
  region?: string;
  literal(value: string): string;
}

/**
 * COPY of gzipped JSON lines listed in a manifest. TIMEFORMAT 'auto' reads ISO-8601 with `Z`.
 * The target is a fresh staging table whose rows are then inserted by the writer: COMPUPDATE OFF
 * spares the compression analysis COPY runs on an empty table, STATUPDATE OFF the statistics the
 * driver gathers itself (on the key only). Nothing that drops or truncates data is asked for
 * (no TRUNCATECOLUMNS, no MAXERROR, no ACCEPTINVCHARS): a value Redshift cannot take fails the
 * load with Redshift's reason.
 */
export function copyFromManifest(copy: CopyFromManifest): string {
  const { literal } = copy;
  let authorization: string;
  // `default` is a keyword, not a literal: quoted, Redshift would read it as a role's ARN.
  if ('iamRole' in copy.authorization) authorization = `IAM_ROLE ${isDefaultRole(copy.authorization.iamRole) ? 'default' : literal(copy.authorization.iamRole)}`;
  else {
    // Temporary keys are refused by COPY without their token (`token=`, Redshift's credentials string).
    const token = copy.authorization.sessionToken ? `;token=${copy.authorization.sessionToken}` : '';
    const credentials = `aws_access_key_id=${copy.authorization.accessKeyId};aws_secret_access_key=${copy.authorization.secretAccessKey}${token}`;
    // The literal's own refusal quotes what it refuses: here, a secret (cut, so that no redaction would find it).
    if (credentials.includes('\\')) throw new Error("COPY's CREDENTIALS cannot carry the access key: it holds a backslash, which no AWS key has");
    authorization = `CREDENTIALS ${literal(credentials)}`;
  }
  return [
    `COPY ${copy.table} (${copy.columns.join(', ')})`,
    `FROM ${literal(copy.manifestUrl)}`,
    authorization,
    'MANIFEST',
    ...(copy.region ? [`REGION ${literal(copy.region)}`] : []),
    "FORMAT AS JSON 'auto'",
    'GZIP',
    "TIMEFORMAT 'auto'",
    'COMPUPDATE OFF STATUPDATE OFF',
  ].join(' ');
}
