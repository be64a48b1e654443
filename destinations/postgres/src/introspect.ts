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

/**
 * The columns of a schema's tables that views (or materialized views) read, by table, each with
 * the views: PostgreSQL refuses `ALTER COLUMN … TYPE` on them ("cannot alter type of a column
 * used by a view or rule"), which would fail every sync that widens one. Found through the
 * views' rewrite rules in `pg_depend`, one query per catalog read.
 */
export async function introspectPinnedColumns(client: pg.Client, schema: string): Promise<Map<string, Map<string, string>>> {
  const { rows } = await client.query<{ table_name: string; column_name: string; views: string[] }>(
    `SELECT t.relname AS table_name, a.attname AS column_name,
            array_agg(DISTINCT vn.nspname || '.' || v.relname ORDER BY vn.nspname || '.' || v.relname) AS views
       FROM pg_depend d
       JOIN pg_rewrite r ON r.oid = d.objid
       JOIN pg_class v ON v.oid = r.ev_class
       JOIN pg_namespace vn ON vn.oid = v.relnamespace
       JOIN pg_class t ON t.oid = d.refobjid
       JOIN pg_namespace tn ON tn.oid = t.relnamespace
       JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid
      WHERE d.classid = 'pg_rewrite'::regclass AND d.refclassid = 'pg_class'::regclass
        AND d.refobjsubid > 0 AND v.oid <> t.oid AND tn.nspname = $1
      GROUP BY t.relname, a.attname`,
    [schema],
  );
  const pinned = new Map<string, Map<string, string>>();
  for (const r of rows) {
    let columns = pinned.get(r.table_name);
    if (!columns) pinned.set(r.table_name, (columns = new Map()));
    const views = r.views.map((v) => JSON.stringify(v)).join(', ');
    columns.set(r.column_name, `${r.views.length === 1 ? 'the view' : 'the views'} ${views} ${r.views.length === 1 ? 'reads' : 'read'} it`);
  }
  return pinned;
}

export async function schemaExists(client: pg.Client, schema: string): Promise<boolean> {
  const { rowCount } = await client.query('SELECT 1 FROM information_schema.schemata WHERE schema_name = $1', [schema]);
  return (rowCount ?? 0) > 0;
}
