import { performance } from 'node:perf_hooks';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { PgDriver } from '@stowage/destination-postgres';
import { openStowage } from '@stowage/cli';
import { writeCalls } from './generate-calls.mjs';
import { benchTarget } from './targets.mjs';
const size = Number(process.argv[2] ?? 100000);
const times = new Map();
const wrap = (name) => {
  const orig = PgDriver.prototype[name];
  PgDriver.prototype[name] = async function (sql, ...rest) {
    const t0 = performance.now();
    try { return await orig.call(this, sql, ...rest); } finally {
      const key = name + ': ' + (typeof sql === 'string' ? sql.replace(/"[^"]*"/g, 'X').replace(/\$\d+/g, '?').slice(0, 90) : '');
      const e = times.get(key) ?? { ms: 0, n: 0 }; e.ms += performance.now() - t0; e.n++; times.set(key, e);
    }
  };
};
['execute', 'query', 'stage', 'tables', 'writeLoadFile'].forEach(wrap);
const { copyLoader } = await import('@stowage/destination-postgres');
const origLoad = copyLoader.load;
copyLoader.load = async function (...a) { if (process.env.KEEP_COPY) { const fs = await import('node:fs'); const k = (globalThis.__k = (globalThis.__k ?? 0) + 1); fs.copyFileSync(a[2].path, `/tmp/pgprof/f${k}.copy`); fs.writeFileSync(`/tmp/pgprof/f${k}.cols`, JSON.stringify(a[2].columns)); } const t0 = performance.now(); try { return await origLoad.apply(this, a); } finally { const e = times.get('COPY') ?? { ms: 0, n: 0 }; e.ms += performance.now() - t0; e.n++; times.set('COPY', e); } };
const dir = mkdtempSync(join(tmpdir(), 'pgprof-'));
const target = await benchTarget('postgres', { postgresUrl: 'postgres://postgres@127.0.0.1:5432/test' });
const fresh = await target.fresh(dir);
writeFileSync(join(dir, 'stowage.json'), JSON.stringify({ spaces: { bench: { computations: {} } }, warehouses: { wh: { type: 'postgres', settings: fresh.settings } } }));
await writeCalls(join(dir, 'calls.ndjson'), size);
const s = openStowage(join(dir, 'stowage.json'));
const { readFileSync } = await import('node:fs');
async function* lines() { yield* readFileSync(join(dir, 'calls.ndjson'), 'utf8').split('\n').filter(Boolean); }
await s.ingestCalls('bench', lines());
const inspector = await import('node:inspector/promises');
const session = new inspector.Session(); session.connect();
if (process.env.PROF) { await session.post('Profiler.enable'); await session.post('Profiler.start'); }
const t0 = performance.now();
const r = await s.sync('wh');
if (process.env.PROF) { const { profile } = await session.post('Profiler.stop'); writeFileSync('/tmp/pgprof/sync.cpuprofile', JSON.stringify(profile)); }
console.log(r.status, r.calls, ((performance.now() - t0) / 1000).toFixed(2), 's');
await s.close();
for (const [k, v] of [...times].sort((a, b) => b[1].ms - a[1].ms).slice(0, 25)) console.log(v.ms.toFixed(0).padStart(7), String(v.n).padStart(5), k);
await fresh.drop(); await target.close();
