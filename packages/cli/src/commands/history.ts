import type { Stowage } from '@stowage/core';
import { duration, fmt, table } from '../output.js';

/** Prints the sync history, newest first, and when each warehouse syncs next. */
export function printHistory(stowage: Stowage, opts: { json?: boolean; warehouse?: string; limit: number }): void {
  // A name neither configured nor in the history (one since removed still has its syncs) is a
  // usage error, as for sync and flush, not an empty history.
  if (opts.warehouse !== undefined && !Object.hasOwn(stowage.config.warehouses, opts.warehouse) && !stowage.history.list({ all: true }).some((r) => r.warehouse === opts.warehouse)) stowage.warehouse(opts.warehouse);
  // The newest, read from the newest generation of the history back only as far as they need.
  const records = stowage.history.latest(opts.limit, (r) => !opts.warehouse || r.warehouse === opts.warehouse).reverse();
  // With --warehouse, that one's alone (none for a name no longer configured).
  const shown = Object.keys(stowage.config.warehouses).filter((w) => opts.warehouse === undefined || w === opts.warehouse);
  const next = Object.fromEntries(shown.map((w) => [w, stowage.nextSync(w)?.toISOString() ?? null]));
  if (opts.json) {
    console.log(JSON.stringify({ syncs: records.map(({ pid: _pid, ...r }) => r), nextSync: next }, null, 2));
    return;
  }
  if (records.length === 0) console.log('No syncs yet.');
  else {
    console.log(table(
      ['started (UTC)', 'warehouse', 'path', 'trigger', 'status', 'duration', 'calls', 'rows', 'casts', 'rejects', 'error'],
      records.map((r) => [
        r.startedAt.replace('T', ' ').slice(0, 19),
        r.warehouse,
        r.path,
        r.trigger,
        r.status,
        r.endedAt ? duration(Date.parse(r.endedAt) - Date.parse(r.startedAt)) : '-',
        fmt(r.calls),
        Object.entries(r.rows).map(([t, n]) => `${t}=${fmt(n)}`).join(' ') || '-',
        fmt(r.casts),
        fmt(r.rejects),
        // Cut for the table, and said so: the whole error is in --json.
        (r.error ?? '').length > 80 ? `${r.error!.slice(0, 79)}…` : (r.error ?? ''),
      ]),
    ));
  }
  console.log('');
  for (const [w, at] of Object.entries(next)) console.log(`next sync of ${w}: ${at ?? 'never (schedule has no future run)'}`);
}
