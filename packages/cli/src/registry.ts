import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
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
    let entry: string | undefined;
    try {
      entry = locate(name, dirname(resolve(configPath)));
    } catch (error) {
      // Its package.json that cannot be read as JSON (an install cut short): a bare SyntaxError named neither the package nor the file.
      throw new ConfigError([`/warehouses: warehouse type "${type}": the package ${name} could not be loaded: ${(error as Error).message}`], configPath);
    }
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

/**
 * The package's entry as a file URL, found in the `node_modules` of the configuration's folder or
 * of a parent, or undefined when it is not installed there. Its entry as an ES module import
 * takes it: `exports["."]` by the `import`, `node` or `default` condition, else `main`, else
 * `index.js`.
 */
function locate(name: string, from: string): string | undefined {
  for (let dir = from; ; dir = dirname(dir)) {
    const folder = join(dir, 'node_modules', name);
    if (existsSync(join(folder, 'package.json'))) {
      let pkg: { exports?: unknown; main?: string };
      try {
        pkg = JSON.parse(readFileSync(join(folder, 'package.json'), 'utf8')) as { exports?: unknown; main?: string };
      } catch (error) {
        throw new Error(`its ${join(folder, 'package.json')} cannot be read as JSON (${(error as Error).message})`);
      }
      const root = typeof pkg.exports === 'object' && pkg.exports !== null && '.' in pkg.exports ? (pkg.exports as Record<string, unknown>)['.'] : pkg.exports;
      return pathToFileURL(join(folder, importTarget(root) ?? pkg.main ?? 'index.js')).href;
    }
    if (dirname(dir) === dir) return undefined;
  }
}

/** Where an `exports` entry sends an ES module import. */
function importTarget(entry: unknown): string | undefined {
  if (typeof entry === 'string') return entry;
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) return undefined;
  const conditions = entry as Record<string, unknown>;
  for (const condition of ['import', 'node', 'default']) {
    const target = importTarget(conditions[condition]);
    if (target !== undefined) return target;
  }
  return undefined;
}

/** Whether the import failed for want of the package itself, not of something it imports. */
function isNotFound(error: unknown, name: string): boolean {
  const e = error as NodeJS.ErrnoException;
  return (e?.code === 'ERR_MODULE_NOT_FOUND' || e?.code === 'MODULE_NOT_FOUND') && String(e.message).includes(`'${name}'`);
}

function isDestination(value: unknown): value is Destination {
  const d = value as Partial<Destination> | null;
  return typeof d === 'object' && d !== null && typeof d.type === 'string' && typeof d.connect === 'function' && typeof d.dialect === 'object' && typeof d.capabilities === 'object';
}
