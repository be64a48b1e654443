import type pg from 'pg';

const KINDS: Readonly<Record<string, string>> = { v: 'a view', m: 'a materialized view', f: 'a foreign table' };

/**
 * The names among `names` that something other than a table takes in the schema
 * (`Driver.notTables`). PostgreSQL's catalog and Redshift's alike: `pg_class` with no array
 * parameter (Redshift takes none).
 */
export async function notTables(client: pg.Client, schema: string, names: readonly string[]): Promise<Array<{ name: string; kind: string }>> {
  if (names.length === 0) return [];
  const { rows } = await client.query<{ name: string; kind: string }>(
    `SELECT c.relname AS name, c.relkind AS kind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = $1 AND c.relkind IN ('v', 'm', 'f') AND c.relname IN (${names.map((_, i) => `$${i + 2}`).join(', ')})`,
    [schema, ...names],
  );
  const kinds = new Map(rows.map((r) => [r.name, KINDS[r.kind]!]));
  return names.filter((name) => kinds.has(name)).map((name) => ({ name, kind: kinds.get(name)! }));
}
