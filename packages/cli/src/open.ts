import { loadConfig, Stowage } from '@stowage/core';
import { EmbeddedProfileStore } from '@stowage/embedded-state';
import { destinations } from './registry.js';

/** Loads and validates the configuration, then builds the runtime on the embedded state store. */
export function openStowage(configPath: string): Stowage {
  const config = loadConfig(configPath, destinations);
  return new Stowage(config, { destinations, openProfileStore: (dir) => EmbeddedProfileStore.open(dir) });
}
