/**
 * Every session runs in UTC, so timestamps read back and written without a zone mean UTC. Its
 * statements are not cut short by a statement, idle-in-transaction or idle-session timeout that a
 * managed server gives its roles for application queries: a load's statements (a `users` refresh,
 * a large COPY) may take longer, and, killed at the same point on every retry, the sync would
 * never end. A warehouse on PostgreSQL's protocol starts from these (`PgDriverOptions.setup`).
 */
export const POSTGRES_SESSION_SETUP: readonly string[] = [
  "SET TIME ZONE 'UTC'",
  // Timestamps read back as text are ISO whatever a role or database prefers (`SQL, DMY`).
  "SET DateStyle = 'ISO, MDY'",
  'SET standard_conforming_strings = on',
  'SET client_min_messages = warning',
  "SET temp_buffers = '128MB'",
  'SET statement_timeout = 0',
  // Stowage never idles in a transaction for more than moments (a batch's statements follow one
  // another); a session whose client stopped answering (a hung proxy, a process stopped) must
  // not hold its locks on the tables, which every reader would then wait on, until the server's
  // TCP keepalive notices, hours later or never. Long enough for any role's shorter setting.
  "SET idle_in_transaction_session_timeout = '15min'",
  // PostgreSQL 14 and later only: a run's session is opened early and waits while the run is staged and diffed.
  "SELECT set_config(name, '0', false) FROM pg_settings WHERE name = 'idle_session_timeout'",
];
