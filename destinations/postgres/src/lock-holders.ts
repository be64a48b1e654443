import type pg from 'pg';

/** Sessions told at most: a busy warehouse may have hundreds of readers. */
const MOST = 3;

/**
 * Other sessions holding locks on tables of a schema, each in one line: which table and lock, and
 * who (pid, role, application, state and for how long, the first word of its statement), so that
 * an operator knows whom to ask, or which `pg_terminate_backend` to run. Exclusive locks first.
 * The statement's text is not told: it may hold another user's data or secrets, which the
 * history would keep.
 */
export async function lockHolders(client: pg.Client, schema: string): Promise<string[]> {
  const { rows } = await client.query<{ pid: number; relation: string; mode: string; usename: string | null; application_name: string | null; state: string | null; seconds: number | null; command: string | null }>(
    `SELECT l.pid, c.relname AS relation, l.mode, a.usename, a.application_name, a.state,
            round(extract(epoch FROM now() - coalesce(a.xact_start, a.query_start)))::int AS seconds,
            upper((regexp_match(a.query, '^\\s*([A-Za-z]+)'))[1]) AS command
     FROM pg_locks l
     JOIN pg_class c ON c.oid = l.relation
     JOIN pg_namespace n ON n.oid = c.relnamespace
     LEFT JOIN pg_stat_activity a ON a.pid = l.pid
     WHERE l.granted AND n.nspname = $1 AND c.relkind IN ('r', 'p') AND l.pid <> pg_backend_pid()
     ORDER BY l.mode = 'AccessExclusiveLock' DESC, seconds DESC NULLS LAST, l.pid
     LIMIT $2`,
    [schema, MOST],
  );
  return rows.map((r) => {
    const who = [r.usename ? `role ${r.usename}` : '', r.application_name ? `application ${JSON.stringify(r.application_name)}` : '', r.state ? `${r.state}${r.seconds !== null ? ` for ${r.seconds} s` : ''}` : ''].filter(Boolean).join(', ');
    return `pid ${r.pid} (${who}) holds ${r.mode} on ${schema}.${r.relation}${r.command ? ` (its statement: ${r.command} …)` : ''}`;
  });
}
