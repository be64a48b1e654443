import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { testPostgres } from '@stowage/testkit';
import type { Column } from '@stowage/core';
import { redshift } from '../src/index.js';
import { loaderFor } from '../src/loader-for.js';

const server = await testPostgres();
const dir = mkdtempSync(join(tmpdir(), 'stowage-redshift-insert-'));
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe(`Redshift's INSERT fallback, without S3 staging (${server.label})`, () => {
  it('binds at most 32,767 parameters a statement, the most Redshift reads, and loads every row once', async () => {
    const client = new pg.Client({ connectionString: await server.freshDatabase() });
    await client.connect();
    try {
      // 40 columns: 1,000 rows a statement would bind 40,000 parameters, which Redshift reads as
      // a negative count (`there is no parameter $-32768`) and refuses, batch after batch.
      const columns: Column[] = Array.from({ length: 40 }, (_, i) => ({ name: `c${i}`, type: 'string' }));
      await client.query(`CREATE TABLE wide (${columns.map((c) => `${c.name} text`).join(', ')})`);
      const rows = Array.from({ length: 1200 }, (_, r) => Object.fromEntries(columns.map((c) => [c.name, `${c.name}-${r}`])));
      const loader = loaderFor({} as never);
      const file = await loader.write(dir, columns, rows);
      const bound: number[] = [];
      const counting = Object.create(client) as pg.Client;
      counting.query = ((text: string, values?: unknown[]) => {
        bound.push(values?.length ?? 0);
        return client.query(text, values);
      }) as never;
      await loader.load(counting, 'wide', file, redshift.dialect.quote);
      expect(Math.max(...bound)).toBeLessThanOrEqual(32_767);
      expect(bound.reduce((a, b) => a + b, 0)).toBe(1200 * 40);
      const { rows: loaded } = await client.query('SELECT count(*)::int AS n, count(DISTINCT c0)::int AS ids FROM wide');
      expect(loaded).toEqual([{ n: 1200, ids: 1200 }]);
    } finally {
      await client.end();
    }
  });
});
