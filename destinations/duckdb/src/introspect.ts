import type { DuckDBConnection } from '@duckdb/node-api';
import type { Column, ColumnBounds } from '@stowage/core';
import { dialect } from './dialect.js';
import { foldName, type Catalog, type PinnedCatalog } from './catalog-cache.js';

/** Integer types narrower than BIGINT: their ranges. */
const INTEGER_RANGES: Readonly<Record<string, readonly [number, number]>> = {
  TINYINT: [-128, 127],
  SMALLINT: [-32_768, 32_767],
  INTEGER: [-2_147_483_648, 2_147_483_647],
  UTINYINT: [0, 255],
  USMALLINT: [0, 65_535],
  UINTEGER: [0, 4_294_967_295],
};

/**
 * Integer types wider than BIGINT, or unsigned past it: read as text (as they always were, so
 * that a `users` column made from one keeps its type), each value held to an integer of their
 * range, where DuckDB refused the whole call for a `-1` in a UBIGINT, and rounded `-0.5` into a HUGEINT.
 */
const WIDE_INTEGER_RANGES: Readonly<Record<string, readonly [number, number]>> = {
  UBIGINT: [0, 18_446_744_073_709_551_615],
  HUGEINT: [-(2 ** 127), 2 ** 127],
  UHUGEINT: [0, 2 ** 128],
};

const DECIMAL = /^DECIMAL\((\d+),\s*(\d+)\)$/i;

/**
 * A column of a table made elsewhere, of a narrower type than its logical one: a user's INTEGER,
 * SMALLINT… (bigint, within their range), DECIMAL(p, s) (double, within p − s digits before the
 * point and s after), FLOAT (double, the digits a single-precision float keeps), DATE or UUID (text of their form). DuckDB's VARCHAR has no length.
 */
function column(name: string, dataType: string): Column {
  const physical = dataType.toUpperCase();
  const range = INTEGER_RANGES[physical];
  if (range) return { name, type: 'bigint', bounds: { physical, min: range[0], max: range[1] } };
  const wide = WIDE_INTEGER_RANGES[physical];
  if (wide) return { name, type: 'string', bounds: { physical, min: wide[0], max: wide[1] } };
  // Read as text, held to their form: a DATE takes a date-time too, and drops its time.
  if (physical === 'DATE' || physical === 'UUID') return { name, type: 'string', bounds: { physical, format: physical === 'DATE' ? 'date' : 'uuid' } };
  if (physical === 'FLOAT') return { name, type: 'double', bounds: { physical, single: true } };
  // Seconds alone: a time with a fraction would be rounded to the next second. Read as text, as it always was.
  if (physical === 'TIMESTAMP_S') return { name, type: 'string', bounds: { physical, fractionDigits: 0 } };
  const decimal = DECIMAL.exec(physical);
  if (decimal) {
    const [p, scale] = [Number(decimal[1]), Number(decimal[2])];
    const bounds: ColumnBounds = { physical, scale, below: 10 ** (p - scale) };
    return { name, type: 'double', bounds };
  }
  return { name, type: dialect.logicalType(dataType) ?? 'string' };
}

const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';

/**
 * A name as DuckDB compares names: without regard to the case of ASCII letters, quoted or not (a
 * user's `"ID"` is the column `id` Stowage writes, and `"Archive"` the schema `archive`). The
 * catalog is read folded so, in the spelling Stowage writes (snake_case), which DuckDB resolves to
 * the table's own: read as spelt, a user's `"Cart_Id"` looked missing, and adding `cart_id`
 * failed every write with "Column with name cart_id already exists".
 */
const folded = (sql: string) => `translate(${sql}, '${UPPER}', '${UPPER.toLowerCase()}')`;

/** Reads a table's columns, in order, from DuckDB's information_schema. */
export async function introspectColumns(connection: DuckDBConnection, schema: string, table: string): Promise<Column[] | undefined> {
  const reader = await connection.runAndReadAll(
    `SELECT ${folded('column_name')} AS column_name, data_type FROM information_schema.columns
      WHERE table_catalog = current_database() AND ${folded('table_schema')} = ${folded('$1')} AND ${folded('table_name')} = ${folded('$2')} ORDER BY ordinal_position`,
    [schema, table],
  );
  const rows = reader.getRowObjectsJS() as Array<{ column_name: string; data_type: string }>;
  if (rows.length === 0) return undefined;
  return rows.map((r) => column(r.column_name, r.data_type));
}

/** Every table of every schema of the database with its columns, in one query, names folded (`foldName`). */
export async function introspectCatalog(connection: DuckDBConnection): Promise<Catalog> {
  const reader = await connection.runAndReadAll(
    `SELECT ${folded('table_schema')} AS table_schema, ${folded('table_name')} AS table_name, ${folded('column_name')} AS column_name, data_type FROM information_schema.columns
      WHERE table_catalog = current_database() ORDER BY table_schema, table_name, ordinal_position`,
  );
  const catalog: Catalog = new Map();
  for (const r of reader.getRowObjectsJS() as Array<{ table_schema: string; table_name: string; column_name: string; data_type: string }>) {
    let tables = catalog.get(r.table_schema);
    if (!tables) catalog.set(r.table_schema, (tables = new Map()));
    let columns = tables.get(r.table_name);
    if (!columns) tables.set(r.table_name, (columns = []));
    columns.push(column(r.column_name, r.data_type));
  }
  return catalog;
}

/** Every table of a schema with its columns, in one query. */
export async function introspectSchema(connection: DuckDBConnection, schema: string): Promise<Map<string, Column[]>> {
  const reader = await connection.runAndReadAll(
    `SELECT ${folded('table_name')} AS table_name, ${folded('column_name')} AS column_name, data_type FROM information_schema.columns
      WHERE table_catalog = current_database() AND ${folded('table_schema')} = ${folded('$1')} ORDER BY table_name, ordinal_position`,
    [schema],
  );
  const tables = new Map<string, Column[]>();
  for (const r of reader.getRowObjectsJS() as Array<{ table_name: string; column_name: string; data_type: string }>) {
    let columns = tables.get(r.table_name);
    if (!columns) tables.set(r.table_name, (columns = []));
    columns.push(column(r.column_name, r.data_type));
  }
  return tables;
}

/**
 * The names among `names` that a view of the schema takes (DuckDB has no materialized or foreign
 * tables), as `Driver.notTables` says them. A view's columns are in information_schema.columns
 * beside a table's, so the catalog read alone cannot tell one from the other.
 */
export async function introspectViews(connection: DuckDBConnection, schema: string, names: readonly string[]): Promise<Array<{ name: string; kind: string }>> {
  const reader = await connection.runAndReadAll(
    `SELECT ${folded('view_name')} AS name FROM duckdb_views() WHERE database_name = current_database() AND NOT internal AND ${folded('schema_name')} = ${folded('$1')}`,
    [schema],
  );
  const views = new Set((reader.getRowObjectsJS() as Array<{ name: string }>).map((r) => r.name));
  return names.filter((name) => views.has(foldName(name))).map((name) => ({ name, kind: 'a view' }));
}

/** Whether the database (not an attached one) has a schema of that name. */
export async function schemaExists(connection: DuckDBConnection, schema: string): Promise<boolean> {
  const reader = await connection.runAndReadAll(`SELECT 1 FROM information_schema.schemata WHERE catalog_name = current_database() AND ${folded('schema_name')} = ${folded('$1')}`, [schema]);
  return reader.currentRowCount > 0;
}

/**
 * The columns of a schema's tables whose type DuckDB will not change in place, by table, each with
 * why. An index made with CREATE INDEX keeps every column of its table from changing type
 * ("Cannot alter entry … because there are entries that depend on it"; columns can still be
 * added), and a PRIMARY KEY, UNIQUE or CHECK constraint its own columns. A generated column keeps
 * the columns it reads ("This column is referenced by the generated column"); the catalog does not
 * say which, so every column of such a table is held. A user may index a table Stowage writes; a
 * widening ALTER would then fail that sync and every one after it.
 */
export async function introspectPinnedColumns(connection: DuckDBConnection, schema: string): Promise<Map<string, Map<string, string>>> {
  return (await introspectAllPinnedColumns(connection, schema)).get(foldName(schema)) ?? new Map();
}

/** `introspectPinnedColumns` of every schema of the database (or of `only`), by schema, names folded (`foldName`). */
export async function introspectAllPinnedColumns(connection: DuckDBConnection, only?: string): Promise<PinnedCatalog> {
  const where = (column: string) => (only === undefined ? '' : ` AND ${folded(column)} = ${folded('$1')}`);
  const reader = await connection.runAndReadAll(
    `SELECT ${folded('schema_name')} AS schema_name, ${folded('table_name')} AS table_name, ${folded('column_name')} AS column_name, why FROM (
     SELECT c.table_schema AS schema_name, c.table_name, c.column_name, 'the table has the index ' || to_json(i.index_name) || ', which keeps the type of its every column' AS why
       FROM information_schema.columns c
       JOIN duckdb_indexes() i ON i.table_name = c.table_name AND i.schema_name = c.table_schema AND i.database_name = current_database()
      WHERE c.table_catalog = current_database()${where('c.table_schema')}
     UNION ALL
     SELECT schema_name, table_name, unnest(constraint_column_names), 'a ' || constraint_type || ' constraint holds it'
       FROM duckdb_constraints()
      WHERE database_name = current_database()${where('schema_name')} AND constraint_type IN ('PRIMARY KEY', 'UNIQUE', 'CHECK')
     UNION ALL
     SELECT c.table_schema, c.table_name, c.column_name, 'the table has a generated column, which keeps the type of the columns it reads'
       FROM information_schema.columns c
       JOIN duckdb_tables() t ON t.table_name = c.table_name AND t.schema_name = c.table_schema AND t.database_name = current_database()
      WHERE c.table_catalog = current_database()${where('c.table_schema')} AND t.sql ILIKE '%GENERATED ALWAYS AS%')`,
    only === undefined ? [] : [only],
  );
  const pinned: PinnedCatalog = new Map();
  for (const r of reader.getRowObjectsJS() as Array<{ schema_name: string; table_name: string; column_name: string; why: string }>) {
    let tables = pinned.get(r.schema_name);
    if (!tables) pinned.set(r.schema_name, (tables = new Map()));
    let columns = tables.get(r.table_name);
    if (!columns) tables.set(r.table_name, (columns = new Map()));
    if (!columns.has(r.column_name)) columns.set(r.column_name, r.why);
  }
  return pinned;
}
