import { availableParallelism } from 'node:os';

/**
 * Threads for an embedded engine (DuckDB) that runs beside Stowage's own JS thread: one per core
 * but one, at least one. The JS thread prepares the engine's next work meanwhile (reading,
 * building and encoding a batch; staging a run); on two cores, an engine thread contending with it
 * cost more than it gave (see docs/benchmarks.md, session 5).
 */
export function engineThreads(cores = availableParallelism()): number {
  return Math.max(1, cores - 1);
}
