// One phase of the Storage Actions benchmark, in a process of its own so that the peak RSS the
// kernel reports belongs to that phase alone. The parent forks this script and sends
// { role, ...job }; the answer goes back by process.send.
//
//   run       one linked-audience snapshot run of N entering members (entity contexts of ~1 KB):
//             the state diff and the write into <space>.<table>, which go side by side (the rows
//             are written while the run is applied); timed from handing the run over to its last
//             row committed, less the time this script spends making the run's members
//   raw       the DuckDB baseline: the written rows loaded into a fresh DuckDB with the Appender
//   raw-copy  the PostgreSQL baseline: the same rows loaded into a fresh schema with COPY
//   latency   K runs of 1,000 changes each: the time from handing a completed run to Stowage to
//             its rows being committed in the warehouse
//   restate   after run: a second snapshot of the same members, every context (and entity's) new:
//             the state rewrites them, and writes no row
//   history   (--history) rows of earlier runs put into the table before the run; forget deletes
//             them again before the baseline reads the table back
import { performance } from 'node:perf_hooks';
import { JsonText, openStowage } from '@stowage/cli';
import { servePhases } from './phases.mjs';
import { rawAppend } from './raw-append.mjs';
import { rawCopy } from './raw-copy.mjs';
import { dropHistory, fillHistory } from './history.mjs';

export const SPACE = 'bench';
export const TABLE = 'abandoned_carts';

/** The length of an item's JSON, `{"sku":"…","name":"…","price":…,"qty":…}`, without serialising it. */
const ITEM_JSON_OVERHEAD = '{"sku":"","name":"","price":,"qty":}'.length;
const itemJsonLength = (item) => ITEM_JSON_OVERHEAD + item.sku.length + item.name.length + String(item.price).length + String(item.qty).length;

/**
 * A deterministic entity context of about `bytes` bytes of JSON: a cart with items. Its size is
 * counted, not measured with JSON.stringify: the input is the caller's, and generating it must
 * not weigh on the time measured.
 */
function entityContext(i, bytes) {
  const items = [];
  let size = 60;
  for (let n = 0; size < bytes; n++) {
    const item = { sku: `sku_${(i * 7 + n) % 100_000}`, name: `Product ${n} of cart ${i}`, price: ((i + n) % 1000) / 10, qty: 1 + (n % 3) };
    size += itemJsonLength(item) + 1;
    items.push(item);
  }
  return { cart_id: `cart_${i}`, total: items.reduce((t, x) => t + x.price * x.qty, 0), items };
}

/**
 * The run's members in chunks, as the library API takes them. Making them is the caller's work,
 * not Stowage's: the time spent building each chunk is added to `clock.ms`, so that it can be
 * taken out of the time measured (the baseline, likewise, is handed its rows ready-made).
 * `asText` (`--contexts text`): each context as its JSON text, as a caller that received it as
 * text (a file, a queue's message, a request's body) hands it over.
 */
async function* members(from, count, contextBytes, clock = { ms: 0 }, asText = false, { round = 0, entities = 0 } = {}) {
  const CHUNK = 5_000;
  for (let start = from; start < from + count; start += CHUNK) {
    const t0 = performance.now();
    const chunk = [];
    for (let i = start; i < Math.min(start + CHUNK, from + count); i++) {
      const context = entityContext(i, contextBytes);
      // A later run's cart of the same member: other contexts, the same size.
      if (round > 0) context.round = round;
      const member = { profileId: `p${i}`, userId: `u${i}`, anonymousIds: [], emails: [], mobileIds: [], entityContext: asText ? new JsonText(JSON.stringify(context)) : context };
      if (entities > 0) member.entities = Array.from({ length: entities }, (_, k) => ({ id: `item_${k}`, context: { ...entityContext(i * entities + k, ENTITY_BYTES), round } }));
      chunk.push(member);
    }
    clock.ms += performance.now() - t0;
    yield chunk;
  }
}

/** `--entities`: the size of each entity's context. */
const ENTITY_BYTES = 256;

const header = (id, kind = 'snapshot') => ({ space: SPACE, computation: 'carts', id, kind, completedAt: new Date().toISOString() });

/**
 * `--history`: the table made by a first run (of another computation, an old one), then filled
 * with the rows of earlier runs, in a process of its own (its memory is not the run's).
 */
async function history({ configPath, rows, contextBytes, warehouse }) {
  const primer = openStowage(configPath);
  await primer.applyRun({ space: SPACE, computation: 'primer', id: 'p0', kind: 'snapshot', completedAt: '2026-01-01T00:00:00.000Z' }, members(0, 1, contextBytes));
  await primer.close();
  await fillHistory(warehouse, { schema: SPACE, table: TABLE, rows, contextBytes });
  return {};
}

const forget = ({ warehouse }) => dropHistory(warehouse, { schema: SPACE, table: TABLE }).then(() => ({}));

async function run({ configPath, count, contextBytes, asText, entities }) {
  const stowage = openStowage(configPath);
  const input = { ms: 0 };
  const t0 = performance.now();
  const result = await stowage.applyRun(header('r1'), members(0, count, contextBytes, input, asText, { entities }));
  // The run's time, without the time this script spent making its input.
  const seconds = (performance.now() - t0 - input.ms) / 1000;
  // Not part of the run's time, printed beside it: closing checkpoints the profile state and the
  // warehouse, whose COMMITs appended to their WALs (DuckDB checkpoints past 256 MB of it).
  const t1 = performance.now();
  await stowage.close();
  const closeSeconds = (performance.now() - t1) / 1000;
  const write = result.writes[0];
  if (!write || write.status !== 'Success') throw new Error(`the write ended ${write?.status}: ${write?.error ?? write?.notices.join('; ')}`);
  // Time with a write in flight (mapping, validation, load files, statements), per activation,
  // overlapping writes counted once; summed.
  const writeSeconds = result.activations.reduce((ms, a) => ms + a.ms, 0) / 1000;
  return { seconds, inputSeconds: input.ms / 1000, closeSeconds, writeSeconds, changes: result.changes, events: result.events, rows: Object.values(write.rows).reduce((a, b) => a + b, 0) };
}

/** The same members again, each context new: rewritten in the state, no row written. */
async function restate({ configPath, count, contextBytes, asText, entities }) {
  const stowage = openStowage(configPath);
  const input = { ms: 0 };
  const t0 = performance.now();
  const result = await stowage.applyRun(header('r2'), members(0, count, contextBytes, input, asText, { round: 1, entities }));
  const seconds = (performance.now() - t0 - input.ms) / 1000;
  await stowage.close();
  if (result.changes !== 0) throw new Error(`the second run made ${result.changes} changes, expected none`);
  return { seconds };
}

async function latency({ configPath, runs, perRun, contextBytes, asText }) {
  const stowage = openStowage(configPath);
  const ms = [];
  // Each run enters 1,000 new members: 1,000 changes, 1,000 rows.
  for (let k = 0; k < runs; k++) {
    const input = { ms: 0 };
    const t0 = performance.now();
    const result = await stowage.applyRun(header(`l${k}`, 'delta'), members(10_000_000 + k * perRun, perRun, contextBytes, input, asText));
    ms.push(performance.now() - t0 - input.ms);
    if (result.activations[0]?.written !== perRun) throw new Error(`latency run ${k} wrote ${result.activations[0]?.written} of ${perRun}`);
  }
  await stowage.close();
  return { ms };
}

const raw = ({ warehousePath, rawPath, duckdbOptions }) => rawAppend({ warehousePath, rawPath, schema: SPACE, duckdbOptions });

const roles = { run, raw, restate, latency, history, forget, 'raw-copy': rawCopy };

servePhases(roles);
