// The baseline every benchmark compares with: a schema's final rows (every table but Stowage's own
// `_stowage_*` ones), read back from the warehouse and loaded into a fresh DuckDB database file
// with the same column types through the @duckdb/node-api Appender, one typed append per value.
// Timed: creating the appenders, appending, flushing, closing, and a final CHECKPOINT. Not timed:
// reading the rows back. The values are DuckDB values already, so the baseline parses nothing.
import { performance } from 'node:perf_hooks';
import { DuckDBInstance, DuckDBTypeId } from '@duckdb/node-api';

/** Rows read from the warehouse before each timed append: bounds the baseline's own memory. */
const RAW_BATCH_ROWS = 100_000;


const q = (name) => `"${name.replace(/"/g, '""')}"`;

/** The user-visible tables of a schema (Stowage's own `_stowage_*` tables excluded). */
async function userTables(connection, schema) {
  const reader = await connection.runAndReadAll(
    `SELECT table_name FROM information_schema.tables WHERE table_schema = $1 AND NOT starts_with(table_name, '_stowage_') ORDER BY table_name`,
    [schema],
  );
  const tables = [];
  for (const [name] of reader.getRowsJS()) {
    const cols = await connection.runAndReadAll(
      'SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position',
      [schema, name],
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
async function forEachBatch(connection, schema, table, load) {
  const result = await connection.stream(`SELECT * FROM ${q(schema)}.${q(table)}`);
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

async function openTarget(path, schema, tables, options) {
  const instance = await DuckDBInstance.create(path, options);
  const connection = await instance.connect();
  await connection.run(`CREATE schema ${q(schema)}`);
  for (const t of tables) {
    await connection.run(`CREATE TABLE ${q(schema)}.${q(t.name)} (${t.columns.map((c) => `${q(c.column)} ${c.type}`).join(', ')})`);
  }
  return { instance, connection };
}

/**
 * Loads every table's final rows into a fresh database with the Appender. Only the
 * loading is timed (create appender, appends, flush, close, final CHECKPOINT); reading the rows
 * back out of the warehouse is not.
 */
export async function rawAppend({ warehousePath, rawPath, schema, duckdbOptions }) {
  const source = await DuckDBInstance.create(warehousePath, { access_mode: 'READ_ONLY' });
  const from = await source.connect();
  const tables = await userTables(from, schema);
  const target = await openTarget(rawPath, schema, tables, duckdbOptions);

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
    const appender = await timed(() => target.connection.createAppender(t.name, schema));
    const fns = columnAppenders(appender);
    let rows = 0;
    await forEachBatch(from, schema, t.name, async (batch) => {
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

  const check = await target.connection.runAndReadAll(tables.map((t) => `SELECT count(*) FROM ${q(schema)}.${q(t.name)}`).join(' UNION ALL '));
  const loaded = check.getRowsJS().reduce((sum, [n]) => sum + Number(n), 0);
  for (const { connection, instance } of [target, { connection: from, instance: source }]) {
    connection.closeSync();
    instance.closeSync();
  }
  if (loaded !== rowsTotal) throw new Error(`the baseline loaded ${loaded} rows, expected ${rowsTotal}`);
  return { seconds: ms / 1000, rows: rowsTotal, tables: perTable };
}

