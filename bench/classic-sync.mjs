#!/usr/bin/env node
// Classic sync benchmark: how fast Stowage loads Segment-spec calls into a warehouse (DuckDB, or
// PostgreSQL with --warehouse postgres), compared with the raw bulk load of the same final rows
// in the same engine (DuckDB's Appender, PostgreSQL's COPY), and how much memory the sync takes
// as the input grows. A script that prints figures, not a test; docs/benchmarks.md
// explains the method and records results.
//
//   npm run bench                                  sizes 100000,1000000, one run each
//   npm run bench -- --quick                       sizes 20000,100000
//   npm run bench -- --sizes 50000 --repeat 3      medians of 3 runs
//   npm run bench -- --memory-limit 256MB          DuckDB memory_limit for the warehouse
//   npm run bench -- --threads 1                   DuckDB threads for the warehouse
//   npm run bench -- --sizes 100000 --history 20000000
//                                                  into tables already holding 20,000,000 rows of
//                                                  earlier syncs (made in SQL, not timed)
//   npm run bench -- --warehouse postgres          into PostgreSQL (--postgres-url, default
//                                                  $STOWAGE_BENCH_POSTGRES_URL or the local server);
//                                                  each run gets a database of its own, dropped after
//
// Per size: the calls are generated once (bench/generate-calls.mjs), then each run, in a fresh
// folder, forks three child processes (bench/classic-sync-worker.mjs) so that each phase's peak
// RSS is its own: ingest (calls → durable log), sync (log → warehouse, the figure that
// matters) and raw (the warehouse's final rows → a fresh DuckDB through the Appender, or a fresh
// PostgreSQL schema through COPY).
import { describeCode, runChild } from './phases.mjs';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createRequire } from 'node:module';
import { writeCalls } from './generate-calls.mjs';
import { writePrimer } from './classic-history.mjs';

/** Calls of the primer's sync that makes the tables before `--history` fills them. */
const PRIMER_CALLS = 2_000;
import { benchTarget, DEFAULT_POSTGRES_URL } from './targets.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const WORKER = join(here, 'classic-sync-worker.mjs');

/** The targets this benchmark checks (DESIGN.md "Guarantees"; the brief of the benchmark). */
const TARGETS = {
  maxRatio: 2.0, // sync time ≤ 2 × raw Appender load of the same rows
  maxRssMB: 300, // peak RSS of the sync process
  maxRssGrowth: 0.2, // "flat": at most +20 % from the smallest to the largest size
};

function options() {
  const { values } = parseArgs({
    options: {
      sizes: { type: 'string' },
      quick: { type: 'boolean', default: false },
      repeat: { type: 'string', default: '1' },
      'memory-limit': { type: 'string' },
      threads: { type: 'string' },
      'batch-size': { type: 'string', default: '20000' },
      history: { type: 'string', default: '0' },
      keep: { type: 'boolean', default: false },
      warehouse: { type: 'string', default: 'duckdb' },
      'postgres-url': { type: 'string', default: DEFAULT_POSTGRES_URL },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log('usage: node bench/classic-sync.mjs [--quick] [--sizes 100000,1000000] [--repeat N] [--memory-limit 256MB] [--threads N] [--batch-size N] [--history N] [--warehouse duckdb|postgres] [--postgres-url URL] [--keep]');
    console.log('  --history N   the tables already hold about N rows of earlier syncs (made in SQL, not timed) when the calls are synced');
    process.exit(0);
  }
  const sizes = (values.sizes ?? (values.quick ? '20000,100000' : '100000,1000000')).split(',').map((s) => Number(s.replace(/_/g, '')));
  if (sizes.some((n) => !Number.isSafeInteger(n) || n < 1)) throw new Error(`--sizes must be positive integers, not ${values.sizes}`);
  const repeat = Number(values.repeat);
  if (!Number.isSafeInteger(repeat) || repeat < 1) throw new Error(`--repeat must be a positive integer, not ${values.repeat}`);
  const settings = {};
  if (values['memory-limit']) settings.memoryLimit = values['memory-limit'];
  if (values.threads) settings.threads = Number(values.threads);
  const history = Number(values.history.replace(/_/g, ''));
  if (!Number.isSafeInteger(history) || history < 0) throw new Error(`--history must be a non-negative integer, not ${values.history}`);
  return { sizes: [...new Set(sizes)].sort((a, b) => a - b), repeat, settings, batchSize: Number(values['batch-size']), history, keep: values.keep, warehouse: values.warehouse, postgresUrl: values['postgres-url'] };
}

/** The configuration the brief prescribes: one space, one warehouse, 20k calls a batch (the default). */
function writeConfig(dir, type, settings, batchSize) {
  const config = { spaces: { bench: { computations: {} } }, warehouses: { wh: { type, settings } }, batchSize };
  const path = join(dir, 'stowage.json');
  writeFileSync(path, JSON.stringify(config, null, 2));
  return path;
}

/** One run at one size: ingest, sync, baseline, each in its own child process. */
async function runOnce(root, callsPath, size, opts) {
  const dir = mkdtempSync(join(root, `run-${size}-`));
  const target = await opts.target.fresh(dir);
  try {
    const configPath = writeConfig(dir, opts.target.kind, target.settings, opts.batchSize);
    const warehouse = opts.target.kind === 'duckdb' ? { kind: 'duckdb', path: join(dir, target.settings.path) } : { kind: 'postgres', url: target.settings.url };
    if (opts.history > 0) {
      // The primer's sync makes the tables; the history fills them. Neither is timed.
      const primerPath = join(dir, 'primer.ndjson');
      await writePrimer(primerPath, PRIMER_CALLS);
      await runChild(WORKER, { role: 'ingest', configPath, callsPath: primerPath });
      const primer = await runChild(WORKER, { role: 'sync', configPath });
      if (primer.status !== 'Success') throw new Error(`the primer's sync ended ${primer.status}: ${primer.error ?? ''}`);
      const filled = await runChild(WORKER, { role: 'history', warehouse, rows: opts.history, configPath });
      if (filled.keys !== undefined) console.log(`  history: loaded-keys index rebuilt from the tables, ${filled.keys.toLocaleString('en-US')} ids in ${filled.rebuildSeconds.toFixed(2)} s (not timed)`);
    }
    const ingest = await runChild(WORKER, { role: 'ingest', configPath, callsPath });
    if (ingest.accepted !== size || ingest.rejected !== 0) throw new Error(`ingest accepted ${ingest.accepted}, rejected ${ingest.rejected} of ${size}: ${JSON.stringify(ingest.errors)}`);
    const sync = await runChild(WORKER, { role: 'sync', configPath });
    if (sync.status !== 'Success' || sync.calls !== size) throw new Error(`sync ended ${sync.status} with ${sync.calls} of ${size} calls: ${sync.error ?? ''}`);
    if (opts.history > 0) await runChild(WORKER, { role: 'forget', warehouse });
    const raw = await runChild(WORKER, target.raw('engage_bench'));
    const syncRows = Object.values(sync.rows).reduce((a, b) => a + b, 0);
    return { ingest, sync, raw, syncRows };
  } finally {
    if (!opts.keep) {
      rmSync(dir, { recursive: true, force: true });
      await target.drop();
    } else console.log(`  kept ${dir}`);
  }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** Medians over the runs of one size, metric by metric. */
function summarize(size, runs) {
  const m = (f) => median(runs.map(f));
  return {
    calls: size,
    ingestRate: m((r) => size / r.ingest.seconds),
    ingestRssMB: m((r) => r.ingest.maxRssMB),
    syncRate: m((r) => size / r.sync.seconds),
    syncSeconds: m((r) => r.sync.seconds),
    rawSeconds: m((r) => r.raw.seconds),
    ratio: m((r) => r.sync.seconds / r.raw.seconds),
    syncRssMB: m((r) => r.sync.maxRssMB),
    syncHeapMB: m((r) => r.sync.peakHeapMB),
    // Context for the sync's memory, not a target: the baseline's process also reads the rows
    // back from the sync's database as it loads them, and its peak includes that.
    rawRssMB: m((r) => r.raw.maxRssMB),
    rows: runs[0].raw.rows,
    tables: runs[0].raw.tables,
    runs: runs.length,
  };
}

const fmt = (n, digits = 0) => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

function printTable(headers, rows) {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells) => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ')} |`;
  console.log(line(headers));
  console.log(`|${widths.map((w, i) => (i === 0 ? '-'.repeat(w + 1) + '-' : '-'.repeat(w + 1) + ':')).join('|')}|`);
  for (const r of rows) console.log(line(r));
}

function printResults(results, target) {
  console.log('\nClassic sync into %s (median of %d run%s per size)\n', target.label, results[0].runs, results[0].runs > 1 ? 's' : '');
  printTable(
    ['calls', 'ingest calls/s', 'sync calls/s', 'sync s', `${target.baseline} s`, 'ratio', 'sync peak RSS MB'],
    results.map((r) => [fmt(r.calls), fmt(r.ingestRate), fmt(r.syncRate), fmt(r.syncSeconds, 2), fmt(r.rawSeconds, 2), fmt(r.ratio, 2), fmt(r.syncRssMB)]),
  );
  console.log('\nDetails\n');
  printTable(
    ['calls', 'rows in warehouse', 'sync rows/s', `${target.baseline} rows/s`, 'sync peak JS heap MB', 'ingest peak RSS MB', `${target.baseline} peak RSS MB`],
    results.map((r) => [fmt(r.calls), fmt(r.rows), fmt(r.rows / r.syncSeconds), fmt(r.rows / r.rawSeconds), fmt(r.syncHeapMB), fmt(r.ingestRssMB), fmt(r.rawRssMB)]),
  );
  const last = results.at(-1);
  console.log(`\nrows per table at ${fmt(last.calls)} calls: ${Object.entries(last.tables).map(([t, n]) => `${t} ${fmt(n)}`).join(', ')}`);
}

function printVerdicts(results, batchSize, target) {
  const pass = (ok) => (ok ? 'PASS' : 'FAIL');
  const worstRatio = Math.max(...results.map((r) => r.ratio));
  const worstRss = Math.max(...results.map((r) => r.syncRssMB));
  console.log('');
  console.log(`${pass(worstRatio <= TARGETS.maxRatio)}  speed: sync ≤ ${TARGETS.maxRatio.toFixed(1)}× the ${target.baseline} of the same rows (worst ${worstRatio.toFixed(2)}×)`);
  console.log(`${pass(worstRss < TARGETS.maxRssMB)}  memory: sync peak RSS < ${TARGETS.maxRssMB} MB (worst ${fmt(worstRss)} MB)`);
  if (results.length < 2) {
    console.log('n/a   flat memory: needs two sizes');
    return;
  }
  const [first, last] = [results[0], results.at(-1)];
  const growth = last.syncRssMB - first.syncRssMB;
  const rel = growth / first.syncRssMB;
  const detail = `${fmt(first.calls)} → ${fmt(last.calls)} calls: ${fmt(first.syncRssMB)} → ${fmt(last.syncRssMB)} MB, ${growth >= 0 ? '+' : ''}${fmt(growth)} MB (${rel >= 0 ? '+' : ''}${(rel * 100).toFixed(0)}%) for ×${fmt(last.calls / first.calls, 1)} input`;
  // A sync holds one batch at a time: below batchSize, a bigger input is a bigger batch, so
  // memory is expected to grow; flatness is only a claim about inputs of several batches.
  const verdict = first.calls >= batchSize ? pass(rel <= TARGETS.maxRssGrowth) : 'n/a ';
  const why = first.calls >= batchSize ? '' : ` — not judged: ${fmt(first.calls)} calls is less than one batch (${fmt(batchSize)})`;
  console.log(`${verdict}  flat memory: sync peak RSS grows ≤ ${TARGETS.maxRssGrowth * 100}% as the input grows (${detail})${why}`);
}

function describeMachine(opts) {
  const settings = Object.entries(opts.settings).map(([k, v]) => `${k}=${v}`).join(', ') || 'defaults';
  console.log(`Stowage classic-sync benchmark — ${new Date().toISOString().slice(0, 10)}`);
  console.log(`code: ${describeCode()} (measured as built in dist/: run \`npm run build\` first)`);
  console.log(`machine: ${cpus().length} cores (${cpus()[0]?.model.trim()}), ${fmt(totalmem() / 2 ** 30, 1)} GiB; node ${process.version}; ${opts.target.describe()}`);
  // Another busy process on a 2-core machine skews every figure: say how loaded it was.
  console.log(`load average at start: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  console.log(`sizes: ${opts.sizes.map((s) => fmt(s)).join(', ')}; runs per size: ${opts.repeat}; batchSize: ${fmt(opts.batchSize)}; warehouse: ${opts.target.label} (${settings})`);
  console.log(opts.history > 0 ? `into tables already holding ~${fmt(opts.history)} rows of earlier syncs (made in SQL before each sync, not timed; deleted before the baseline)\n` : '');
}

async function main() {
  const opts = options();
  opts.target = await benchTarget(opts.warehouse, { postgresUrl: opts.postgresUrl, duckdbSettings: opts.settings });
  describeMachine(opts);
  const root = mkdtempSync(join(tmpdir(), 'stowage-bench-'));
  mkdirSync(root, { recursive: true });
  try {
    const results = [];
    for (const size of opts.sizes) {
      const callsPath = join(root, `calls-${size}.ndjson`);
      let t0 = performance.now();
      const generated = await writeCalls(callsPath, size);
      console.log(`${fmt(size)} calls: generated ${fmt(generated.profiles)} profiles, ${fmt(generated.bytes / 2 ** 20)} MB NDJSON in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      const runs = [];
      for (let i = 0; i < opts.repeat; i++) {
        t0 = performance.now();
        const run = await runOnce(root, callsPath, size, opts);
        runs.push(run);
        console.log(
          `  run ${i + 1}: ingest ${run.ingest.seconds.toFixed(2)} s, sync ${run.sync.seconds.toFixed(2)} s (${fmt(run.syncRows)} rows, RSS ${fmt(run.sync.maxRssMB)} MB), ` +
            `${opts.target.baseline} ${run.raw.seconds.toFixed(2)} s — ${((performance.now() - t0) / 1000).toFixed(0)} s in all`,
        );
        const b = run.sync.batchSeconds;
        if (b.length > 1) console.log(`  sync batches (s): ${b.map((x) => x.toFixed(1)).join(' ')}`);
        if (run.syncRows !== run.raw.rows) console.log(`  note: the sync reports ${fmt(run.syncRows)} rows inserted, the warehouse holds ${fmt(run.raw.rows)} (users rows are rewritten per batch)`);
      }
      rmSync(callsPath, { force: true });
      results.push(summarize(size, runs));
    }
    printResults(results, opts.target);
    printVerdicts(results, opts.batchSize, opts.target);
    console.log(`\nload average at end: ${loadavg().map((l) => l.toFixed(2)).join(' ')} (1, 5, 15 min; this benchmark alone keeps it near 1–2)`);
  } finally {
    if (!opts.keep) rmSync(root, { recursive: true, force: true });
    await opts.target.close();
  }
}

main().catch((error) => {
  console.error(error?.stack ?? error);
  process.exit(1);
});
