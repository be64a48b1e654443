#!/usr/bin/env node
// Storage Actions benchmark: a linked-audience run of N membership changes, each with an entity
// context of about 1 KB, written into <space>.<table> of a warehouse (DuckDB, or PostgreSQL with
// --warehouse postgres), compared with the raw bulk load of the same final rows in the same
// engine (DuckDB's Appender, PostgreSQL's COPY); and the latency from handing a
// completed run of 1,000 changes to Stowage to its rows being committed. A script that prints
// figures, not a test; docs/benchmarks.md explains the method and records results.
//
//   npm run bench:actions                              1,000,000 changes, one run
//   npm run bench:actions -- --changes 100000 --repeat 3
//   npm run bench:actions -- --latency-runs 50
//   npm run bench:actions -- --warehouse postgres [--postgres-url URL]
import { describeCode, runChild } from './phases.mjs';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { benchTarget, DEFAULT_POSTGRES_URL } from './targets.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const WORKER = join(here, 'storage-actions-worker.mjs');
const TARGETS = { maxRatio: 1.5, maxP50Ms: 300 };

const fmt = (n, digits = 0) => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const percentile = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];

function options() {
  const { values } = parseArgs({
    options: {
      changes: { type: 'string', default: '1000000' },
      'context-bytes': { type: 'string', default: '1024' },
      contexts: { type: 'string', default: 'object' },
      entities: { type: 'string', default: '0' },
      history: { type: 'string', default: '0' },
      repeat: { type: 'string', default: '1' },
      'latency-runs': { type: 'string', default: '30' },
      keep: { type: 'boolean', default: false },
      warehouse: { type: 'string', default: 'duckdb' },
      'postgres-url': { type: 'string', default: DEFAULT_POSTGRES_URL },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log('usage: node bench/storage-actions.mjs [--changes 1000000] [--context-bytes 1024] [--contexts object|text] [--entities 0] [--history 0] [--repeat N] [--latency-runs 30] [--warehouse duckdb|postgres] [--postgres-url URL] [--keep]');
    console.log('  --history N   the table already holds N rows of earlier runs (made in SQL, not timed) when the run is written');
    console.log('  --entities K  each member also lists K entities, each with a context of ~256 bytes');
    process.exit(0);
  }
  const n = (name) => {
    const v = Number(String(values[name]).replace(/_/g, ''));
    const least = name === 'history' || name === 'entities' ? 0 : 1;
    if (!Number.isSafeInteger(v) || v < least) throw new Error(`--${name} must be a ${least === 0 ? 'non-negative' : 'positive'} integer, not ${values[name]}`);
    return v;
  };
  if (values.contexts !== 'object' && values.contexts !== 'text') throw new Error(`--contexts must be object or text, not ${values.contexts}`);
  return { changes: n('changes'), contextBytes: n('context-bytes'), contextsAsText: values.contexts === 'text', history: n('history'), entities: n('entities'), repeat: n('repeat'), latencyRuns: n('latency-runs'), keep: values.keep, warehouse: values.warehouse, postgresUrl: values['postgres-url'] };
}

/**
 * One space, one linked audience, one activation with the Linked Audience preset (and, for
 * `--history`, an older one writing the same table, whose first run makes it).
 */
function writeConfig(dir, type, settings, history = false) {
  const computations = { carts: { type: 'linked_audience' }, ...(history ? { primer: { type: 'linked_audience' } } : {}) };
  const activations = { carts_to_wh: { computation: 'carts', warehouse: 'wh', table: 'abandoned_carts' }, ...(history ? { primer_to_wh: { computation: 'primer', warehouse: 'wh', table: 'abandoned_carts' } } : {}) };
  const config = {
    spaces: { bench: { computations, activations } },
    warehouses: { wh: { type, settings } },
  };
  const path = join(dir, 'stowage.json');
  writeFileSync(path, JSON.stringify(config, null, 2));
  return path;
}

async function main() {
  const opts = options();
  const target = await benchTarget(opts.warehouse, { postgresUrl: opts.postgresUrl });
  console.log(`Stowage Storage Actions benchmark — ${new Date().toISOString().slice(0, 10)}`);
  console.log(`code: ${describeCode()} (measured as built in dist/: run \`npm run build\` first)`);
  console.log(`machine: ${cpus().length} cores, ${fmt(totalmem() / 2 ** 30, 1)} GiB; node ${process.version}; ${target.describe()}; load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  console.log(`${fmt(opts.changes)} changes, entity contexts of ~${fmt(opts.contextBytes)} bytes${opts.entities ? `, ${opts.entities} entities a member (~256 bytes each)` : ''}${opts.contextsAsText ? ' handed over as JSON text (JsonText)' : ''}${opts.history ? `, into a table already holding ${fmt(opts.history)} rows of earlier runs` : ''}; runs: ${opts.repeat}; latency: ${opts.latencyRuns} runs of 1,000 changes\n`);
  const root = mkdtempSync(join(tmpdir(), 'stowage-bench-actions-'));
  try {
    const runs = [];
    for (let i = 0; i < opts.repeat; i++) {
      const dir = mkdtempSync(join(root, 'run-'));
      const fresh = await target.fresh(dir);
      const configPath = writeConfig(dir, target.kind, fresh.settings, opts.history > 0);
      const warehouse = target.kind === 'duckdb' ? { kind: 'duckdb', path: join(dir, fresh.settings.path) } : { kind: 'postgres', url: fresh.settings.url };
      if (opts.history > 0) await runChild(WORKER, { role: 'history', configPath, rows: opts.history, contextBytes: opts.contextBytes, warehouse });
      const members = { configPath, count: opts.changes, contextBytes: opts.contextBytes, asText: opts.contextsAsText, entities: opts.entities };
      const write = await runChild(WORKER, { role: 'run', ...members });
      if (opts.history > 0) await runChild(WORKER, { role: 'forget', warehouse });
      if (write.rows !== opts.changes) throw new Error(`the run wrote ${write.rows} rows, expected ${opts.changes}`);
      const raw = await runChild(WORKER, fresh.raw('bench'));
      const restate = await runChild(WORKER, { role: 'restate', ...members });
      runs.push({ write, raw, restate });
      console.log(
        `  run ${i + 1}: run → rows committed ${write.seconds.toFixed(2)} s (state diff and write; making the input, ${write.inputSeconds.toFixed(2)} s, taken out), of which writing ${write.writeSeconds.toFixed(2)} s; closing after it ${write.closeSeconds.toFixed(2)} s; ` +
          `${target.baseline} ${raw.seconds.toFixed(2)} s; RSS ${fmt(write.maxRssMB)} MB; ` +
          `a second run of the same members, every context new (no row to write): ${restate.seconds.toFixed(2)} s, RSS ${fmt(restate.maxRssMB)} MB`,
      );
      if (!opts.keep) {
        rmSync(dir, { recursive: true, force: true });
        await fresh.drop();
      }
    }
    const latencyDir = mkdtempSync(join(root, 'latency-'));
    const latencyTarget = await target.fresh(latencyDir);
    const latency = await runChild(WORKER, { role: 'latency', configPath: writeConfig(latencyDir, target.kind, latencyTarget.settings), runs: opts.latencyRuns, perRun: 1000, contextBytes: opts.contextBytes, asText: opts.contextsAsText });
    await latencyTarget.drop();

    const m = (f) => median(runs.map(f));
    const writeRatio = m((r) => r.write.writeSeconds / r.raw.seconds);
    const runRatio = m((r) => r.write.seconds / r.raw.seconds);
    console.log(`\nStorage Actions into ${target.label} (medians)\n`);
    console.log(`| changes | rows/s (whole run) | whole run s | writing s | ${target.baseline} s | ratio (whole run) | ratio (writing only) | peak RSS MB |`);
    console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
    console.log(
      `| ${fmt(opts.changes)} | ${fmt(opts.changes / m((r) => r.write.seconds))} | ${m((r) => r.write.seconds).toFixed(2)} | ${m((r) => r.write.writeSeconds).toFixed(2)} | ` +
        `${m((r) => r.raw.seconds).toFixed(2)} | ${runRatio.toFixed(2)} | ${writeRatio.toFixed(2)} | ${fmt(m((r) => r.write.maxRssMB))} |`,
    );
    const p50 = percentile(latency.ms, 50);
    console.log(`\nlatency, run handed over → rows committed, 1,000 changes: p50 ${fmt(p50)} ms, p95 ${fmt(percentile(latency.ms, 95))} ms, max ${fmt(Math.max(...latency.ms))} ms (${latency.ms.length} runs)`);
    const pass = (ok) => (ok ? 'PASS' : 'FAIL');
    console.log(`\n${pass(runRatio <= TARGETS.maxRatio)}  speed: the run, handed over to rows committed, ≤ ${TARGETS.maxRatio}× the ${target.baseline} of the same rows (${runRatio.toFixed(2)}×; the writing alone: ${writeRatio.toFixed(2)}×)`);
    console.log(`${pass(p50 < TARGETS.maxP50Ms)}  latency: p50 under ${TARGETS.maxP50Ms} ms for a 1,000-change run (${fmt(p50)} ms)`);
    console.log(`\nload average at end: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  } finally {
    if (!opts.keep) rmSync(root, { recursive: true, force: true });
    await target.close();
  }
}

main().catch((error) => {
  console.error(error?.stack ?? error);
  process.exit(1);
});
