// Rows of earlier syncs in a Classic schema, so that a benchmark measures a sync into tables that
// have been loaded for a while, as a user's are (`npm run bench -- --history N`). A primer sync of
// a few calls stamped a year earlier makes the tables; the warehouse then adds N rows in SQL,
// spread over the tables as the primer's rows are, each with a message id of its own, stamped
// before HISTORY_ENDS. After the measured sync both are deleted again, so that the baseline loads
// the measured sync's rows alone.
import { readFileSync, writeFileSync } from 'node:fs';
import { writeCalls } from './generate-calls.mjs';
import { duckdb, HISTORY_ENDS, postgres } from './history.mjs';

export { HISTORY_ENDS };

/** The primer's calls: the benchmark's generator, another seed, a year earlier (before HISTORY_ENDS). */
export async function writePrimer(path, count) {
  await writeCalls(path, count, 7);
  writeFileSync(path, readFileSync(path, 'utf8').replaceAll('"2026-', '"2025-'));
}

/** The tables the primer made, with their rows: what the history is spread over. */
async function tableRows(target, schema) {
  const sql = `SELECT table_name FROM information_schema.tables WHERE table_schema = '${schema}' AND table_name NOT LIKE '\\_stowage\\_%' ESCAPE '\\' AND table_name <> 'users'`;
  const counts = new Map();
  const count = async (query) => {
    for (const { table_name: table } of await query(sql)) counts.set(table, Number((await query(`SELECT count(*) AS n FROM "${schema}"."${table}"`))[0].n));
  };
  if (target.kind === 'duckdb') await duckdb(target.path, (c) => count(async (q) => (await c.runAndReadAll(q)).getRowObjectsJS()));
  else await postgres(target.url, (c) => count(async (q) => (await c.query(q)).rows));
  return counts;
}

/** Adds about `rows` rows of earlier syncs to the schema's tables, in the proportions of the rows they hold. */
export async function fillClassicHistory(target, { schema, rows }) {
  const counts = await tableRows(target, schema);
  const total = [...counts.values()].reduce((a, b) => a + b, 0);
  const tables = [...counts].map(([table, n]) => [table, Math.round((rows * n) / total)]);
  // A message id of its own per row (as random as a call's), a time in 2025, a user.
  const q = (name) => `"${name}"`;
  if (target.kind === 'duckdb') {
    await duckdb(target.path, async (c) => {
      for (const [table, n] of tables) {
        await c.run(
          `INSERT INTO ${q(schema)}.${q(table)} (id, received_at, "timestamp", user_id) ` +
            `SELECT md5('${table}-' || i), TIMESTAMP '2025-01-01' + to_seconds(i // 10), TIMESTAMP '2025-01-01' + to_seconds(i // 10), 'history-user-' || (i % 1000000) FROM range(${n}) r(i)`,
        );
      }
      await c.run('CHECKPOINT');
    });
  } else {
    await postgres(target.url, async (c) => {
      for (const [table, n] of tables) {
        await c.query(
          `INSERT INTO ${q(schema)}.${q(table)} (id, received_at, "timestamp", user_id) ` +
            `SELECT md5('${table}-' || i), TIMESTAMPTZ '2025-01-01T00:00:00Z' + (i / 10) * INTERVAL '1 second', TIMESTAMPTZ '2025-01-01T00:00:00Z' + (i / 10) * INTERVAL '1 second', 'history-user-' || (i % 1000000) FROM generate_series(0, ${n - 1}) AS g(i)`,
        );
        await c.query(`ANALYZE ${q(schema)}.${q(table)}`);
      }
    });
  }
  return Object.fromEntries(tables);
}

/** Deletes the history and the primer's rows again (users too: the primer's users), so that the baseline loads the measured sync's rows alone. */
export async function dropClassicHistory(target, { schema }) {
  const tables = [...(await tableRows(target, schema)).keys(), 'users'];
  const statements = tables.map((table) => `DELETE FROM "${schema}"."${table}" WHERE received_at < '${HISTORY_ENDS}'`);
  if (target.kind === 'duckdb') await duckdb(target.path, async (c) => { for (const s of statements) await c.run(s); await c.run('CHECKPOINT'); });
  else await postgres(target.url, async (c) => { for (const s of statements) await c.query(s); });
}
