#!/usr/bin/env node
// Runs started side by side: N `stowage run` commands, one per computation of a space, started
// at once as a scheduler would start them, on one state folder and one DuckDB warehouse (with
// `--activations`, each computation also has an activation writing to one table of it). They
// take the profile state (and the warehouse) in turn: the script prints when each ended and how,
// how many waited past the 30 s one holder may keep the state, and whether every run applied.
// A script that prints figures, not a test; docs/benchmarks.md records results.
//
//   npm run bench:concurrent                                  11 runs of 100,000 profiles
//   npm run bench:concurrent -- --runs 6 --profiles 50000 --activations
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, openSync, writeSync, closeSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { describeCode } from './phases.mjs';

const BIN = join(dirname(fileURLToPath(import.meta.url)), '..', 'packages', 'cli', 'bin', 'stowage.js');
const fmt = (n) => n.toLocaleString('en-US');

function options() {
  const { values } = parseArgs({ options: { runs: { type: 'string', default: '11' }, profiles: { type: 'string', default: '100000' }, activations: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false } } });
  if (values.help) {
    console.log('usage: node bench/concurrent-runs.mjs [--runs 11] [--profiles 100000] [--activations]');
    process.exit(0);
  }
  const n = (name) => {
    const v = Number(values[name]);
    if (!Number.isSafeInteger(v) || v < 1) throw new Error(`--${name} must be a positive integer, not ${values[name]}`);
    return v;
  };
  return { runs: n('runs'), profiles: n('profiles'), activations: values.activations };
}

/** An audience run of `profiles` members with a userId, an anonymous id and an email each, as NDJSON. */
function writeRun(path, computation, profiles) {
  const fd = openSync(path, 'w');
  try {
    writeSync(fd, `${JSON.stringify({ space: 'shop', computation, id: 'r1' })}\n`);
    for (let start = 0; start < profiles; start += 10_000) {
      const lines = [];
      for (let p = start; p < Math.min(profiles, start + 10_000); p++) lines.push(JSON.stringify({ userId: `user_${p}`, anonymousIds: [`anon_${p}`], emails: [`u${p}@example.com`] }));
      writeSync(fd, `${lines.join('\n')}\n`);
    }
  } finally {
    closeSync(fd);
  }
}

function stowage(args, cwd) {
  return new Promise((resolve) => {
    const started = performance.now();
    const child = spawn(process.execPath, [BIN, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stdout.resume();
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, seconds: (performance.now() - started) / 1000, stderr }));
  });
}

async function main() {
  const opts = options();
  console.log(`Stowage concurrent runs benchmark — ${new Date().toISOString().slice(0, 10)}`);
  console.log(`code: ${describeCode()} (measured as built in dist/: run \`npm run build\` first)`);
  console.log(`machine: ${cpus().length} cores; node ${process.version}; load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  console.log(`${opts.runs} runs of ${fmt(opts.profiles)} profiles each, started at once${opts.activations ? ', each computation with an activation to one DuckDB table' : ''}, after a first run that made the state\n`);
  const dir = mkdtempSync(join(tmpdir(), 'stowage-bench-concurrent-'));
  try {
    const names = Array.from({ length: opts.runs + 1 }, (_, i) => `c${i}`);
    const computations = Object.fromEntries(names.map((c) => [c, { type: 'audience' }]));
    const activations = opts.activations ? Object.fromEntries(names.map((c) => [`${c}_to_wh`, { computation: c, warehouse: 'local', table: 'members' }])) : {};
    writeFileSync(join(dir, 'stowage.config.json'), JSON.stringify({ spaces: { shop: { computations, activations } }, warehouses: { local: { type: 'duckdb', settings: { path: 'warehouse.duckdb' } } } }));
    for (const c of names) writeRun(join(dir, `${c}.ndjson`), c, opts.profiles);
    const first = await stowage(['run', '-q', 'c0.ndjson'], dir);
    if (first.code !== 0) throw new Error(`the first run failed: ${first.stderr}`);
    const t0 = performance.now();
    const results = await Promise.all(names.slice(1).map((c) => stowage(['run', `${c}.ndjson`], dir).then((r) => ({ c, ...r }))));
    const seconds = (performance.now() - t0) / 1000;
    console.log('| run | exit | s | holders waited for |');
    console.log('|---|---:|---:|---:|');
    for (const r of results.sort((a, b) => a.seconds - b.seconds)) console.log(`| ${r.c} | ${r.code} | ${r.seconds.toFixed(1)} | ${(r.stderr.match(/^waiting for the profile state/gm) ?? []).length} |`);
    const failed = results.filter((r) => r.code !== 0);
    for (const r of failed) console.log(`\n${r.c}: ${r.stderr.trim().split('\n').at(-1)}`);
    const longest = Math.max(...results.map((r) => r.seconds));
    console.log(`\n${fmt(opts.runs * opts.profiles)} profiles in ${seconds.toFixed(1)} s (${fmt(Math.round((opts.runs * opts.profiles) / seconds))} profiles/s); the last run ended after ${longest.toFixed(1)} s`);
    console.log(`${failed.length === 0 ? 'PASS' : 'FAIL'}  every run applied (${results.length - failed.length} of ${results.length})`);
    process.exitCode = failed.length === 0 ? 0 : 1;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error?.stack ?? error);
  process.exit(1);
});
