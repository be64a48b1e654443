// Rows of earlier runs in a Storage Actions table, so that a benchmark measures a run into a table
// that has been written for a while, as a user's is (`bench:actions -- --history N`). They are
// made by the warehouse itself in one statement, stamped before HISTORY_ENDS (an hour's runs of
// 100,000 rows each), and deleted again before the baseline reads the table's rows back.
import { createRequire } from 'node:module';
import { join } from 'node:path';

const require = createRequire(join(import.meta.dirname, '..', 'destinations', 'postgres', 'package.json'));

/** Every history row is older than this; the measured run's rows are not. */
export const HISTORY_ENDS = '2026-06-01T00:00:00.000Z';

const ROWS_PER_RUN = 100_000;

/** The preset columns of a linked audience's table, each as the SQL that makes its value from row number `i`. */
function values(context) {
  return {
    id: `md5('history-' || i)`,
    entity_context: `'{"cart_id":"h' || i || '","items":[' || repeat('{"sku":"sku_1","name":"Product of an earlier cart","price":12.5,"qty":1},', ${context}) || '{}]}'`,
    user_id: `'hu' || i`,
    audience_key: `'carts'`,
    personas_computation_key: `'carts'`,
    personas_computation_id: `'carts'`,
    personas_computation_run_id: `'history-' || (i // ${ROWS_PER_RUN})`,
    personas_activation_id: `'carts_to_wh'`,
    event_name: `'Linked Audience Entered'`,
  };
}

/** Adds `rows` rows of earlier runs (entity contexts of about `contextBytes`) to `<schema>.<table>`. */
export async function fillHistory(target, { schema, table, rows, contextBytes }) {
  const items = Math.max(0, Math.round((contextBytes - 40) / 70));
  const v = values(items);
  const columns = ['id', 'received_at', ...Object.keys(v).filter((c) => c !== 'id')];
  const q = (name) => `"${name}"`;
  if (target.kind === 'duckdb') {
    const exprs = columns.map((c) => (c === 'received_at' ? `TIMESTAMP '2026-01-01' + to_hours(i // ${ROWS_PER_RUN})` : v[c]));
    await duckdb(target.path, async (c) => {
      await c.run(`INSERT INTO ${q(schema)}.${q(table)} (${columns.map(q).join(', ')}) SELECT ${exprs.join(', ')} FROM range(${rows}) r(i)`);
      await c.run('CHECKPOINT');
    });
  } else {
    const exprs = columns.map((c) => (c === 'received_at' ? `TIMESTAMPTZ '2026-01-01T00:00:00Z' + (i / ${ROWS_PER_RUN}) * INTERVAL '1 hour'` : v[c].replaceAll('//', '/')));
    await postgres(target.url, async (c) => {
      await c.query(`INSERT INTO ${q(schema)}.${q(table)} (${columns.map(q).join(', ')}) SELECT ${exprs.join(', ')} FROM generate_series(0, ${rows - 1}) AS g(i)`);
      await c.query(`ANALYZE ${q(schema)}.${q(table)}`);
    });
  }
}

/** Deletes the history rows again, so that the baseline loads the measured run's rows alone. */
export async function dropHistory(target, { schema, table }) {
  const sql = `DELETE FROM "${schema}"."${table}" WHERE received_at < '${HISTORY_ENDS}'`;
  if (target.kind === 'duckdb') await duckdb(target.path, (c) => c.run(sql));
  else await postgres(target.url, (c) => c.query(sql));
}

export async function duckdb(path, work) {
  const { DuckDBInstance } = require('@duckdb/node-api');
  const instance = await DuckDBInstance.create(path);
  const connection = await instance.connect();
  try {
    await work(connection);
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

export async function postgres(url, work) {
  const pg = require('pg');
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await work(client);
  } finally {
    await client.end();
  }
}
