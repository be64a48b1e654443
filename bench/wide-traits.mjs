// A space with many traits: identify calls carrying many traits each, synced with `users` and
// without it (the same calls, the table disabled), so that the `users` refresh's cost per trait
// column shows. One process per sync, so that each peak RSS is that sync's. Into PostgreSQL, rows
// over its 8 KB row limit are quarantined (docs/warehouses/postgres.md): the rejects are printed.
//
//   node bench/wide-traits.mjs [--traits 990] [--calls 1000] [--users 500] [--per-call N]
//                              [--batch-size N] [--memory-limit 512MB] [--warehouse duckdb|postgres] [--postgres-url URL]
//
// --per-call N: each call carries N of the traits (the next N, wrapping), so that a user's latest
// values gather more traits than any one call has; default: every trait.
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { openStowage } from '@stowage/cli';
import { describeCode } from './phases.mjs';
import { benchTarget, DEFAULT_POSTGRES_URL } from './targets.mjs';

async function sync({ traits, calls, perCall, userCount, users, type, settings, batchSize }) {
  const dir = mkdtempSync(join(tmpdir(), 'stowage-bench-wide-'));
  try {
    const warehouse = { type, settings: type === 'duckdb' ? { ...settings, path: join(dir, 'wh.duckdb') } : settings, ...(users ? {} : { disabled: { tables: ['users'] } }) };
    writeFileSync(join(dir, 'stowage.json'), JSON.stringify({ ...(batchSize ? { batchSize } : {}), spaces: { default: { computations: {} } }, warehouses: { wh: warehouse } }));
    const stowage = openStowage(join(dir, 'stowage.json'));
    async function* lines() {
      for (let i = 0; i < calls; i++) {
        const values = {};
        for (let k = 0; k < perCall; k++) {
          const t = (i * perCall + k) % traits;
          values[`trait_${t}`] = `value ${i} ${t}`;
        }
        yield JSON.stringify({ type: 'identify', messageId: `m${i}`, userId: `u${i % userCount}`, traits: values, timestamp: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString() });
      }
    }
    await stowage.ingestCalls('default', lines());
    const ingestRssMB = process.resourceUsage().maxRSS / 1024;
    const t0 = performance.now();
    const record = await stowage.sync('wh');
    const seconds = (performance.now() - t0) / 1000;
    await stowage.close();
    return { seconds, status: record.status, error: record.error, rows: record.rows, rejects: record.rejects, ingestRssMB, maxRssMB: process.resourceUsage().maxRSS / 1024 };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function child(job) {
  return new Promise((resolve, reject) => {
    const c = fork(fileURLToPath(import.meta.url), ['--child'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    c.once('message', resolve);
    c.once('error', reject);
    c.send(job);
  });
}

if (process.argv.includes('--child')) {
  process.once('message', async (job) => process.send(await sync(job), () => process.exit(0)));
} else {
  const { values } = parseArgs({
    options: {
      traits: { type: 'string', default: '990' },
      calls: { type: 'string', default: '1000' },
      users: { type: 'string', default: '500' },
      'per-call': { type: 'string' },
      'batch-size': { type: 'string' },
      'memory-limit': { type: 'string' },
      warehouse: { type: 'string', default: 'duckdb' },
      'postgres-url': { type: 'string', default: DEFAULT_POSTGRES_URL },
    },
  });
  const job = { traits: Number(values.traits), calls: Number(values.calls), userCount: Number(values.users), perCall: Number(values['per-call'] ?? values.traits), batchSize: values['batch-size'] === undefined ? undefined : Number(values['batch-size']) };
  for (const [flag, v] of Object.entries({ '--traits': job.traits, '--calls': job.calls, '--users': job.userCount, '--per-call': job.perCall })) {
    if (!Number.isSafeInteger(v) || v < 1) throw new Error(`${flag} must be a positive integer`);
  }
  const target = await benchTarget(values.warehouse, { postgresUrl: values['postgres-url'], duckdbSettings: values['memory-limit'] ? { memoryLimit: values['memory-limit'] } : {} });
  console.log(`Stowage wide-traits benchmark — code ${describeCode()}; ${target.describe()}; ${job.calls} identify calls of ${job.perCall} of ${job.traits} traits each, ${job.userCount} users${target.kind === 'duckdb' ? `, DuckDB memory_limit ${values['memory-limit'] ?? 'default'}` : ''}`);
  const results = [];
  try {
    for (const users of [false, true]) {
      const fresh = await target.fresh(mkdtempSync(join(tmpdir(), 'stowage-bench-wide-target-')));
      try {
        results.push(await child({ ...job, users, type: target.kind, settings: fresh.settings }));
      } finally {
        await fresh.drop();
      }
    }
  } finally {
    await target.close();
  }
  const [without, withUsers] = results;
  for (const [label, r] of [['without users', without], ['with users', withUsers]]) {
    console.log(`  ${label.padEnd(13)}: ${r.status} in ${r.seconds.toFixed(2)} s, peak RSS ${Math.round(r.maxRssMB)} MB (${Math.round(r.ingestRssMB)} MB after ingesting), rows ${JSON.stringify(r.rows)}, rejects ${r.rejects}${r.error ? `, ${r.error}` : ''}`);
  }
  console.log(`the users refresh adds ${(withUsers.seconds - without.seconds).toFixed(2)} s (${(withUsers.seconds / without.seconds).toFixed(2)}× the sync without it)`);
}
