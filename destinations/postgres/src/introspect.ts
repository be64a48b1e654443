import type pg from 'pg';
import type { Column, ColumnBounds, Dialect } from '@stowage/core';

/** A column as information_schema.columns describes it. */
interface CatalogColumn {
  column_name: string;
  data_type: string;
  character_maximum_length: number | null;
  numeric_precision: number | null;
  numeric_scale: number | null;
  datetime_precision: number | null;
}

const CATALOG_COLUMNS = 'column_name, data_type, character_maximum_length, numeric_precision, numeric_scale, datetime_precision';

/** Ranges of the integer types narrower than bigint. */
const INTEGER_RANGES: Readonly<Record<string, readonly [number, number]>> = {
  smallint: [-32_768, 32_767],
  integer: [-2_147_483_648, 2_147_483_647],
};

/**
 * What a column of a narrower type than its logical one holds (`ColumnBounds`): a user's
 * `varchar(n)` or `char(n)` (n characters; n bytes on Redshift, where `char(n)` takes ASCII
 * alone), `smallint` or `integer`,
 * `numeric(p, s)`, `real` (a single-precision float), or a `uuid` or `date` (read as text, held
 * to their form). Stowage's own
 * columns (`text`, `bigint`, `double precision`; Redshift's `varchar(65535)`, which the
 * warehouse's limit already covers) have none.
 */
export function catalogBounds(c: CatalogColumn, lengthIn: 'characters' | 'bytes', maxStringBytes: number, charAsciiOnly = false): ColumnBounds | undefined {
  const type = c.data_type.toLowerCase();
  const range = INTEGER_RANGES[type];
  if (range) return { physical: type, min: range[0], max: range[1] };
  if ((type === 'character varying' || type === 'character') && c.character_maximum_length !== null) {
    const n = Number(c.character_maximum_length);
    const ascii = charAsciiOnly && type === 'character';
    if (lengthIn === 'bytes' && n >= maxStringBytes && !ascii) return undefined;
    return { physical: `${type}(${n})`, maxLength: n, lengthIn, ...(ascii ? { ascii } : {}) };
  }
  if (type === 'uuid' || type === 'date') return { physical: type, format: type };
  if (type === 'real') return { physical: type, single: true };
  // timestamptz(0) to (2): Stowage's times have milliseconds, which these would round.
  if (type.startsWith('timestamp') && c.datetime_precision !== null && Number(c.datetime_precision) < 3) {
    const p = Number(c.datetime_precision);
    return { physical: `${type.replace('timestamp', `timestamp(${p})`)}`, fractionDigits: p };
  }
  if (type === 'numeric' && c.numeric_precision !== null && c.numeric_scale !== null) {
    const [p, scale] = [Number(c.numeric_precision), Number(c.numeric_scale)];
    return { physical: `numeric(${p},${scale})`, scale, below: 10 ** (p - scale) };
  }
  return undefined;
}

/** How the catalog's columns are read into the writer's: the dialect's logical types, and the bounds of narrower ones. */
export interface CatalogReading {
  dialect: Dialect;
  /** How a `varchar(n)` counts n: characters (PostgreSQL) or bytes (Redshift). */
  lengthIn: 'characters' | 'bytes';
  maxStringBytes: number;
  /** Whether a `char(n)` holds ASCII characters only (Redshift's). */
  charAsciiOnly?: boolean;
}

function column(c: CatalogColumn, reading: CatalogReading): Column {
  const bounds = catalogBounds(c, reading.lengthIn, reading.maxStringBytes, reading.charAsciiOnly);
  return { name: c.column_name, type: reading.dialect.logicalType(c.data_type) ?? 'string', ...(bounds ? { bounds } : {}) };
}

/** Every table of a schema with its columns, in one look at the catalog (empty for no such schema). */
export async function introspectSchema(client: pg.Client, reading: CatalogReading, schema: string): Promise<Map<string, Column[]>> {
  const { rows } = await client.query<CatalogColumn & { table_name: string }>(
    `SELECT table_name, ${CATALOG_COLUMNS} FROM information_schema.columns WHERE table_schema = $1 ORDER BY table_name, ordinal_position`,
    [schema],
  );
  const tables = new Map<string, Column[]>();
  for (const r of rows) {
    let columns = tables.get(r.table_name);
    if (!columns) tables.set(r.table_name, (columns = []));
    columns.push(column(r, reading));
  }
  return tables;
}

/** A table's columns in order, or undefined when it does not exist. */
export async function introspectColumns(client: pg.Client, reading: CatalogReading, schema: string, table: string): Promise<Column[] | undefined> {
  const { rows } = await client.query<CatalogColumn>(`SELECT ${CATALOG_COLUMNS} FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position`, [schema, table]);
  if (rows.length === 0) return undefined;
  return rows.map((r) => column(r, reading));
}

/**
 * A table's generated columns and identity columns GENERATED ALWAYS, which no statement may set
 * (`Driver.computedColumns`). Read through `to_jsonb`: `attgenerated` is PostgreSQL 12's, `attidentity` 10's.
 */
export async function introspectComputedColumns(client: pg.Client, schema: string, table: string): Promise<Set<string>> {
  const { rows } = await client.query<{ name: string }>(
    `SELECT a.attname AS name
       FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relname = $2 AND a.attnum > 0 AND NOT a.attisdropped
        AND (coalesce(to_jsonb(a) ->> 'attgenerated', '') <> '' OR coalesce(to_jsonb(a) ->> 'attidentity', '') = 'a')`,
    [schema, table],
  );
  return new Set(rows.map((r) => r.name));
}

/**
 * Per table of the schema, its dropped columns: PostgreSQL keeps their places (`attisdropped`)
 * until the table is made again, and counts them toward its 1,600 columns.
 */
export async function introspectDroppedColumns(client: pg.Client, schema: string): Promise<Map<string, number>> {
  const { rows } = await client.query<{ table_name: string; dropped: number }>(
    `SELECT c.relname AS table_name, count(*)::int AS dropped
       FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND a.attisdropped
      GROUP BY c.relname`,
    [schema],
  );
  return new Map(rows.map((r) => [r.table_name, Number(r.dropped)]));
}

/**
 * The columns of a schema's tables whose type PostgreSQL will not change in place, by table, each
 * with why: those views (or materialized views) read, and those generated columns read. It refuses
 * `ALTER COLUMN … TYPE` on them ("cannot alter type of a column used by a view or rule", "… used
 * by a generated column"), which would fail every sync that widens one. Found in `pg_depend`
 * (the views' rewrite rules; the generated columns' expressions in `pg_attrdef`), one query per
 * catalog read.
 */
export async function introspectPinnedColumns(client: pg.Client, schema: string): Promise<Map<string, Map<string, string>>> {
  const { rows } = await client.query<{ table_name: string; column_name: string; kind: 'view' | 'generated'; names: string[] }>(
    `SELECT t.relname AS table_name, a.attname AS column_name, 'view' AS kind,
            array_agg(DISTINCT vn.nspname || '.' || v.relname ORDER BY vn.nspname || '.' || v.relname) AS names
       FROM pg_depend d
       JOIN pg_rewrite r ON r.oid = d.objid
       JOIN pg_class v ON v.oid = r.ev_class
       JOIN pg_namespace vn ON vn.oid = v.relnamespace
       JOIN pg_class t ON t.oid = d.refobjid
       JOIN pg_namespace tn ON tn.oid = t.relnamespace
       JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid
      WHERE d.classid = 'pg_rewrite'::regclass AND d.refclassid = 'pg_class'::regclass
        AND d.refobjsubid > 0 AND v.oid <> t.oid AND tn.nspname = $1
      GROUP BY t.relname, a.attname
     UNION ALL
     SELECT t.relname, a.attname, 'generated', array_agg(DISTINCT g.attname ORDER BY g.attname)
       FROM pg_depend d
       JOIN pg_attrdef ad ON ad.oid = d.objid
       JOIN pg_attribute g ON g.attrelid = ad.adrelid AND g.attnum = ad.adnum
       JOIN pg_class t ON t.oid = d.refobjid
       JOIN pg_namespace tn ON tn.oid = t.relnamespace
       JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid
      WHERE d.classid = 'pg_attrdef'::regclass AND d.refclassid = 'pg_class'::regclass AND d.deptype = 'n'
        AND d.refobjsubid > 0 AND g.attnum <> a.attnum AND tn.nspname = $1
      GROUP BY t.relname, a.attname`,
    [schema],
  );
  const pinned = new Map<string, Map<string, string>>();
  for (const r of rows) {
    let columns = pinned.get(r.table_name);
    if (!columns) pinned.set(r.table_name, (columns = new Map()));
    const names = r.names.map((v) => JSON.stringify(v)).join(', ');
    const one = r.names.length === 1;
    const why = r.kind === 'view' ? `${one ? 'the view' : 'the views'} ${names} ${one ? 'reads' : 'read'} it` : `${one ? 'the generated column' : 'the generated columns'} ${names} ${one ? 'reads' : 'read'} it`;
    const known = columns.get(r.column_name);
    columns.set(r.column_name, known ? `${known}; ${why}` : why);
  }
  return pinned;
}

/** A schema named like this one in another case (PostgreSQL tells them apart), or undefined. */
export async function schemaInOtherCase(client: pg.Client, schema: string): Promise<string | undefined> {
  const { rows } = await client.query<{ nspname: string }>('SELECT nspname FROM pg_catalog.pg_namespace WHERE lower(nspname) = lower($1) AND nspname <> $1 ORDER BY nspname LIMIT 1', [schema]);
  return rows[0]?.nspname;
}

export async function schemaExists(client: pg.Client, schema: string): Promise<boolean> {
  // The catalog, not information_schema.schemata: Redshift lists there only the schemas the user
  // owns, and a schema granted to it would read as missing.
  const { rowCount } = await client.query('SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = $1', [schema]);
  return (rowCount ?? 0) > 0;
}
