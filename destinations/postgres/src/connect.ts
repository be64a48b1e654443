import { PgDriver } from './driver.js';
import { dialect } from './dialect.js';
import { copyLoader } from './load/copy-loader.js';
import { insertLoader, insertLoaderBinding, MAX_PARAMS } from './load/insert-loader.js';
import type { PostgresSettings } from './settings.js';

/**
 * The package's `./driver` entry: everything that loads `pg` and `pg-copy-streams`. The main entry
 * (the destination, its dialect and settings) loads it with the first session, so that a command
 * opening none, or a configuration without PostgreSQL or Redshift, never does.
 */
export { PgDriver, copyLoader, insertLoader, insertLoaderBinding, MAX_PARAMS };
export { clientConfig } from './client-config.js';

/**
 * Every session runs in UTC, so timestamps read back and written without a zone mean UTC. Its
 * statements are not cut short by a statement, idle-in-transaction or idle-session timeout that a
 * managed server gives its roles for application queries: a load's statements (a `users` refresh,
 * a large COPY) may take longer, and, killed at the same point on every retry, the sync would
 * never end.
 */
const SETUP = [
  "SET TIME ZONE 'UTC'",
  // Timestamps read back as text are ISO whatever a role or database prefers (`SQL, DMY`).
  "SET DateStyle = 'ISO, MDY'",
  'SET standard_conforming_strings = on',
  'SET client_min_messages = warning',
  "SET temp_buffers = '128MB'",
  'SET statement_timeout = 0',
  'SET idle_in_transaction_session_timeout = 0',
  // PostgreSQL 14 and later only: a run's session is opened early and waits while the run is staged and diffed.
  "SELECT set_config(name, '0', false) FROM pg_settings WHERE name = 'idle_session_timeout'",
];

/**
 * Seconds a statement waits for another session's lock by default. An ALTER TABLE waiting behind
 * a user's long query holds up every query of that table queued behind it, a dashboard's too:
 * it gives up after this, and the batch is tried again after a pause.
 */
export const DEFAULT_LOCK_TIMEOUT_SECONDS = 5;

/** Opens a session with the loader the settings choose. */
export function connectPostgres(settings: PostgresSettings): Promise<PgDriver> {
  const lockTimeoutMs = Math.round((settings.lockTimeoutSeconds ?? DEFAULT_LOCK_TIMEOUT_SECONDS) * 1000);
  const setup = [...SETUP, `SET lock_timeout = ${lockTimeoutMs}`];
  return PgDriver.open(settings, { dialect, loader: settings.bulkLoad === 'insert' ? insertLoader : copyLoader, setup, keyLookups: 'settings', directLoads: true, postgresCatalog: true });
}
