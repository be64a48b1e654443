import { loadConfig, Stowage } from '@stowage/core';
import { destinations } from './registry.js';

/** Loads and validates the configuration, then builds the runtime on the embedded state store. */
export function openStowage(configPath: string): Stowage {
  const config = loadConfig(configPath, destinations);
  return new Stowage(config, { destinations, openProfileStore });
}

/** The profile state, on DuckDB: loaded with the first run, so that a sync or `history` does not load it. */
async function openProfileStore(dir: string) {
  const { EmbeddedProfileStore } = await import('@stowage/embedded-state');
  return EmbeddedProfileStore.open(dir);
}
