import type { DuckDBConnection } from '@duckdb/node-api';
import type { Column } from '@stowage/core';
import { dialect } from './dialect.js';

/** Reads a table's columns, in order, from DuckDB's information_schema. */
export async function introspectColumns(connection: DuckDBConnection, schema: string, table: string): Promise<Column[] | undefined> {
  const reader = await connection.runAndReadAll(
    'SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position',
    [schema, table],
  );
  const rows = reader.getRowObjectsJS() as Array<{ column_name: string; data_type: string }>;
  if (rows.length === 0) return undefined;
  return rows.map((r) => ({ name: r.column_name, type: dialect.logicalType(r.data_type) ?? 'string' }));
}

/** Every table of a schema with its columns, in one query. */
export async function introspectSchema(connection: DuckDBConnection, schema: string): Promise<Map<string, Column[]>> {
  const reader = await connection.runAndReadAll(
    'SELECT table_name, column_name, data_type FROM information_schema.columns WHERE table_schema = $1 ORDER BY table_name, ordinal_position',
    [schema],
  );
  const tables = new Map<string, Column[]>();
  for (const r of reader.getRowObjectsJS() as Array<{ table_name: string; column_name: string; data_type: string }>) {
    let columns = tables.get(r.table_name);
    if (!columns) tables.set(r.table_name, (columns = []));
    columns.push({ name: r.column_name, type: dialect.logicalType(r.data_type) ?? 'string' });
  }
  return tables;
}

/** Whether the database (not an attached one) has a schema of that name. */
export async function schemaExists(connection: DuckDBConnection, schema: string): Promise<boolean> {
  const reader = await connection.runAndReadAll('SELECT 1 FROM information_schema.schemata WHERE catalog_name = current_database() AND schema_name = $1', [schema]);
  return reader.currentRowCount > 0;
}
