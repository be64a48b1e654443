import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError, type Destination } from '@stowage/core';
import { duckdb } from '@stowage/destination-duckdb';
import { postgres } from '@stowage/destination-postgres';
import { redshift } from '@stowage/destination-redshift';

const known = new Map<string, Destination>([duckdb, postgres, redshift].map((d) => [d.type, d as unknown as Destination]));

/**
 * The warehouse types this CLI can load into, by configuration `type`: those built in, and those
 * of packages a configuration named and `loadDestinationsOf` loaded.
 */
export const destinations: ReadonlyMap<string, Destination> = known;

/** A type a package may be named after: `@stowage/destination-<type>`, nothing that reads as a path. */
const PACKAGE_TYPE = /^[a-z][a-z0-9-]{0,62}$/;

/**
 * Adds a destination to those the CLI knows (`openStowage` then accepts its `type`): for a program
 * that uses the CLI as a library with a warehouse package of its own.
 */
export function useDestination(destination: Destination): void {
  known.set(destination.type, destination);
}

/**
 * Loads the package of each warehouse type the configuration names that is not built in:
 * `@stowage/destination-<type>`, installed beside the configuration (its folder's
 * `node_modules`, or a parent's) or beside the CLI. So a warehouse is one package: installed, its
 * type is there. A package that cannot be found is left to the configuration's own error (an
 * unknown type); one that is found but fails to load, or exports no destination of that type, is
 * a configuration error that says so. A configuration that cannot be read is left to `loadConfig`.
 */
export async function loadDestinationsOf(configPath: string): Promise<void> {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(configPath, 'utf8'));
  } catch {
    return;
  }
  const warehouses = (raw as { warehouses?: unknown })?.warehouses;
  if (typeof warehouses !== 'object' || warehouses === null) return;
  const types = new Set<string>();
  for (const w of Object.values(warehouses)) {
    const type = (w as { type?: unknown })?.type;
    if (typeof type === 'string' && !known.has(type) && PACKAGE_TYPE.test(type)) types.add(type);
  }
  for (const type of types) {
    const name = `@stowage/destination-${type}`;
    const entry = locate(name, dirname(resolve(configPath)));
    let module: Record<string, unknown>;
    try {
      module = (await import(entry ?? name)) as Record<string, unknown>;
    } catch (error) {
      if (entry === undefined && isNotFound(error, name)) continue;
      throw new ConfigError([`/warehouses: warehouse type "${type}": the package ${name} could not be loaded: ${(error as Error).message}`], configPath);
    }
    const destination = [module.default, module[type], ...Object.values(module)].find((d) => isDestination(d) && d.type === type) as Destination | undefined;
    if (!destination) throw new ConfigError([`/warehouses: warehouse type "${type}": the package ${name} exports no destination of type "${type}" (its default export should be its Destination; see CONTRIBUTING.md, adding a warehouse)`], configPath);
    known.set(type, destination);
  }
}

/** The package's entry as a file URL, resolved from the configuration's folder, or undefined when it is not installed there. */
function locate(name: string, from: string): string | undefined {
  try {
    return pathToFileURL(createRequire(resolve(from, 'stowage.config.json')).resolve(name)).href;
  } catch {
    return undefined;
  }
}

function isNotFound(error: unknown, name: string): boolean {
  const e = error as NodeJS.ErrnoException;
  return (e?.code === 'ERR_MODULE_NOT_FOUND' || e?.code === 'MODULE_NOT_FOUND') && String(e.message).includes(name);
}

function isDestination(value: unknown): value is Destination {
  const d = value as Partial<Destination> | null;
  return typeof d === 'object' && d !== null && typeof d.type === 'string' && typeof d.connect === 'function' && typeof d.dialect === 'object' && typeof d.capabilities === 'object';
}
