import { performance } from 'node:perf_hooks';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { openStowage } from '@stowage/cli';
import { benchTarget } from './targets.mjs';
import { PgDriver } from '@stowage/destination-postgres';
const times = new Map();
for (const name of ['execute', 'query', 'stage', 'tables', 'writeLoadFile', 'transaction']) {
  const orig = PgDriver.prototype[name];
  PgDriver.prototype[name] = async function (sql, ...rest) {
    const t0 = performance.now();
    try { return await orig.call(this, sql, ...rest); } finally {
      const key = name + ': ' + (typeof sql === 'string' ? sql.replace(/"[^"]*"/g, 'X').replace(/\$\d+/g, '?').slice(0, 90) : '');
      const e = times.get(key) ?? { ms: 0, n: 0 }; e.ms += performance.now() - t0; e.n++; times.set(key, e);
    }
  };
}
const count = Number(process.argv[2] ?? 20000);
const kind = process.argv[3] ?? 'postgres';
function entityContext(i, bytes) {
  const items = []; let size = 60;
  for (let n = 0; size < bytes; n++) { const item = { sku: `sku_${(i * 7 + n) % 100_000}`, name: `Product ${n} of cart ${i}`, price: ((i + n) % 1000) / 10, qty: 1 + (n % 3) }; size += JSON.stringify(item).length + 1; items.push(item); }
  return { cart_id: `cart_${i}`, total: items.reduce((t, x) => t + x.price * x.qty, 0), items };
}
async function* members(from, count) { for (let s = from; s < from + count; s += 5000) { const c = []; for (let i = s; i < Math.min(s + 5000, from + count); i++) c.push({ profileId: `p${i}`, userId: `u${i}`, anonymousIds: [], emails: [], mobileIds: [], entityContext: entityContext(i, 1024) }); yield c; } }
const dir = mkdtempSync(join(tmpdir(), 'actprof-'));
const target = await benchTarget(kind, { postgresUrl: 'postgres://postgres@127.0.0.1:5432/test' });
const fresh = await target.fresh(dir);
writeFileSync(join(dir, 'stowage.json'), JSON.stringify({ spaces: { bench: { computations: { carts: { type: 'linked_audience' } }, activations: { a: { computation: 'carts', warehouse: 'wh', table: 'abandoned_carts' } } } }, warehouses: { wh: { type: kind, settings: fresh.settings } } }));
const s = openStowage(join(dir, 'stowage.json'));
const inspector = await import('node:inspector/promises');
const session = new inspector.Session(); session.connect();
await session.post('Profiler.enable'); await session.post('Profiler.start');
const t0 = performance.now();
const r = await s.applyRun({ space: 'bench', computation: 'carts', id: 'r1', kind: 'snapshot', completedAt: new Date().toISOString() }, members(0, count));
console.log('run', ((performance.now() - t0) / 1000).toFixed(2), 's; writing', (r.activations[0].ms / 1000).toFixed(2), r.writes[0].status);
const { profile } = await session.post('Profiler.stop'); writeFileSync('/tmp/pgprof/actions.cpuprofile', JSON.stringify(profile));
for (const [k, v] of [...times].sort((a, b) => b[1].ms - a[1].ms).slice(0, 15)) console.log(v.ms.toFixed(0).padStart(7), String(v.n).padStart(5), k);
await s.close(); await fresh.drop(); await target.close();
