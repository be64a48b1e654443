import { resolve } from 'node:path';
import type { DuckDBInstance } from '@duckdb/node-api';
import { CatalogCache } from './catalog-cache.js';

/**
 * One DuckDB engine per database file in a process. Two instances opened on one file in one
 * process are two engines that each believe they own it: neither sees the other's commits, and
 * the first to checkpoint (closing does) writes its own view of the database over the other's,
 * which are lost. A library user's service may write a run's Storage Actions events while a sync
 * of the same warehouse runs; so sessions on one file share its instance, each with a connection
 * of its own, and the last to close closes it. The instance keeps the settings of the session
 * that opened it (memory limit, threads).
 */
const instances = new Map<string, { instance: Promise<DuckDBInstance>; sessions: number; catalog: CatalogCache }>();

/** A session's hold on the process's instance on a file. */
export interface SharedInstance {
  instance: DuckDBInstance;
  /** Lets go of the instance: the last session to let go closes it. */
  release: () => void;
  /**
   * Closes the instance and opens the file again, when this session is the only one holding it
   * (undefined otherwise, and for an in-memory database, which closing would lose). `letGo` closes
   * the session's connection first; the caller has checkpointed, so the new instance starts from
   * the file alone.
   */
  renew: (letGo: () => void) => Promise<DuckDBInstance | undefined>;
  /** Whether this session alone holds the instance, on a file: a renewal would take place. */
  alone: () => boolean;
  /** The database's catalog as the sessions on the file last read it (`CatalogCache`), shared by them. */
  catalog: CatalogCache;
}

/** The process's instance on `path` (made by `create` when there is none), and how to let go of it. */
export async function shareInstance(path: string, create: () => Promise<DuckDBInstance>): Promise<SharedInstance> {
  // An in-memory database is a database of its own for every session that asks for one.
  if (path === ':memory:' || path === '') return { instance: await create(), release: () => undefined, renew: () => Promise.resolve(undefined), alone: () => false, catalog: new CatalogCache() };
  const key = resolve(path);
  let entry = instances.get(key);
  if (!entry) {
    entry = { instance: create(), sessions: 0, catalog: new CatalogCache() };
    instances.set(key, entry);
    // A failed open is not kept: the next session tries again (the file's lock may be released by then).
    entry.instance.catch(() => {
      if (instances.get(key) === entry) instances.delete(key);
    });
  }
  entry.sessions++;
  const shared = entry;
  let instance: DuckDBInstance;
  try {
    instance = await shared.instance;
  } catch (error) {
    shared.sessions--;
    throw error;
  }
  let released = false;
  const release = (): void => {
    if (released) return;
    released = true;
    if (--shared.sessions > 0) return;
    if (instances.get(key) === shared) instances.delete(key);
    instance.closeSync();
  };
  const alone = (): boolean => !released && shared.sessions === 1 && instances.get(key) === shared;
  return {
    instance,
    release,
    alone,
    catalog: shared.catalog,
    renew: async (letGo) => {
      if (!alone()) return undefined;
      let closed = false;
      try {
        letGo();
        instance.closeSync();
        closed = true;
        // A session of this process that asks meanwhile waits for the new instance.
        shared.instance = create();
        instance = await shared.instance;
        // Another process may have taken the file between the two, and changed its catalog.
        shared.catalog.changed();
      } catch (error) {
        // Nothing is left open, and no session of the process joins what is gone: the next opens the file anew.
        if (!closed) {
          try {
            instance.closeSync();
          } catch {
            // Already failing: the error below says why.
          }
        }
        released = true;
        shared.sessions--;
        if (instances.get(key) === shared) instances.delete(key);
        throw error;
      }
      return instance;
    },
  };
}
