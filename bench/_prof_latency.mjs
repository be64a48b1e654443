import { performance } from 'node:perf_hooks';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { openStowage } from '@stowage/cli';
import { EmbeddedProfileStore } from '@stowage/embedded-state';
import * as core from '@stowage/core';
import { benchTarget } from './targets.mjs';
const kind = process.argv[2] ?? 'duckdb';
const times = new Map();
const add = (k, ms) => { const e = times.get(k) ?? { ms: 0, n: 0 }; e.ms += ms; e.n++; times.set(k, e); };
function wrapProto(proto, name, label) {
  const orig = proto[name];
  proto[name] = async function (...a) { const t0 = performance.now(); try { return await orig.apply(this, a); } finally { add(label, performance.now() - t0); } };
}
{
  const orig = EmbeddedProfileStore.prototype.applyRun;
  EmbeddedProfileStore.prototype.applyRun = async function (h, t, p, cb) {
    const t0 = performance.now();
    let inCb = 0;
    try {
      return await orig.call(this, h, t, p, async (changes) => { const c0 = performance.now(); try { return await cb(changes); } finally { inCb += performance.now() - c0; } });
    } finally { add('store.applyRun minus callback', performance.now() - t0 - inCb); add('callback (log append + Storage Actions write)', inCb); }
  };
}
const destMod = await import(kind === 'duckdb' ? '@stowage/destination-duckdb' : '@stowage/destination-postgres');
const D = kind === 'duckdb' ? destMod.DuckDBDriver : destMod.PgDriver;
for (const m of ['execute', 'query', 'stage', 'tables', 'writeLoadFile', 'transaction', 'close', 'schemaExists']) wrapProto(D.prototype, m, 'driver.' + m);
const origOpen = D.open; D.open = async function (...a) { const t0 = performance.now(); try { return await origOpen.apply(this, a); } finally { add('driver.open', performance.now() - t0); } };
wrapProto(core.ActionWriteSession?.prototype ?? {}, 'write', 'session.write');
wrapProto(core.ActionWriteSession?.prototype ?? {}, 'close', 'session.close');
function entityContext(i, bytes) { const items = []; let size = 60; for (let n = 0; size < bytes; n++) { const item = { sku: `sku_${(i * 7 + n) % 100_000}`, name: `Product ${n} of cart ${i}`, price: ((i + n) % 1000) / 10, qty: 1 + (n % 3) }; size += JSON.stringify(item).length + 1; items.push(item); } return { cart_id: `cart_${i}`, total: 1, items }; }
async function* members(from, count) { const c = []; for (let i = from; i < from + count; i++) c.push({ profileId: `p${i}`, userId: `u${i}`, anonymousIds: [], emails: [], mobileIds: [], entityContext: entityContext(i, 1024) }); yield c; }
const dir = mkdtempSync(join(tmpdir(), 'latprof-'));
const target = await benchTarget(kind, { postgresUrl: 'postgres://postgres@127.0.0.1:5432/test' });
const fresh = await target.fresh(dir);
writeFileSync(join(dir, 'stowage.json'), JSON.stringify({ spaces: { bench: { computations: { carts: { type: 'linked_audience' } }, activations: { a: { computation: 'carts', warehouse: 'wh', table: 'abandoned_carts' } } } }, warehouses: { wh: { type: kind, settings: fresh.settings } } }));
const s = openStowage(join(dir, 'stowage.json'));
const dest = s.destination?.('wh');
const all = [];
for (let k = 0; k < 20; k++) {
  if (k === 5) times.clear();
  const t0 = performance.now();
  await s.applyRun({ space: 'bench', computation: 'carts', id: `l${k}`, kind: 'delta', completedAt: new Date().toISOString() }, members(10_000_000 + k * 1000, 1000));
  const ms = performance.now() - t0; if (k >= 5) { all.push(ms); add('whole run', ms); }
}
all.sort((a, b) => a - b);
console.log('p50', all[Math.floor(all.length / 2)].toFixed(0));
for (const [k, v] of [...times].sort((a, b) => b[1].ms - a[1].ms)) console.log((v.ms / 15).toFixed(1).padStart(8), 'ms/run', String(v.n).padStart(4), k);
await s.close(); await fresh.drop(); await target.close();
