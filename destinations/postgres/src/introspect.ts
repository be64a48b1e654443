import type pg from 'pg';
import type { Column, Dialect } from '@stowage/core';

/** Every table of a schema with its columns, in one look at the catalog (empty for no such schema). */
export async function introspectSchema(client: pg.Client, dialect: Dialect, schema: string): Promise<Map<string, Column[]>> {
  const { rows } = await client.query<{ table_name: string; column_name: string; data_type: string }>(
    'SELECT table_name, column_name, data_type FROM information_schema.columns WHERE table_schema = $1 ORDER BY table_name, ordinal_position',
    [schema],
  );
  const tables = new Map<string, Column[]>();
  for (const r of rows) {
    let columns = tables.get(r.table_name);
    if (!columns) tables.set(r.table_name, (columns = []));
    columns.push({ name: r.column_name, type: dialect.logicalType(r.data_type) ?? 'string' });
  }
  return tables;
}

/** A table's columns in order, or undefined when it does not exist. */
export async function introspectColumns(client: pg.Client, dialect: Dialect, schema: string, table: string): Promise<Column[] | undefined> {
  const { rows } = await client.query<{ column_name: string; data_type: string }>(
    'SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position',
    [schema, table],
  );
  if (rows.length === 0) return undefined;
  return rows.map((r) => ({ name: r.column_name, type: dialect.logicalType(r.data_type) ?? 'string' }));
}

export async function schemaExists(client: pg.Client, schema: string): Promise<boolean> {
  const { rowCount } = await client.query('SELECT 1 FROM information_schema.schemata WHERE schema_name = $1', [schema]);
  return (rowCount ?? 0) > 0;
}
