import { readdirSync, rmdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';

/**
 * What a DuckDB instance says of its temporary folder: the folder (`temp_directory`, `<file>.tmp`
 * by default; '' for none), and the spill files it uses now. For `removeSpillLeftovers`.
 */
export const DUCKDB_SPILL_FILES_SQL = `SELECT current_setting('temp_directory') AS dir, coalesce((SELECT list(path) FROM duckdb_temporary_files()), []) AS used`;

/** The names DuckDB gives its spill files (`duckdb_temp_storage_DEFAULT-0.tmp`, `duckdb_temp_block-…`). */
const SPILL_FILE = /^duckdb_temp_/;

/**
 * Removes the spill files a DuckDB instance killed while it spilled left in its temporary folder
 * (`state.duckdb.tmp/`, `warehouse.duckdb.tmp/`): DuckDB removes its own when it closes, and
 * only those, so that a run or sync killed past its memory limit left hundreds of megabytes there
 * until some later command spilled and closed in turn, maybe never. Called by the process that
 * has just opened the database file, before any statement: DuckDB's lock on the file keeps every
 * other process out of it, and so out of its spill files; `inUse` (what the instance uses,
 * `DUCKDB_SPILL_FILES_SQL`) is kept all the same. Best effort: a leftover only takes room.
 */
export function removeSpillLeftovers(dir: string, inUse: readonly string[] = []): string[] {
  if (dir === '') return [];
  const kept = new Set(inUse.map((path) => resolve(path)));
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const path = join(dir, name);
    if (!SPILL_FILE.test(name) || kept.has(resolve(path))) continue;
    try {
      rmSync(path, { force: true });
      removed.push(path);
    } catch {
      // Not a file, or not ours to remove: it only takes room.
    }
  }
  // The folder too once empty, as DuckDB leaves none it made; one holding anything else stays.
  if (removed.length > 0 && removed.length === names.length) {
    try {
      rmdirSync(dir);
    } catch {
      // Something came in meanwhile: it stays.
    }
  }
  return removed;
}

/**
 * `removeSpillLeftovers` for the instance a connection is on, asked what it uses by `query`
 * (the connection's `DUCKDB_SPILL_FILES_SQL`, its first row's values). Never throws.
 */
export async function removeSpillLeftoversOf(query: (sql: string) => Promise<unknown[] | undefined>): Promise<void> {
  try {
    const row = await query(DUCKDB_SPILL_FILES_SQL);
    removeSpillLeftovers(String(row?.[0] ?? ''), ((row?.[1] ?? []) as unknown[]).map(String));
  } catch {
    // A leftover only takes room: it never stops a sync, a run or a check.
  }
}
