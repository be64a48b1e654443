import type { Stowage, SyncRecord } from '@stowage/core';
import { duration, errorMessage, EXIT, fmt, progressPrinter } from '../output.js';

/** Notices of a sync printed under its summary (widened columns, calls the warehouse refused…); the history keeps them all. */
const NOTICES_PRINTED = 20;

/** Tables named in a sync's summary line; past that, the rest are counted (a space of hundreds of event names made one line of them all). */
const TABLES_PRINTED = 12;

/** A sync's rows per table, the first TABLES_PRINTED of them by name, the rest counted. */
function rowsLine(rows: Readonly<Record<string, number>>): string {
  // A table the sync added nothing to (its rows all copies, or a failure before its batch) is no news here; `--json` lists it.
  const tables = Object.entries(rows).filter(([, n]) => n > 0);
  if (tables.length === 0) return 'no new rows';
  const shown = tables.length > TABLES_PRINTED ? tables.slice(0, TABLES_PRINTED - 1) : tables;
  const rest = tables.slice(shown.length);
  const more = rest.length ? [`${fmt(rest.length)} more tables with ${fmt(rest.reduce((sum, [, n]) => sum + n, 0))} rows (stowage history --json names them)`] : [];
  return [...shown.map(([t, n]) => `${t} ${fmt(n)}`), ...more].join(', ');
}

export function summarize(r: SyncRecord): string {
  const rows = rowsLine(r.rows);
  const ms = Date.parse(r.endedAt ?? r.startedAt) - Date.parse(r.startedAt);
  const extra = [r.casts && `${fmt(r.casts)} casts`, r.rejects && `${fmt(r.rejects)} rejects (see _stowage_rejects)`, r.duplicates && `${fmt(r.duplicates)} duplicate rows skipped`].filter(Boolean).join(', ');
  const what = r.path === 'storage-actions' ? `Storage Actions write to warehouse ${r.warehouse}, ${fmt(r.calls)} events` : `warehouse ${r.warehouse}, ${fmt(r.calls)} calls`;
  return `${r.status}: ${what} in ${duration(ms)} → ${rows}${extra ? `; ${extra}` : ''}${r.error ? `\n  error: ${r.error}` : ''}`;
}

/** A sync's notices under its summary, the first NOTICES_PRINTED of them. */
export function printNotices(record: SyncRecord): void {
  for (const notice of record.notices.slice(0, NOTICES_PRINTED)) console.log(`  ${notice}`);
  if (record.notices.length > NOTICES_PRINTED) console.log(`  … ${fmt(record.notices.length - NOTICES_PRINTED)} more notices: stowage history --json`);
}

/** Syncs one warehouse, or every warehouse, now; returns the exit code. */
export async function syncNow(stowage: Stowage, warehouse: string | undefined, quiet = false): Promise<number> {
  const names = warehouse ? [stowage.warehouse(warehouse).name] : Object.keys(stowage.config.warehouses);
  const progress = progressPrinter();
  let code: number = EXIT.ok;
  for (const name of names) {
    let record;
    try {
      record = await stowage.sync(name, {
        trigger: 'manual',
        onProgress: quiet
          ? undefined
          : (p) =>
              progress(
                p.lookingUp
                  ? `${p.warehouse}/${p.space}: ${fmt(p.calls)} calls; looking up the message ids of the next ~${fmt(p.lookingUp)} calls`
                  : `${p.warehouse}/${p.space}: ${fmt(p.calls)} calls, ${fmt(p.rows)} rows, ${fmt(Math.round(p.calls / Math.max(p.elapsedMs / 1000, 0.001)))} calls/s`,
              ),
      });
    } catch (error) {
      // One warehouse that cannot sync now (its sync held by another process) does not keep the
      // others from syncing when all are asked for; named alone, it fails the command as before.
      if (warehouse !== undefined) throw error;
      if (!quiet && process.stderr.isTTY) process.stderr.write('\n');
      console.error(`stowage: warehouse ${name} not synced: ${errorMessage(error, [stowage.config.stateDir])}`);
      code = EXIT.failure;
      continue;
    }
    if (!quiet && process.stderr.isTTY) process.stderr.write('\n');
    console.log(summarize(record));
    printNotices(record);
    if (record.status === 'Failure') code = EXIT.failure;
    else if (record.status === 'Partial' && code === EXIT.ok) code = EXIT.partial;
  }
  return code;
}
