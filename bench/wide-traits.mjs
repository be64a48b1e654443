// A space with many traits: identify calls that each carry every trait, synced into DuckDB, with
// `users` and without it (the same calls, the table disabled), so that the `users` refresh's cost
// per trait column shows. One process per sync, so that each peak RSS is that sync's.
//
//   node bench/wide-traits.mjs [--traits 990] [--calls 1000] [--memory-limit 512MB]
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { openStowage } from '@stowage/cli';
import { describeCode } from './phases.mjs';

async function sync({ traits, calls, memoryLimit, users }) {
  const dir = mkdtempSync(join(tmpdir(), 'stowage-bench-wide-'));
  try {
    const warehouse = { type: 'duckdb', settings: { path: join(dir, 'wh.duckdb'), ...(memoryLimit ? { memoryLimit } : {}) }, ...(users ? {} : { disabled: { tables: ['users'] } }) };
    writeFileSync(join(dir, 'stowage.json'), JSON.stringify({ spaces: { default: { computations: {} } }, warehouses: { wh: warehouse } }));
    const stowage = openStowage(join(dir, 'stowage.json'));
    async function* lines() {
      for (let i = 0; i < calls; i++) {
        const values = {};
        for (let t = 0; t < traits; t++) values[`trait_${t}`] = `value ${i} ${t}`;
        yield JSON.stringify({ type: 'identify', messageId: `m${i}`, userId: `u${i % 500}`, traits: values, timestamp: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString() });
      }
    }
    await stowage.ingestCalls('default', lines());
    const t0 = performance.now();
    const record = await stowage.sync('wh');
    const seconds = (performance.now() - t0) / 1000;
    await stowage.close();
    return { seconds, status: record.status, error: record.error, rows: record.rows, maxRssMB: process.resourceUsage().maxRSS / 1024 };
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
  const { values } = parseArgs({ options: { traits: { type: 'string', default: '990' }, calls: { type: 'string', default: '1000' }, 'memory-limit': { type: 'string' } } });
  const job = { traits: Number(values.traits), calls: Number(values.calls), memoryLimit: values['memory-limit'] };
  if (!Number.isSafeInteger(job.traits) || job.traits < 1 || !Number.isSafeInteger(job.calls) || job.calls < 1) throw new Error('--traits and --calls must be positive integers');
  console.log(`Stowage wide-traits benchmark — code ${describeCode()}; ${job.calls} identify calls of ${job.traits} traits each, 500 users, DuckDB memory_limit ${job.memoryLimit ?? 'default'}`);
  const without = await child({ ...job, users: false });
  const withUsers = await child({ ...job, users: true });
  for (const [label, r] of [['without users', without], ['with users', withUsers]]) {
    console.log(`  ${label.padEnd(13)}: ${r.status} in ${r.seconds.toFixed(2)} s, peak RSS ${Math.round(r.maxRssMB)} MB, rows ${JSON.stringify(r.rows)}${r.error ? `, ${r.error}` : ''}`);
  }
  console.log(`the users refresh adds ${(withUsers.seconds - without.seconds).toFixed(2)} s (${(withUsers.seconds / without.seconds).toFixed(2)}× the sync without it)`);
}
