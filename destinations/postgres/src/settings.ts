/** Settings of a PostgreSQL warehouse: a connection string, or its parts. */
export interface PostgresSettings {
  /** `postgres://user:password@host:port/database?sslmode=…`; the parts below override it. */
  url?: string;
  host?: string;
  port?: number;
  database?: string;
  user?: string;
  password?: string;
  /** `disable` (default), `require` (encrypted, certificate not checked) or `verify-full`. */
  sslmode?: 'disable' | 'require' | 'verify-full';
  /** `copy` (COPY … FROM STDIN, the default) or `insert` (multi-row INSERT, for servers that cannot take COPY). */
  bulkLoad?: 'copy' | 'insert';
  /** Seconds to wait for a connection. Default 10. */
  connectTimeoutSeconds?: number;
  [key: string]: unknown;
}
