import { loadConfig, Stowage } from '@stowage/core';
import { destinations } from './registry.js';

/** Loads and validates the configuration, then builds the runtime on the embedded state store. */
export function openStowage(configPath: string): Stowage {
  const config = loadConfig(configPath, destinations);
  stateDirs.add(config.stateDir);
  return new Stowage(config, { destinations, openProfileStore });
}

/** The state folders of the configurations this process opened: an error on a path in one is the state folder's. */
export const stateDirs = new Set<string>();

/** The profile state, on DuckDB: loaded with the first run, so that a sync or `history` does not load it. */
async function openProfileStore(dir: string, options?: { waitMs?: number }) {
  const { EmbeddedProfileStore } = await import('@stowage/embedded-state');
  return EmbeddedProfileStore.open(dir, options?.waitMs);
}
