import { redact, writeLoadLines } from '@stowage/core';
import { LoaderError, type Loader } from '@stowage/destination-postgres';
import { dialect } from '../dialect.js';
import { copyFromManifest } from './copy-statement.js';
import { gzipFile } from './gzip-file.js';
import { jsonLine } from './json-lines.js';
import { manifest } from './manifest.js';
import { newKey, probe, putFile, putText, regionHint, RemovalRefused, removeObjects, s3Client, s3Url } from './s3-staging.js';
import type { Staging } from './staging-settings.js';

/** An error of the load with the secret access key (which the COPY statement carries) taken out, keeping pg's code and detail. */
function redacted(error: unknown, secrets: readonly string[]): Error {
  const e = error as Error & { code?: string; detail?: string };
  return Object.assign(new Error(redact(e.message ?? String(error), secrets)), {
    ...(e.code !== undefined ? { code: e.code } : {}),
    ...(e.detail !== undefined ? { detail: redact(e.detail, secrets) } : {}),
  });
}

/** An upload to the staging bucket that failed: said as such, never as the database connection's failure. */
const uploadFailed = (staging: Staging, key: string) => (error: unknown): never => {
  throw new LoaderError(`the upload of a load file to ${s3Url(staging, key)} (s3Bucket, s3Region, s3Endpoint) failed: ${(error as Error)?.message ?? String(error)}${regionHint(staging, error)}`);
};

/**
 * The way Redshift wants rows: gzipped JSON lines written on the client (while the previous
 * batch loads), uploaded to S3 with a manifest naming them, and one COPY of that manifest into
 * the session's staging table, inside the writer's transaction. The objects are removed once
 * COPY has read them, whether it succeeded or not; a rolled-back transaction takes the rows with
 * it, and a replay uploads anew.
 */
export function s3Loader(staging: Staging): Loader {
  const secrets = 'secretAccessKey' in staging.authorization ? [staging.authorization.secretAccessKey, ...(staging.authorization.sessionToken ? [staging.authorization.sessionToken] : [])] : [];
  if (staging.credentials) secrets.push(staging.credentials.secretAccessKey, ...(staging.credentials.sessionToken ? [staging.credentials.sessionToken] : []));
  return {
    name: 's3',
    write: async (dir, columns, rows) => gzipFile(await writeLoadLines(dir, 'json', columns, rows, (row) => jsonLine(columns, row))),
    async probe() {
      return probe(staging).then(
        () => [],
        (error: Error) => [
          error instanceof RemovalRefused
            ? redact(error.message, secrets)
            : `cannot write to ${s3Url(staging, staging.prefix)} (s3Bucket, s3Prefix, s3Region, s3Endpoint, and the keys or the credentials of the environment): ${redact(error.message, secrets)}${regionHint(staging, error)}`,
        ],
      );
    },
    async load(client, table, file, quote) {
      const s3 = s3Client(staging);
      const dataKey = newKey(staging, '.json.gz');
      const manifestKey = `${dataKey.slice(0, -'.json.gz'.length)}.manifest`;
      try {
        const bytes = await putFile(s3, staging, dataKey, file.path).catch(uploadFailed(staging, dataKey));
        await putText(s3, staging, manifestKey, manifest([{ url: s3Url(staging, dataKey), bytes }])).catch(uploadFailed(staging, manifestKey));
        await client.query(
          copyFromManifest({
            table,
            columns: file.columns.map((c) => quote(c.name)),
            manifestUrl: s3Url(staging, manifestKey),
            authorization: staging.authorization,
            ...(staging.regionGiven ? { region: staging.region } : {}),
            literal: dialect.literal,
          }),
        );
      } catch (error) {
        if (error instanceof LoaderError) throw new LoaderError(redact(error.message, secrets));
        throw redacted(error, secrets);
      } finally {
        await removeObjects(s3, staging, [dataKey, manifestKey]);
        s3.destroy();
      }
    },
  };
}
