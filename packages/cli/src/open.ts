import { loadConfig, Stowage, UsageError } from '@stowage/core';
import { destinations } from './registry.js';

/**
 * Loads and validates the configuration, then builds the runtime on the embedded state store.
 * Unless `quiet`, a wait for the profile state, or for a warehouse's file, another process holds is said on stderr.
 * `startedAt`: the command's start, its place in line for the profile state (a long-lived
 * process's waits take their own times).
 */
export function openStowage(configPath: string, options: { quiet?: boolean; startedAt?: number } = {}): Stowage {
  // A caller's mistake told as such, not as a TypeError of this function's own ("reading 'quiet'").
  const problem = optionsProblem(options);
  if (problem) throw new UsageError(`openStowage(configPath, options): ${problem}`);
  const { quiet = false, startedAt } = options;
  const config = loadConfig(configPath, destinations);
  stateDirs.add(config.stateDir);
  const onWait = quiet
    ? undefined
    : (holder: string | undefined, ahead?: number) =>
        process.stderr.write(
          ahead
            ? `waiting for the profile state in ${config.stateDir}: ${ahead === 1 ? 'another command waits' : `${ahead} other commands wait`} for it ahead of this one, which takes it after ${ahead === 1 ? 'it' : 'them'} (commands take it in the order they started)\n`
            : `waiting for the profile state in ${config.stateDir}: process ${holder ?? '(unknown)'} holds it (another Stowage command, or a program that opened state.duckdb); it is opened once that process lets go of it\n`,
        );
  // A run's write meeting a sync of the same DuckDB file waited without a word, its rate falling.
  const onWarehouseWait = quiet ? undefined : sayWarehouseWait;
  return new Stowage(config, {
    destinations,
    openProfileStore: (dir, options) => openProfileStore(dir, { ...options, onWait, ...(startedAt !== undefined ? { arrivedAt: startedAt } : {}) }),
    ...(onWarehouseWait ? { onWarehouseWait } : {}),
  });
}

function optionsProblem(options: unknown): string | undefined {
  const said = (v: unknown) => (typeof v === 'string' ? JSON.stringify(v) : v === null ? 'null' : Array.isArray(v) ? 'an array' : `${typeof v === 'object' ? 'an object' : `a ${typeof v}`} (${String(v)})`);
  if (options === null || typeof options !== 'object' || Array.isArray(options)) return `options must be an object ({ quiet?, startedAt? }) or left out, not ${said(options)}`;
  const { quiet, startedAt } = options as Record<string, unknown>;
  if (quiet !== undefined && typeof quiet !== 'boolean') return `options.quiet must be true or false, not ${said(quiet)}`;
  if (startedAt !== undefined && !(typeof startedAt === 'number' && Number.isFinite(startedAt) && startedAt >= 0)) return `options.startedAt must be a time in milliseconds since 1970 (Date.now()), not ${said(startedAt)}`;
  return undefined;
}

/** Says on stderr that a command waits for a warehouse's file (DuckDB) another process holds, each time another one holds it. */
export function sayWarehouseWait(warehouse: string, holder: string | undefined): void {
  process.stderr.write(`waiting for warehouse "${warehouse}": ${holder ? `process ${holder}` : 'another process'} holds its file (a sync, or another command's write: one process writes a DuckDB file at a time); it is opened once that process lets go of it\n`);
}

/** The state folders of the configurations this process opened: an error on a path in one is the state folder's. */
export const stateDirs = new Set<string>();

/** The profile state, on DuckDB: loaded with the first run, so that a sync or `history` does not load it. */
async function openProfileStore(dir: string, options: { waitMs?: number; waitInAllMs?: number; onWait?: ((holder: string | undefined, ahead?: number) => void) | undefined; arrivedAt?: number }) {
  const { EmbeddedProfileStore } = await import('@stowage/embedded-state');
  return EmbeddedProfileStore.open(dir, options.waitMs, {
    ...(options.onWait ? { onWait: options.onWait } : {}),
    ...(options.waitInAllMs !== undefined ? { waitInAllMs: options.waitInAllMs } : {}),
    ...(options.arrivedAt !== undefined ? { arrivedAt: options.arrivedAt } : {}),
  });
}
