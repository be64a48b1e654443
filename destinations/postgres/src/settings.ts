/**
 * How to reach a server of the PostgreSQL protocol (PostgreSQL, Redshift): a connection string,
 * or its parts. Each warehouse's settings add their own keys and defaults.
 */
export interface PgConnectionSettings {
  /** `postgres://user:password@host:port/database?sslmode=…`; the parts below override it. */
  url?: string;
  host?: string;
  port?: number;
  database?: string;
  user?: string;
  password?: string;
  /** `disable`, `require` (encrypted, certificate not checked) or `verify-full`; the default is the warehouse's. */
  sslmode?: 'disable' | 'require' | 'verify-full';
  /** Seconds to wait for a connection. Default: the URL's `connect_timeout`, else 10. */
  connectTimeoutSeconds?: number;
  [key: string]: unknown;
}

/** Settings of a PostgreSQL warehouse (`sslmode` defaults to `disable`). */
export interface PostgresSettings extends PgConnectionSettings {
  /** `copy` (COPY … FROM STDIN, the default) or `insert` (multi-row INSERT, for servers that cannot take COPY). */
  bulkLoad?: 'copy' | 'insert';
  /**
   * Seconds a statement waits for a lock another session holds before it gives up, and the batch
   * is tried again after a pause. Default 5; 0 waits as long as it takes.
   */
  lockTimeoutSeconds?: number;
}
