import { resolve } from 'node:path';
import type { DuckDBInstance } from '@duckdb/node-api';

/**
 * One DuckDB engine per database file in a process. Two instances opened on one file in one
 * process are two engines that each believe they own it: neither sees the other's commits, and
 * the first to checkpoint (closing does) writes its own view of the database over the other's,
 * which are lost. A library user's service may write a run's Storage Actions events while a sync
 * of the same warehouse runs; so sessions on one file share its instance, each with a connection
 * of its own, and the last to close closes it. The instance keeps the settings of the session
 * that opened it (memory limit, threads).
 */
const instances = new Map<string, { instance: Promise<DuckDBInstance>; sessions: number }>();

/** The process's instance on `path` (made by `create` when there is none), and how to let go of it. */
export async function shareInstance(path: string, create: () => Promise<DuckDBInstance>): Promise<{ instance: DuckDBInstance; release: () => void }> {
  // An in-memory database is a database of its own for every session that asks for one.
  if (path === ':memory:' || path === '') return { instance: await create(), release: () => undefined };
  const key = resolve(path);
  let entry = instances.get(key);
  if (!entry) {
    entry = { instance: create(), sessions: 0 };
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
  return {
    instance,
    release: () => {
      if (released) return;
      released = true;
      if (--shared.sessions > 0) return;
      if (instances.get(key) === shared) instances.delete(key);
      instance.closeSync();
    },
  };
}
