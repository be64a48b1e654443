// The PostgreSQL baseline: a schema's final rows (every table but Stowage's own `_stowage_*` ones),
// read back with COPY … TO STDOUT into files, then loaded into a fresh schema of the same database
// with the same column types by COPY … FROM STDIN, the fastest way rows enter PostgreSQL.
// Timed: creating the schema and tables, and the COPY of each file. Not timed: reading the rows back.
import { createReadStream, createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pipeline } from 'node:stream/promises';
import { createRequire } from 'node:module';

const require = createRequire(join(import.meta.dirname, '..', 'destinations', 'postgres', 'package.json'));
const pg = require('pg');
const { from: copyFrom, to: copyTo } = require('pg-copy-streams');

const q = (name) => `"${name.replace(/"/g, '""')}"`;

export async function rawCopy({ url, schema }) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const dir = mkdtempSync(join(tmpdir(), 'stowage-raw-copy-'));
  const target = `raw_${schema}`;
  try {
    const { rows: tables } = await client.query(
      `SELECT c.relname AS name,
              string_agg(format('%I %s', a.attname, format_type(a.atttypid, a.atttypmod)), ', ' ORDER BY a.attnum) AS defs
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
        WHERE n.nspname = $1 AND c.relkind = 'r' AND c.relname NOT LIKE '\\_stowage\\_%'
        GROUP BY c.relname ORDER BY c.relname`,
      [schema],
    );
    for (const t of tables) {
      t.file = join(dir, `${t.name}.copy`);
      await pipeline(client.query(copyTo(`COPY ${q(schema)}.${q(t.name)} TO STDOUT`)), createWriteStream(t.file));
    }
    await client.query(`DROP SCHEMA IF EXISTS ${q(target)} CASCADE`);
    const t0 = performance.now();
    await client.query(`CREATE SCHEMA ${q(target)}`);
    for (const t of tables) {
      await client.query(`CREATE TABLE ${q(target)}.${q(t.name)} (${t.defs})`);
      await pipeline(createReadStream(t.file), client.query(copyFrom(`COPY ${q(target)}.${q(t.name)} FROM STDIN`)));
    }
    const seconds = (performance.now() - t0) / 1000;
    const perTable = {};
    let rows = 0;
    for (const t of tables) {
      const { rows: [r] } = await client.query(`SELECT count(*)::bigint AS n FROM ${q(target)}.${q(t.name)}`);
      perTable[t.name] = Number(r.n);
      rows += Number(r.n);
    }
    await client.query(`DROP SCHEMA ${q(target)} CASCADE`);
    return { seconds, rows, tables: perTable };
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await client.end();
  }
}
