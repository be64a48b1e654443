// One phase of the classic-sync benchmark, in a process of its own so that the peak RSS the
// kernel reports (process.resourceUsage().maxRSS) belongs to that phase alone.
// The parent forks this script and sends { role, ...job }; the answer goes back by process.send.
//
//   ingest  feed the NDJSON file to stowage.ingestCalls (into the durable call log)
//   sync    stowage.sync('wh'): the Classic sync, log → warehouse
//   raw     the baseline: the sync's final rows loaded into a fresh DuckDB with the Appender
import { createReadStream } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { DuckDBInstance, DuckDBTypeId } from '@duckdb/node-api';
import { openStowage } from '@stowage/cli';

const SCHEMA = 'engage_bench';
/** Rows read from the warehouse before each timed append: bounds the baseline's own memory. */
const RAW_BATCH_ROWS = 100_000;

const maxRssMB = () => process.resourceUsage().maxRSS / 1024;

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

// ---------------------------------------------------------------------------------------------
// Baseline: the same final rows, loaded with DuckDB's Appender into the same tables.

const q = (name) => `"${name.replace(/"/g, '""')}"`;

/** The user-visible tables of the classic schema (Stowage's own `_stowage_*` tables excluded). */
async function classicTables(connection) {
  const reader = await connection.runAndReadAll(
    `SELECT table_name FROM information_schema.tables WHERE table_schema = $1 AND NOT starts_with(table_name, '_stowage_') ORDER BY table_name`,
    [SCHEMA],
  );
  const tables = [];
  for (const [name] of reader.getRowsJS()) {
    const cols = await connection.runAndReadAll(
      'SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position',
      [SCHEMA, name],
    );
    tables.push({ name, columns: cols.getRowsJS().map(([column, type]) => ({ column, type })) });
  }
  return tables;
}

/**
 * One typed append function per column, chosen once: the values come from DuckDB already typed
 * (timestamps as DuckDBTimestampValue, BIGINT as bigint), so nothing is parsed in the timed part.
 */
function columnAppenders(appender) {
  const fns = [];
  for (let i = 0; i < appender.columnCount; i++) {
    const id = appender.columnType(i).typeId;
    if (id === DuckDBTypeId.VARCHAR) fns.push((v) => appender.appendVarchar(v));
    else if (id === DuckDBTypeId.TIMESTAMP) fns.push((v) => appender.appendTimestamp(v));
    else if (id === DuckDBTypeId.BOOLEAN) fns.push((v) => appender.appendBoolean(v));
    else if (id === DuckDBTypeId.BIGINT) fns.push((v) => appender.appendBigInt(v));
    else if (id === DuckDBTypeId.DOUBLE) fns.push((v) => appender.appendDouble(v));
    else fns.push((v) => appender.appendValue(v));
  }
  return fns;
}

/** Value by value: one typed append per value, endRow per row. */
function appendValueByValue(appender, fns, rows) {
  for (const row of rows) {
    for (let i = 0; i < row.length; i++) {
      const v = row[i];
      if (v === null) appender.appendNull();
      else fns[i](v);
    }
    appender.endRow();
  }
}

/** Reads a table's final rows in batches, each handed to `load` (which times itself). */
async function forEachBatch(connection, table, load) {
  const result = await connection.stream(`SELECT * FROM ${q(SCHEMA)}.${q(table)}`);
  let rows = [];
  for (let chunk = await result.fetchChunk(); chunk && chunk.rowCount > 0; chunk = await result.fetchChunk()) {
    for (const row of chunk.getRows()) rows.push(row);
    if (rows.length >= RAW_BATCH_ROWS) {
      await load(rows);
      rows = [];
    }
  }
  if (rows.length > 0) await load(rows);
}

async function openTarget(path, tables, options) {
  const instance = await DuckDBInstance.create(path, options);
  const connection = await instance.connect();
  await connection.run(`CREATE SCHEMA ${q(SCHEMA)}`);
  for (const t of tables) {
    await connection.run(`CREATE TABLE ${q(SCHEMA)}.${q(t.name)} (${t.columns.map((c) => `${q(c.column)} ${c.type}`).join(', ')})`);
  }
  return { instance, connection };
}

/**
 * Loads every classic table's final rows into a fresh database with the Appender. Only the
 * loading is timed (create appender, appends, flush, close, final CHECKPOINT); reading the rows
 * back out of the warehouse is not.
 */
async function raw({ warehousePath, rawPath, duckdbOptions }) {
  const source = await DuckDBInstance.create(warehousePath, { access_mode: 'READ_ONLY' });
  const from = await source.connect();
  const tables = await classicTables(from);
  const target = await openTarget(rawPath, tables, duckdbOptions);

  let ms = 0;
  const timed = async (fn) => {
    const t0 = performance.now();
    const result = await fn();
    ms += performance.now() - t0;
    return result;
  };
  const perTable = {};
  let rowsTotal = 0;
  for (const t of tables) {
    // Creating the appender is part of loading a table; reading the rows back out is not.
    const appender = await timed(() => target.connection.createAppender(t.name, SCHEMA));
    const fns = columnAppenders(appender);
    let rows = 0;
    await forEachBatch(from, t.name, async (batch) => {
      rows += batch.length;
      await timed(() => {
        appendValueByValue(appender, fns, batch);
        appender.flushSync();
      });
    });
    await timed(() => appender.closeSync());
    perTable[t.name] = rows;
    rowsTotal += rows;
  }
  // The sync's time ends with its data checkpointed into the file (the driver closes the
  // database); the baseline's does too, so that both pay for durability alike.
  await timed(() => target.connection.run('CHECKPOINT'));

  const check = await target.connection.runAndReadAll(tables.map((t) => `SELECT count(*) FROM ${q(SCHEMA)}.${q(t.name)}`).join(' UNION ALL '));
  const loaded = check.getRowsJS().reduce((sum, [n]) => sum + Number(n), 0);
  for (const { connection, instance } of [target, { connection: from, instance: source }]) {
    connection.closeSync();
    instance.closeSync();
  }
  if (loaded !== rowsTotal) throw new Error(`the baseline loaded ${loaded} rows, expected ${rowsTotal}`);
  return { seconds: ms / 1000, rows: rowsTotal, tables: perTable };
}

const roles = { ingest, sync, raw };

process.once('message', async (job) => {
  let answer;
  try {
    answer = { ok: true, ...(await roles[job.role](job)) };
  } catch (error) {
    answer = { ok: false, error: error?.stack ?? String(error) };
  }
  answer.maxRssMB = maxRssMB();
  // Exit only once the answer is out: DuckDB's handles would otherwise keep the child alive.
  process.send(answer, () => process.exit(0));
});
