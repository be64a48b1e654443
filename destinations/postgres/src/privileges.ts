import type pg from 'pg';
import type { ActivationTable } from '@stowage/core';

/** A name as an administrator types it in a GRANT: quoted, as a reserved word (`default`) or a capital must be. */
const ident = (name: string) => `"${name.replaceAll('"', '""')}"`;

/**
 * What the session's role lacks to load the given schemas, each with the statement that grants it:
 * CREATE on the database (or USAGE and CREATE on schemas made beforehand), TEMPORARY (staging and
 * the `users` recompute use temporary tables), ownership of tables made by another role (columns
 * are added as values arrive) in the schemas of `owned`, whose every table is Stowage's (the
 * Classic ones), and a session that may write at all. Catalog functions only
 * (`has_database_privilege`, `has_schema_privilege`, `pg_has_role`: a member of the owning role
 * may alter its tables). PostgreSQL's: Redshift takes no array parameter and has no `pg_has_role`.
 * An activation's existing table (`tables`) must take SELECT and INSERT, and, where it lacks a
 * column the activation writes, be owned by the role: only the owner may add the column.
 */
export async function privilegeProblems(client: pg.Client, schemas: readonly string[], owned: readonly string[], tables: readonly ActivationTable[] = []): Promise<string[]> {
  const problems: string[] = [];
  const [session] = (
    await client.query<{ role: string; db: string; create: boolean; temp: boolean; superuser: boolean; read_only: string; read_only_source: string | null; encoding: string }>(
      `SELECT current_user AS role, current_database() AS db,
              has_database_privilege(current_database(), 'CREATE') AS "create",
              has_database_privilege(current_database(), 'TEMPORARY') AS temp,
              coalesce((SELECT usesuper FROM pg_user WHERE usename = current_user), false) AS superuser,
              current_setting('transaction_read_only') AS read_only,
              (SELECT source FROM pg_settings WHERE name = 'default_transaction_read_only') AS read_only_source,
              current_setting('server_encoding') AS encoding`,
    )
  ).rows;
  if (!session) return problems;
  const { role, db } = session;
  if (session.read_only === 'on') {
    // Where it is set says what to undo: the database's setting, or the role's (or a standby).
    const undo =
      session.read_only_source === 'database'
        ? `ALTER DATABASE ${ident(db)} SET default_transaction_read_only = off`
        : session.read_only_source === 'database user'
          ? `ALTER ROLE ${ident(role)} IN DATABASE ${ident(db)} SET default_transaction_read_only = off`
          : `ALTER ROLE ${ident(role)} SET default_transaction_read_only = off`;
    problems.push(`sessions of role "${role}" are read-only (default_transaction_read_only, or a standby server): point the warehouse at the primary, or ${undo}`);
  }
  // Text is stored as sent: a database in another encoding refuses every character outside it
  // (`5 €` in LATIN1), and the call, whose quarantine is text in that database too, with it.
  if (session.encoding !== 'UTF8' && session.encoding !== 'SQL_ASCII') {
    problems.push(`database "${db}" stores text as ${session.encoding}, which cannot hold every character a call or context may carry: a value outside it fails its sync, or its activation's write, on every try (SQLSTATE 22P05); load into a database created with ENCODING 'UTF8'`);
  }
  // A superuser lacks no privilege; a read-only session stops it all the same.
  if (session.superuser) return problems;
  if (!session.temp) problems.push(`the role "${role}" lacks TEMPORARY on database "${db}" (batches are staged, and users recomputed, in temporary tables): GRANT TEMPORARY ON DATABASE ${ident(db)} TO ${ident(role)}`);
  const existing = await client.query<{ name: string; usage: boolean; create: boolean }>(
    `SELECT nspname AS name, has_schema_privilege(nspname, 'USAGE') AS usage, has_schema_privilege(nspname, 'CREATE') AS "create" FROM pg_namespace WHERE nspname = ANY($1)`,
    [schemas],
  );
  const found = new Map(existing.rows.map((r) => [r.name, r]));
  for (const schema of schemas) {
    const held = found.get(schema);
    if (!held) {
      if (!session.create) problems.push(`the role "${role}" lacks CREATE on database "${db}", and schema "${schema}" does not exist: GRANT CREATE ON DATABASE ${ident(db)} TO ${ident(role)}, or have it made (CREATE SCHEMA ${ident(schema)}) and GRANT USAGE, CREATE ON SCHEMA ${ident(schema)} TO ${ident(role)}`);
    } else if (!held.usage || !held.create) {
      problems.push(`the role "${role}" lacks ${[held.usage ? '' : 'USAGE', held.create ? '' : 'CREATE'].filter(Boolean).join(' and ')} on schema "${schema}": GRANT USAGE, CREATE ON SCHEMA ${ident(schema)} TO ${ident(role)}`);
    }
  }
  const others = await client.query<{ schema: string; table: string; owner: string }>(
    `SELECT n.nspname AS schema, c.relname AS "table", pg_get_userbyid(c.relowner) AS owner
     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = ANY($1) AND c.relkind IN ('r', 'p') AND NOT pg_has_role(c.relowner, 'USAGE')
     ORDER BY 1, 2 LIMIT 20`,
    [owned],
  );
  for (const t of others.rows) {
    problems.push(`${t.schema}.${t.table} is owned by "${t.owner}", not "${role}": Stowage adds its columns as values arrive, which only the owner may (GRANT ALL is not enough): ALTER TABLE ${ident(t.schema)}.${ident(t.table)} OWNER TO ${ident(role)}`);
  }
  for (const t of tables) problems.push(...(await activationTableProblems(client, role, t)));
  return problems;
}

/** An activation's table, where it exists: INSERT on it, and its owner's role where it lacks a column the activation writes. */
async function activationTableProblems(client: pg.Client, role: string, t: ActivationTable): Promise<string[]> {
  const [found] = (
    await client.query<{ owner: string; owns: boolean; insert: boolean; select: boolean; columns: string[] }>(
      `SELECT pg_get_userbyid(c.relowner) AS owner, pg_has_role(c.relowner, 'USAGE') AS owns, has_table_privilege(c.oid, 'INSERT') AS insert, has_table_privilege(c.oid, 'SELECT') AS "select",
              array(SELECT a.attname::text FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped) AS columns
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p')`,
      [t.schema, t.table],
    )
  ).rows;
  if (!found) return [];
  const name = `${ident(t.schema)}.${ident(t.table)}`;
  const by = t.by.join(', ');
  const problems: string[] = [];
  // A write reads the table too: whether its message ids are there already.
  const lacking = [found.select ? '' : 'SELECT', found.insert ? '' : 'INSERT'].filter(Boolean);
  if (lacking.length > 0) problems.push(`the role "${role}" lacks ${lacking.join(' and ')} on ${t.schema}.${t.table}, which ${by} writes (and reads for the message ids it holds): GRANT SELECT, INSERT ON TABLE ${name} TO ${ident(role)}`);
  const have = new Set(found.columns);
  const missing = t.columns.filter((c) => !have.has(c));
  if (!found.owns && missing.length > 0) {
    problems.push(
      `${t.schema}.${t.table} lacks the column${missing.length === 1 ? '' : 's'} ${missing.join(', ')} that ${by} writes, and is owned by "${found.owner}", not "${role}": only its owner may add ${missing.length === 1 ? 'it' : 'them'}: ALTER TABLE ${name} OWNER TO ${ident(role)}, or add ${missing.length === 1 ? 'it' : 'them'} by hand`,
    );
  }
  return problems;
}
