import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { testPostgres } from '@stowage/testkit';
import { postgres } from '../src/index.js';
import { insertLoader } from '../src/connect.js';

const server = await testPostgres();
const dir = mkdtempSync(join(tmpdir(), 'stowage-insert-loader-'));
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe(`the insert loader (${server.label})`, () => {
  it('keeps each statement within 8 million bytes of values, however few rows that is, and loads every row once', async () => {
    const client = new pg.Client({ connectionString: await server.freshDatabase() });
    await client.connect();
    try {
      await client.query('CREATE TABLE wide (id text, body text)');
      // Five rows of 1.5 million two-byte characters (3 MB each): 1,000 rows a statement would be
      // one statement of 15 MB, and counting characters rather than bytes, one of 7.5 million.
      const rows = Array.from({ length: 5 }, (_, i) => ({ id: `m${i}`, body: `é${i}`.repeat(1_000_000) }));
      const file = await insertLoader.write(dir, [{ name: 'id', type: 'string' }, { name: 'body', type: 'string' }], rows);
      const statements: number[] = [];
      const counting = Object.create(client) as pg.Client;
      counting.query = ((text: string, values: unknown[]) => {
        statements.push(values.reduce<number>((n, v) => n + String(v).length, 0)); // characters of the statement's values
        return client.query(text, values);
      }) as never;
      await insertLoader.load(counting, 'wide', file, postgres.dialect.quote);
      // Two rows (6 MB) a statement: three statements.
      expect(statements).toEqual([4_000_004, 4_000_004, 2_000_002]);
      const { rows: loaded } = await client.query('SELECT id, octet_length(body) AS n FROM wide ORDER BY id');
      expect(loaded).toEqual(rows.map((r) => ({ id: r.id, n: 3_000_000 })));
    } finally {
      await client.end();
    }
  });
});
