import { PgDriver } from './driver.js';
import { dialect } from './dialect.js';
import { copyLoader } from './load/copy-loader.js';
import { insertLoader, insertLoaderBinding, MAX_PARAMS } from './load/insert-loader.js';
import type { PostgresSettings } from './settings.js';
import { POSTGRES_SESSION_SETUP } from './session-setup.js';

/**
 * The package's `./driver` entry: everything that loads `pg` and `pg-copy-streams`. The main entry
 * (the destination, its dialect and settings) loads it with the first session, so that a command
 * opening none, or a configuration without PostgreSQL or Redshift, never does.
 */
export { PgDriver, copyLoader, insertLoader, insertLoaderBinding, MAX_PARAMS };
export { clientConfig } from './client-config.js';


/**
 * Seconds a statement waits for another session's lock by default. An ALTER TABLE waiting behind
 * a user's long query holds up every query of that table queued behind it, a dashboard's too:
 * it gives up after this, and the batch is tried again after a pause.
 */
export const DEFAULT_LOCK_TIMEOUT_SECONDS = 5;

/** Opens a session with the loader the settings choose. */
export function connectPostgres(settings: PostgresSettings): Promise<PgDriver> {
  // A wait of some time is at least 1 ms: rounded to 0, a fraction of a millisecond was PostgreSQL's
  // 0, which waits as long as it takes.
  const seconds = settings.lockTimeoutSeconds ?? DEFAULT_LOCK_TIMEOUT_SECONDS;
  const lockTimeoutMs = seconds > 0 ? Math.max(1, Math.round(seconds * 1000)) : 0;
  const setup = [...POSTGRES_SESSION_SETUP, `SET lock_timeout = ${lockTimeoutMs}`];
  return PgDriver.open(settings, { dialect, loader: settings.bulkLoad === 'insert' ? insertLoader : copyLoader, setup, keyLookups: 'settings', directLoads: true, postgresCatalog: true, advisoryLocks: true });
}
