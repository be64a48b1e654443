// One phase of the classic-sync benchmark, in a process of its own so that the peak RSS the
// kernel reports (process.resourceUsage().maxRSS) belongs to that phase alone.
// The parent forks this script and sends { role, ...job }; the answer goes back by process.send.
//
//   ingest  feed the NDJSON file to stowage.ingestCalls (into the durable call log)
//   sync    stowage.sync('wh'): the Classic sync, log → warehouse
//   raw       the DuckDB baseline: the sync's final rows loaded into a fresh DuckDB with the Appender
//   raw-copy  the PostgreSQL baseline: the same rows loaded into a fresh schema with COPY
//   history   (--history) rows of earlier syncs put into the tables before the measured sync
//   forget    those rows (and the primer's) deleted again before the baseline
import { createReadStream } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { openStowage } from '@stowage/cli';
import { servePhases } from './phases.mjs';
import { rawAppend } from './raw-append.mjs';
import { rawCopy } from './raw-copy.mjs';
import { dropClassicHistory, fillClassicHistory } from './classic-history.mjs';

const SCHEMA = 'engage_bench';


/**
 * Samples the JS heap while a phase runs, to tell the JS share of the peak RSS from the native
 * (DuckDB) share. The sync awaits between statements, so a 50 ms timer gets to run.
 */
function heapSampler() {
  let peak = 0;
  const sample = () => (peak = Math.max(peak, process.memoryUsage().heapUsed));
  const timer = setInterval(sample, 50);
  return () => {
    clearInterval(timer);
    sample();
    return peak / (1024 * 1024);
  };
}

/** NDJSON lines of a file, split by hand: readline would cost more than ingest itself. */
async function* lines(path) {
  let carry = '';
  for await (const chunk of createReadStream(path, { encoding: 'utf8', highWaterMark: 1 << 20 })) {
    const text = carry + chunk;
    let start = 0;
    for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
      yield text.slice(start, nl);
      start = nl + 1;
    }
    carry = text.slice(start);
  }
  if (carry) yield carry;
}

async function ingest({ configPath, callsPath }) {
  const stowage = openStowage(configPath);
  const t0 = performance.now();
  const result = await stowage.ingestCalls('bench', lines(callsPath));
  const seconds = (performance.now() - t0) / 1000;
  await stowage.close();
  return { seconds, accepted: result.accepted, rejected: result.rejected, errors: result.errors.slice(0, 3) };
}

async function sync({ configPath }) {
  const stowage = openStowage(configPath);
  const heap = heapSampler();
  // Per-batch times show whether a batch gets slower as the warehouse tables grow.
  const batchSeconds = [];
  let lastMs = 0;
  const onProgress = (p) => {
    // The look for a window's message ids is timed with the window's first batch.
    if (p.lookingUp) return;
    batchSeconds.push((p.elapsedMs - lastMs) / 1000);
    lastMs = p.elapsedMs;
  };
  const t0 = performance.now();
  const record = await stowage.sync('wh', { onProgress });
  const seconds = (performance.now() - t0) / 1000;
  const peakHeapMB = heap();
  await stowage.close();
  const { status, calls, rows, casts, rejects, duplicates, error } = record;
  return { seconds, peakHeapMB, batchSeconds, status, calls, rows, casts, rejects, duplicates, error };
}

/** The baseline: the sync's final rows loaded into a fresh DuckDB with the Appender (bench/raw-append.mjs). */
const raw = (job) => rawAppend({ ...job, schema: SCHEMA });

/**
 * `--history`: after the primer's sync, the tables filled with rows of earlier syncs (not timed).
 * Syncs would have added their ids to the loaded-keys index (DuckDB): it is made again from the
 * tables, so that the measured sync looks its ids up in an index of the history's size.
 */
const history = async ({ warehouse, rows, configPath }) => {
  const tables = await fillClassicHistory(warehouse, { schema: SCHEMA, rows });
  const stowage = openStowage(configPath);
  const t0 = performance.now();
  const rebuilt = await stowage.rebuildLoadedKeys('wh');
  const rebuildSeconds = (performance.now() - t0) / 1000;
  await stowage.close();
  return { tables, rebuildSeconds, keys: rebuilt[0]?.keys };
};

/** The history and the primer's rows deleted again, before the baseline reads the tables. */
const forget = ({ warehouse }) => dropClassicHistory(warehouse, { schema: SCHEMA }).then(() => ({}));

const roles = { ingest, sync, raw, history, forget, 'raw-copy': rawCopy };

servePhases(roles);
