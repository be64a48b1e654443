import type { Call } from '../calls/call.js';
import type { BatchCut } from '../log/call-log.js';

/**
 * Event tables one sync batch may write. A batch is one transaction, and every table it writes
 * holds warehouse resources until the commit. PostgreSQL takes ~19 locks per new table (the
 * table, its toast table and indexes, the stage) from a lock table shared by the server, of
 * 64 × (max_connections + background workers) by default (~7,800 at 100 connections): 5,000 new
 * event tables in one batch failed with "out of shared memory", and 100 take ~1,900. DuckDB keeps
 * ~0.7MB per table of 20 columns until it checkpoints (2,000 failed at 512MB; 500 took 366MB).
 * Calls whose event names embed an id (`Viewed Product 123`) make a table each, so without this
 * bound such a batch would fail on every retry.
 */
export const MAX_EVENT_TABLES_PER_BATCH = 100;

/** Closes a sync batch once its track calls name `max` distinct events. */
export function eventTablesCut(max = MAX_EVENT_TABLES_PER_BATCH): BatchCut<Call> {
  const events = new Set<string>();
  return {
    add(call) {
      if (call.type === 'track' && typeof call.event === 'string') events.add(call.event);
      return events.size >= max;
    },
    reset: () => events.clear(),
  };
}
