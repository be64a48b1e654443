import pg from 'pg';
import type { PostgresSettings } from './settings.js';

const { types } = pg;
const INT8 = 20;
const NUMERIC = 1700;
const TIMESTAMP = 1114;
const TIMESTAMPTZ = 1184;
const JSON_OID = 114;
const JSONB = 3802;

const parseDate = types.getTypeParser(TIMESTAMPTZ);
const parseLocal = types.getTypeParser(TIMESTAMP);

/**
 * Values read back as the rest of Stowage expects them (as the DuckDB driver gives them): safe
 * 64-bit integers as numbers, timestamps as ISO-8601 strings in UTC, JSON as its text.
 */
const typeParsers = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    switch (oid) {
      case INT8:
        return (value: string) => {
          const n = Number(value);
          return Number.isSafeInteger(n) ? n : value;
        };
      case NUMERIC:
        return (value: string) => Number(value);
      case TIMESTAMPTZ:
        return (value: string) => (parseDate(value) as Date).toISOString();
      case TIMESTAMP:
        // The session runs in UTC, so a timestamp without a zone is a UTC one.
        return (value: string) => new Date(`${(parseLocal(value) as Date).toISOString().slice(0, 23)}Z`).toISOString();
      case JSON_OID:
      case JSONB:
        return (value: string) => value;
      default:
        return types.getTypeParser(oid, format as never);
    }
  },
};

/** The pg client configuration of a warehouse's settings: the parts override the URL. */
export function clientConfig(settings: PostgresSettings): pg.ClientConfig {
  const config: pg.ClientConfig = {
    connectionString: settings.url,
    application_name: 'stowage',
    connectionTimeoutMillis: (settings.connectTimeoutSeconds ?? 10) * 1000,
    types: typeParsers as pg.CustomTypesConfig,
  };
  if (settings.host !== undefined) config.host = settings.host;
  if (settings.port !== undefined) config.port = settings.port;
  if (settings.database !== undefined) config.database = settings.database;
  if (settings.user !== undefined) config.user = settings.user;
  if (settings.password !== undefined) config.password = settings.password;
  if (settings.sslmode === 'require') config.ssl = { rejectUnauthorized: false };
  else if (settings.sslmode === 'verify-full') config.ssl = { rejectUnauthorized: true };
  else if (settings.sslmode === 'disable') config.ssl = false;
  return config;
}

/**
 * The user and password of a URL as they are written: between `://` and the last `@`. A URL
 * parser reads a password holding `/`, `?` or `#` unencoded as the end of the host part, and then
 * sees no password at all (`postgres://u:/pw@host/db` is host `u`, path `/pw@host/db`): what it
 * reports cannot be trusted to hold the secret, nor to leave it out.
 */
function writtenUserinfo(url: string): string | undefined {
  const start = url.indexOf('://');
  const at = url.lastIndexOf('@');
  return start >= 0 && at > start ? url.slice(start + 3, at) : undefined;
}

/** Why a URL cannot be used as written, never quoting its secret; undefined when it can. */
export function urlProblem(url: string): string | undefined {
  const userinfo = writtenUserinfo(url);
  if (userinfo !== undefined && /[/?#]/.test(userinfo)) {
    return 'its user or password holds "/", "?" or "#", which end the host part of a URL: percent-encode them (%2F, %3F, %23), or give the password in the `password` setting';
  }
  return undefined;
}

/** What must never be shown: the password, in the settings or in the URL (as parsed, and as written). */
export function secretsOf(settings: PostgresSettings): string[] {
  const out: string[] = [];
  const add = (secret: string) => {
    if (!secret) return;
    out.push(secret, encodeURIComponent(secret));
    try {
      out.push(decodeURIComponent(secret));
    } catch {
      // Not percent-encoded text: the secret as it is is enough.
    }
  };
  if (settings.password) add(settings.password);
  if (settings.url) {
    const userinfo = writtenUserinfo(settings.url);
    if (userinfo?.includes(':')) add(userinfo.slice(userinfo.indexOf(':') + 1));
    try {
      add(new URL(settings.url).password);
    } catch {
      // Not a URL: pg will refuse it with its own error; the string itself may hold a secret.
      out.push(settings.url);
    }
  }
  return [...new Set(out)].filter((secret) => secret !== '');
}

/** Where the session is, for errors: host:port/database, never the user or password. */
export function describeTarget(config: pg.ClientConfig): string {
  let host = config.host;
  let port = config.port;
  let database = config.database;
  if (config.connectionString) {
    try {
      // Read past the user and password as written: a parser may take part of them for the host.
      const written = config.connectionString;
      const userinfo = writtenUserinfo(written);
      const url = new URL(userinfo === undefined ? written : `${written.slice(0, written.indexOf('://') + 3)}${written.slice(written.lastIndexOf('@') + 1)}`);
      host ??= decodeURIComponent(url.hostname) || url.searchParams.get('host') || undefined;
      port ??= url.port ? Number(url.port) : undefined;
      database ??= decodeURIComponent(url.pathname.slice(1)) || undefined;
    } catch {
      // Described without the URL.
    }
  }
  return `${host ?? 'localhost'}:${port ?? 5432}/${database ?? '(default database)'}`;
}
