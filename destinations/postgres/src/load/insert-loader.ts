import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { rowValue, writeLoadLines, type SqlValue } from '@stowage/core';
import type { Loader } from './loader.js';

/**
 * Parameters a statement binds at most. The protocol's count is 16 bits: PostgreSQL reads it
 * unsigned (65,535), Redshift signed (32,767; past it, `there is no parameter $-32768`).
 */
export const MAX_PARAMS = { postgres: 65_535, redshift: 32_767 } as const;
/** Rows per statement: past ~1,000 a longer statement stops paying for itself (measured: ~93,000 rows/s). */
const MAX_ROWS = 1000;
/**
 * Bytes of values per statement (as their JSON, UTF-8): a statement of a thousand wide rows would
 * be hundreds of megabytes, and Redshift refuses a statement over 16 MB. A row alone may be
 * longer (it is sent alone): Redshift's own bound on a row (4 MB, `rowLimit`) keeps it within 16 MB.
 */
const MAX_BYTES = 8_000_000;

/**
 * Batched multi-row INSERT with bound parameters: for servers that cannot take COPY over the wire
 * (PGlite behind its socket, a proxy that blocks it) and for Redshift without S3 staging. The load
 * file holds one JSON array of values per row, in the file's column order.
 */
export function insertLoaderBinding(maxParams: number): Loader {
  return {
    name: 'insert',
    write: (dir, columns, rows) => writeLoadLines(dir, 'ndjson', columns, rows, (row) => JSON.stringify(columns.map((c) => rowValue(row, c.name) ?? null)) + '\n'),
    async load(client, table, file, quote) {
      const width = Math.max(1, file.columns.length);
      const perStatement = Math.max(1, Math.min(MAX_ROWS, Math.floor(maxParams / width)));
      const head = `INSERT INTO ${table} (${file.columns.map((c) => quote(c.name)).join(', ')}) VALUES `;
      let params: SqlValue[] = [];
      let tuples: string[] = [];
      let bytes = 0;
      const flush = async () => {
        if (tuples.length === 0) return;
        await client.query(head + tuples.join(', '), params);
        params = [];
        tuples = [];
        bytes = 0;
      };
      for await (const line of createInterface({ input: createReadStream(file.path), crlfDelay: Infinity })) {
        if (line === '') continue;
        const size = Buffer.byteLength(line, 'utf8');
        if (bytes + size > MAX_BYTES) await flush();
        bytes += size;
        const values = JSON.parse(line) as SqlValue[];
        const first = params.length;
        tuples.push(`(${values.map((_, i) => `$${first + i + 1}`).join(', ')})`);
        params.push(...values);
        if (tuples.length >= perStatement) await flush();
      }
      await flush();
    },
  };
}

/** The insert loader for PostgreSQL. */
export const insertLoader = insertLoaderBinding(MAX_PARAMS.postgres);
