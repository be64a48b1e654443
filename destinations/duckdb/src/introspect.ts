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
