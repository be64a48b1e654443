import { existsSync, mkdirSync, readdirSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import type { Column } from '@stowage/core';
import { join, resolve } from 'node:path';
import { readRun } from '../read-run.js';
import { openStowage } from '../open.js';
import { destinations } from '../registry.js';
import { duration, fmt, table } from '../output.js';
import { SAMPLE_ACTIVATED, SAMPLE_COMPUTATIONS, sampleJourneyRun, sampleLinkedRun, sampleRun } from './sample.js';
import { summarize } from '../commands/sync.js';

const MARKER = '.stowage-demo';

/** What the demo makes in its folder (DuckDB's WAL beside the warehouse, if it was left). */
const MADE = new Set([MARKER, 'stowage.config.json', 'runs', '.stowage', 'warehouse.duckdb', 'warehouse.duckdb.wal']);

/** A run file the demo writes: `runs/<1|2>-<computation>.ndjson`. */
const RUN_FILE = /^[12]-[a-z0-9_]+\.ndjson$/;

/** Entries of a demo folder the demo did not make, as paths under it. */
function notMadeByDemo(root: string): string[] {
  const others = readdirSync(root).filter((entry) => !MADE.has(entry));
  const runs = join(root, 'runs');
  if (existsSync(runs)) others.push(...readdirSync(runs).filter((entry) => !RUN_FILE.test(entry)).map((entry) => join('runs', entry)));
  return others;
}
const RUN_TIMES = ['2026-11-22T10:00:00.000Z', '2026-11-23T10:00:00.000Z'];

/**
 * Lands a realistic sample space in a DuckDB file: writes a configuration and two runs of every
 * computation (so that entries, exits and value changes appear), applies them, syncs, and tours
 * the tables. Re-running starts over, but only in a folder the demo made.
 */
export async function demo(dir: string, profiles: number): Promise<number> {
  const root = resolve(dir);
  if (existsSync(root) && !statSync(root).isDirectory()) throw new Error(`${root} is a file, not a folder; choose another --dir`);
  if (existsSync(root) && readdirSync(root).length > 0) {
    if (!existsSync(join(root, MARKER))) throw new Error(`${root} exists and was not made by \`stowage demo\`; choose another --dir`);
    // Starting over removes what the demo makes, and only that: a file of the user's (notes, a
    // run of their own) is never deleted with it.
    const others = notMadeByDemo(root);
    if (others.length > 0) throw new Error(`${root} holds files \`stowage demo\` did not make (${others.slice(0, 5).join(', ')}${others.length > 5 ? `, and ${others.length - 5} more` : ''}); move them out, or choose another --dir`);
    for (const entry of readdirSync(root)) rmSync(join(root, entry), { recursive: true, force: true });
  }
  mkdirSync(join(root, 'runs'), { recursive: true });
  writeFileSync(join(root, MARKER), 'made by stowage demo\n');
  const configPath = join(root, 'stowage.config.json');
  writeFileSync(configPath, JSON.stringify({
    spaces: {
      default: {
        id: 'spa_demo_default',
        computations: {
          ...Object.fromEntries(SAMPLE_COMPUTATIONS.map((c) => [c.key, { type: c.type, ...(c.valueType ? { valueType: c.valueType } : {}), ...(c.settings ? { warehouses: { local: c.settings } } : {}) }])),
          [SAMPLE_ACTIVATED.linkedAudience]: { type: 'linked_audience' },
          [SAMPLE_ACTIVATED.journeyStep]: { type: 'journey_step' },
        },
        activations: {
          abandoned_carts_to_local: {
            computation: SAMPLE_ACTIVATED.linkedAudience,
            warehouse: 'local',
            table: 'abandoned_carts',
            columns: {
              cart_id: { '@path': '$.properties.data_graph_entity_context.cart_id' },
              cart_total: { '@path': '$.properties.data_graph_entity_context.total' },
            },
          },
          welcome_step_2_to_local: { computation: SAMPLE_ACTIVATED.journeyStep, warehouse: 'local', table: 'journey_steps' },
        },
      },
    },
    warehouses: { local: { type: 'duckdb', settings: { path: 'warehouse.duckdb' }, schedule: '0 * * * *' } },
  }, null, 2) + '\n');

  const started = Date.now();
  const keys = [...SAMPLE_COMPUTATIONS.map((c) => c.key), SAMPLE_ACTIVATED.linkedAudience, SAMPLE_ACTIVATED.journeyStep];
  console.log(`Stowage demo: ${fmt(profiles)} profiles, ${keys.length} computations, 2 runs each, into ${join(root, 'warehouse.duckdb')}\n`);
  for (let run = 0; run < 2; run++) {
    const write = (key: string, kind: string, rows: unknown[]) => {
      const header = { space: 'default', computation: key, id: `run_${run + 1}_${key}`, kind, completedAt: RUN_TIMES[run] };
      writeFileSync(join(root, 'runs', `${run + 1}-${key}.ndjson`), [header, ...rows].map((x) => JSON.stringify(x)).join('\n') + '\n');
    };
    for (const c of SAMPLE_COMPUTATIONS) write(c.key, 'snapshot', sampleRun(c, run, profiles));
    write(SAMPLE_ACTIVATED.linkedAudience, 'snapshot', sampleLinkedRun(run, profiles));
    // A journey step's run lists the profiles that entered the step during the run.
    write(SAMPLE_ACTIVATED.journeyStep, 'delta', sampleJourneyRun(run, profiles));
  }
  const stowage = openStowage(configPath);
  try {
    for (let run = 0; run < 2; run++) {
      let changes = 0;
      let calls = 0;
      const written: string[] = [];
      for (const key of keys) {
        const { header, profiles: rows } = readRun(join(root, 'runs', `${run + 1}-${key}.ndjson`));
        const outcome = await stowage.applyRun(header, rows);
        changes += outcome.changes;
        calls += outcome.calls;
        for (const a of outcome.activations) written.push(`${a.table} ${fmt(a.written)} rows in ${duration(a.ms)}`);
        for (const w of outcome.writes) if (w.status === 'Failure') throw new Error(`the Storage Actions write failed: ${w.error}`);
      }
      console.log(`run ${run + 1} (${RUN_TIMES[run]}): ${fmt(changes)} changes → ${fmt(calls)} calls logged for the Classic sync; written at once: ${written.join(', ')}`);
    }
    await stowage.close();
    const record = await stowage.sync('local', { trigger: 'demo' });
    console.log(summarize(record));
    if (record.status === 'Failure') return 1;
    await tour(stowage.config.root, profiles);
    // The command as it was started: a bare `npx stowage` outside the checkout would look for a package of that name on the registry.
    console.log(`\nDone in ${duration(Date.now() - started)}. Explore it:\n  cd ${dir} && ${thisCommand()} history\n  duckdb ${join(dir, 'warehouse.duckdb')}   (or any DuckDB client)`);
    return 0;
  } finally {
    await stowage.close();
  }
}

async function tour(root: string, profiles: number): Promise<void> {
  const duckdb = destinations.get('duckdb')!;
  const driver = await duckdb.connect({ path: 'warehouse.duckdb' }, { root });
  try {
    const tables = await driver.query<{ table_name: string; n: number }>(
      "SELECT table_name, estimated_size AS n FROM duckdb_tables() WHERE schema_name = 'engage_default' ORDER BY table_name",
    );
    console.log(`\nengage_default, the Classic schema:\n`);
    const counts = [];
    for (const t of tables) {
      const [{ n }] = await driver.query<{ n: number }>(`SELECT count(*) AS n FROM "engage_default".${duckdb.dialect.quote(t.table_name)}`);
      const cols = (await driver.columns('engage_default', t.table_name)) ?? [];
      counts.push([t.table_name, fmt(n), cols.length, cols.filter((c) => !c.name.startsWith('context_')).slice(0, 6).map((c) => c.name).join(', ') + (cols.length > 6 ? ', …' : '')]);
    }
    console.log(table(['table', 'rows', 'columns', 'first columns'], counts));
    // A small sample (`--profiles 1`) makes only the tables and columns its data needs: a query of
    // one it never made shows none, as a query that finds no row does, rather than failing the demo.
    const catalog = new Map<string, Map<string, Column[]>>();
    for (const schema of ['engage_default', 'default']) catalog.set(schema, await driver.tables(schema));
    const missing = (needs: Record<string, readonly string[]>) =>
      Object.entries(needs).flatMap(([qualified, columns]) => {
        const [schema, name] = qualified.split('.') as [string, string];
        const have = catalog.get(schema)?.get(name);
        if (!have) return [qualified];
        return columns.filter((c) => !have.some((h) => h.name === c)).map((c) => `${qualified}.${c}`);
      });
    const show = async (title: string, sql: string, needs: Record<string, readonly string[]>) => {
      const absent = missing(needs);
      console.log(`\n${title}\n`);
      if (absent.length > 0) {
        console.log(`(none: this sample of ${fmt(profiles)} profiles made no ${absent.join(', ')})`);
        return;
      }
      const rows = await driver.query(sql);
      console.log(table(Object.keys(rows[0] ?? { none: '' }), rows.map((r) => Object.values(r).map((v) => (v === null ? '' : String(v))))));
    };
    // Its calls of the two computations shown: u123 has identify calls of other traits too, each a row of its own.
    await show('engage_default.identifies for u123 (its identify calls of these two):', `SELECT user_id, first_time_shopper, total_revenue_180_days, "timestamp" FROM engage_default.identifies WHERE user_id = 'u123' AND (first_time_shopper IS NOT NULL OR total_revenue_180_days IS NOT NULL) ORDER BY "timestamp", total_revenue_180_days NULLS FIRST`, { 'engage_default.identifies': ['first_time_shopper', 'total_revenue_180_days'] });
    await show('engage_default.users for u123 (one row per user, latest values):', `SELECT user_id, first_time_shopper, total_revenue_180_days, favorite_category, orders_count_90_days FROM engage_default.users WHERE user_id = 'u123'`, { 'engage_default.users': ['first_time_shopper', 'total_revenue_180_days', 'favorite_category', 'orders_count_90_days'] });
    await show('engage_default.audience_exited (a few of the exits of run 2):', `SELECT user_id, audience_key, first_time_shopper FROM engage_default.audience_exited WHERE audience_key = 'first_time_shopper' ORDER BY user_id LIMIT 3`, { 'engage_default.audience_exited': ['audience_key', 'first_time_shopper'] });
    await show('engage_default.users: first_time_shopper is tri-state (true in, false exited, null never in):', `SELECT first_time_shopper, count(*) AS users FROM engage_default.users GROUP BY 1 ORDER BY 1 NULLS LAST`, { 'engage_default.users': ['first_time_shopper'] });
    console.log('\n\ndefault, the Storage Actions schema (written as each run is applied; appended, never updated):');
    await show('default.abandoned_carts, a linked audience: one row per change, cart_id and cart_total mapped out of entity_context:', `SELECT event_name, count(*) AS "rows", count(DISTINCT user_id) AS user_ids, count(*) FILTER (WHERE user_id IS NULL) AS "rows without user_id" FROM "default".abandoned_carts GROUP BY 1 ORDER BY 1`, { 'default.abandoned_carts': ['event_name', 'user_id'] });
    await show('default.abandoned_carts for u1 (its entity context is its newest cart, as JSON):', `SELECT personas_computation_run_id AS run, event_name, cart_id, cart_total, left(entity_context, 60) || '…' AS entity_context FROM "default".abandoned_carts WHERE user_id = 'u1' ORDER BY received_at, event_name`, { 'default.abandoned_carts': ['personas_computation_run_id', 'event_name', 'cart_id', 'cart_total', 'entity_context', 'user_id'] });
    await show('default.journey_steps, a journey step (journey_context and journey_metadata as JSON):', `SELECT user_id, event_name, journey_context, left(journey_metadata, 50) || '…' AS journey_metadata FROM "default".journey_steps ORDER BY received_at, user_id LIMIT 3`, { 'default.journey_steps': ['user_id', 'event_name', 'journey_context', 'journey_metadata'] });
  } finally {
    await driver.close();
  }
}

/** How to run this same stowage from anywhere: node and the script this process was started with. */
function thisCommand(): string {
  const script = process.argv[1];
  if (!script) return 'npx stowage';
  const path = realpathSync(script);
  return /\s/.test(path) ? `node "${path}"` : `node ${path}`;
}
