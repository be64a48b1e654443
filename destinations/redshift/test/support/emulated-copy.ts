import { gunzipSync } from 'node:zlib';
import type pg from 'pg';
import type { Loader } from '@stowage/destination-postgres';
import type { TestS3 } from './s3-server.js';

/** What the emulated COPYs saw: each statement, its manifest, and the objects on S3 at that moment. */
export interface CopiesSeen {
  statements: string[];
  manifests: unknown[];
  objectsDuringCopy: string[][];
  /** Makes the next COPY fail with an error that echoes its statement, as a server might. */
  failNext?: boolean;
}

const COPY =
  /^COPY ("[^"]+") \(([^)]*)\) FROM 's3:\/\/([^/']+)\/([^']+)' (?:IAM_ROLE (?:default|'[^']*')|CREDENTIALS '[^']*') MANIFEST(?: REGION '[^']*')? FORMAT AS JSON 'auto' GZIP TIMEFORMAT 'auto' COMPUPDATE OFF STATUPDATE OFF$/;

const unquote = (identifier: string) => identifier.slice(1, -1).replace(/""/g, '"');

/**
 * Redshift's part of COPY … FROM 's3://…manifest' … FORMAT AS JSON 'auto' GZIP, played by the test
 * on PostgreSQL: read the manifest and its files from the local S3 server, gunzip them, match
 * keys to columns, insert the rows. What it checks is Stowage's side (statement, manifest, files,
 * clean-up), not what Redshift accepts, which only a live cluster shows.
 */
export function emulatingCopy(loader: Loader, s3: TestS3, seen: CopiesSeen): Loader {
  return {
    name: loader.name,
    write: loader.write,
    ...(loader.probe ? { probe: loader.probe.bind(loader) } : {}),
    load(client, table, file, quote) {
      const proxy = {
        query: async (sql: string, params?: unknown[]) => {
          const copy = COPY.exec(sql);
          if (!copy) return client.query(sql, params);
          seen.statements.push(sql);
          seen.objectsDuringCopy.push(await s3.keys());
          if (seen.failNext) {
            seen.failNext = false;
            throw new Error(`S3ServiceException: Access Denied (emulated), while running: ${sql}`);
          }
          const [, target, columnList, bucket, manifestKey] = copy;
          if (bucket !== s3.bucket) throw new Error(`COPY reads bucket ${bucket}, not ${s3.bucket}`);
          const manifest = JSON.parse((await s3.get(manifestKey!)).toString('utf8')) as { entries: Array<{ url: string; mandatory: boolean; meta: { content_length: number } }> };
          seen.manifests.push(manifest);
          const columns = columnList!.split(', ').map(unquote);
          for (const entry of manifest.entries) {
            const gz = await s3.get(entry.url.slice(`s3://${bucket}/`.length));
            if (gz.length !== entry.meta.content_length) throw new Error(`${entry.url} is ${gz.length} bytes, the manifest says ${entry.meta.content_length}`);
            for (const line of gunzipSync(gz).toString('utf8').split('\n')) {
              if (line === '') continue;
              const record = JSON.parse(line) as Record<string, unknown>;
              const values = columns.map((c) => record[c] ?? null);
              await client.query(`INSERT INTO ${target} (${columns.map(quote).join(', ')}) VALUES (${values.map((_, i) => `$${i + 1}`).join(', ')})`, values);
            }
          }
          return { rowCount: 0, rows: [] };
        },
      };
      return loader.load(proxy as unknown as pg.Client, table, file, quote);
    },
  };
}
