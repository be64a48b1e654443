import type pg from 'pg';
import { likelyMeant } from '@stowage/core';
import { parseUrl } from './url.js';
import type { PostgresSettings } from './settings.js';

/**
 * The user and password of a URL as written, when a URL parser misreads them: a password holding
 * `/`, `?` or `#` unencoded ends the host part early (`postgres://u:/pw@host/db` is host `u`,
 * path `/pw@host/db`, and no password at all), so what the parser reports can neither be trusted
 * to hold the secret nor to leave it out. Undefined when the parser found them (or there are none:
 * an `@` in the query, `?user=alice@corp`, is no user part).
 */
function misreadUserinfo(url: string): string | undefined {
  const start = url.indexOf('://');
  const at = url.lastIndexOf('@');
  if (start < 0 || at < start) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // Misread only if pg cannot read it either, and can without them (not a port out of range, say).
    return !readable(url) && readable(url.slice(0, start + 3) + url.slice(at + 1)) ? url.slice(start + 3, at) : undefined;
  }
  if (parsed.username !== '' || parsed.password !== '') return undefined;
  return parsed.pathname.includes('@') || parsed.hash.includes('@') ? url.slice(start + 3, at) : undefined;
}

/** Whether pg reads the URL (it also takes forms WHATWG's URL does not: `postgres://u:p@/db?host=/tmp`). */
function readable(url: string): boolean {
  return readingError(url) === undefined;
}

/** What reading the URL failed on, if it did. */
function readingError(url: string): unknown {
  try {
    parseUrl(url);
    return undefined;
  } catch (error) {
    return error ?? new Error('unreadable');
  }
}

/** libpq's values of `sslmode`, and pg's own `no-verify` (TLS, the certificate unchecked). */
const SSLMODES = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full', 'no-verify'];

/** A URL's query parameters; undefined where there is none to read. */
function queryOf(url: string): URLSearchParams | undefined {
  const at = url.indexOf('?');
  if (at < 0) return undefined;
  try {
    return new URLSearchParams(url.slice(at + 1));
  } catch {
    return undefined;
  }
}

/**
 * The URL parameters the pg client acts on. pg-connection-string copies every parameter into the
 * client's configuration and the client reads these alone: any other is dropped without a word.
 * `connect_timeout` and `channel_binding` are libpq's, read here (`clientConfig`); `db` and
 * `encoding` are pg's, of its `socket:` URLs.
 */
const URL_PARAMETERS = [
  'host', 'port', 'user', 'password', 'connect_timeout', 'channel_binding', 'application_name', 'fallback_application_name', 'options', 'client_encoding',
  'ssl', 'sslmode', 'sslcert', 'sslkey', 'sslrootcert', 'sslnegotiation', 'uselibpqcompat',
  'statement_timeout', 'lock_timeout', 'idle_in_transaction_session_timeout', 'query_timeout', 'replication', 'binary', 'db', 'encoding',
];

/**
 * libpq's parameters that pg does not implement: taken, and without effect (providers' strings
 * carry some, `keepalives=1`, `gssencmode=disable`, `target_session_attrs=any`; refusing them
 * stopped every command of a configuration that had worked).
 */
const LIBPQ_ONLY = [
  'hostaddr', 'passfile', 'require_auth', 'keepalives', 'keepalives_idle', 'keepalives_interval', 'keepalives_count',
  'tcp_user_timeout', 'gssencmode', 'requiressl', 'sslcompression', 'sslkeylogfile', 'sslpassword', 'sslcertmode', 'sslcrl', 'sslcrldir', 'sslsni',
  'requirepeer', 'ssl_min_protocol_version', 'ssl_max_protocol_version', 'min_protocol_version', 'max_protocol_version', 'krbsrvname', 'gsslib',
  'gssdelegation', 'service', 'target_session_attrs', 'load_balance_hosts', 'scram_client_key', 'scram_server_key',
];

/** libpq's values of `channel_binding`. */
const CHANNEL_BINDINGS = ['disable', 'prefer', 'require'];

/**
 * What is wrong with a URL parameter, or undefined. Refused: a misspelling of a parameter the
 * client reads (`sslmod=require` connected without TLS, `SSLMODE` too), and `dbname` (the
 * database would be another than meant). A name like none of them is another tool's (Prisma's
 * `schema`, `pgbouncer`, `connection_limit`), taken and without effect.
 */
function parameterProblem(name: string, value: string): string | undefined {
  if (name === 'connect_timeout') {
    return /^\d+$/.test(value) && Number(value) >= 1 && Number(value) <= 2_147_483 ? undefined : `connect_timeout=${value} is not a whole number of seconds from 1 to 2147483 (libpq's 0, wait for ever, is not taken: a server that never answers would hold the sync)`;
  }
  if (name === 'channel_binding') return CHANNEL_BINDINGS.includes(value) ? undefined : `channel_binding=${value} is not one of libpq's: ${CHANNEL_BINDINGS.join(', ')}`;
  if (URL_PARAMETERS.includes(name) || LIBPQ_ONLY.includes(name)) return undefined;
  if (name === 'dbname' || name === 'database') return `${name}=… in the query is not read (the database is the URL's path): write postgres://user@host:port/<database>, or use the \`database\` setting`;
  const likely = likelyMeant(name, URL_PARAMETERS);
  return likely === undefined ? undefined : `${JSON.stringify(name).slice(1, -1)} is not a connection parameter (did you mean ${likely}?): the client would ignore it`;
}

/** The TLS files a URL may name, which pg reads as it reads the URL. */
const FILE_PARAMETERS = ['sslrootcert', 'sslcert', 'sslkey'];

/** A TLS file the URL names that cannot be read, said as such (pg's own error names the path alone). */
function unreadableFile(url: string, error: unknown): string | undefined {
  const code = (error as { code?: string })?.code;
  const path = (error as { path?: string })?.path;
  if (code === undefined || path === undefined) return undefined;
  const query = queryOf(url);
  const parameter = FILE_PARAMETERS.find((name) => query?.get(name) === path);
  if (parameter === undefined) return undefined;
  const why = code === 'ENOENT' ? 'there is no such file' : code === 'EACCES' ? 'this process may not read it' : code === 'EISDIR' ? 'it is a folder' : code;
  return `the file ${path} that ${parameter} names cannot be read (${why}): give the path of the ${parameter === 'sslrootcert' ? "CA certificate that signed the server's" : parameter === 'sslcert' ? 'client certificate' : "client certificate's key"}`;
}

/** The schemes of a PostgreSQL connection URL (libpq's). */
export const POSTGRES_SCHEMES: readonly string[] = ['postgres', 'postgresql'];

/** Why a URL cannot be used as written (of one of `schemes`), never quoting its secret; undefined when it can. */
export function urlProblem(url: string, schemes: readonly string[] = POSTGRES_SCHEMES): string | undefined {
  if (misreadUserinfo(url) !== undefined) {
    return 'it cannot be read with its user and password as written: a "/", "?" or "#" in them ends the host part of a URL; percent-encode them (%2F, %3F, %23), or give the password in the `password` setting';
  }
  // pg would read anything else as a host name or a socket folder, and fail to connect to it.
  if (!/^([a-z][a-z0-9+.-]*:\/\/|socket:)/i.test(url)) return 'it is not a connection URL: give postgres://user:password@host:port/database';
  // pg reads any scheme (`http://…`) as if it were postgres://; libpq refuses all but its two.
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url)?.[1];
  if (scheme !== undefined && !schemes.includes(scheme.toLowerCase())) return `it is a ${scheme}:// URL, not one of ${schemes.map((s) => `${s}://`).join(', ')}: give ${schemes[0]}://user:password@host:port/database`;
  // pg takes a "%" not followed by two hex digits as it is, where libpq refuses the URL: a password so written is not the one meant.
  if (/%(?![0-9a-f]{2})/i.test(url)) return 'a "%" in it is not followed by two hex digits, as percent-encoding has it (libpq refuses such a URL): write a "%" itself as %25';
  // pg takes an sslmode it does not know (`disabled`, a typo) as a demand for TLS, its certificate checked.
  const sslmode = queryOf(url)?.get('sslmode');
  if (sslmode !== null && sslmode !== undefined && !SSLMODES.includes(sslmode)) return `sslmode=${JSON.stringify(sslmode).slice(1, -1)} is not an sslmode: libpq's are ${SSLMODES.slice(0, -1).join(', ')} (and pg's own no-verify)`;
  for (const [name, value] of queryOf(url) ?? []) {
    const problem = parameterProblem(name, value);
    if (problem) return problem;
  }
  const error = readingError(url);
  if (error === undefined) return undefined;
  if (/[?&]sslmode=verify-ca\b/i.test(url) && !/[?&]sslrootcert=/i.test(url)) {
    return "sslmode=verify-ca needs the certificate of the CA that signed the server's: add sslrootcert=<file> (or use sslmode=verify-full, which checks the host name too)";
  }
  return unreadableFile(url, error) ?? 'it is not a URL that can be read (a port is 1 to 65535; a host, a user or a database name with special characters is percent-encoded): give postgres://user:password@host:port/database';
}

/** What must never be shown: the password, in the settings or in the URL (as parsed, as written, or as a parameter). */
export function secretsOf(settings: PostgresSettings): string[] {
  const out: string[] = [];
  const add = (secret: string | null | undefined) => {
    if (!secret) return;
    out.push(secret, encodeURIComponent(secret));
    try {
      out.push(decodeURIComponent(secret));
    } catch {
      // Not percent-encoded text: the secret as it is is enough.
    }
  };
  add(settings.password);
  if (settings.url) {
    const userinfo = misreadUserinfo(settings.url);
    if (userinfo?.includes(':')) add(userinfo.slice(userinfo.indexOf(':') + 1));
    try {
      const url = new URL(settings.url);
      add(url.password);
      add(url.searchParams.get('password'));
    } catch {
      // Not a URL: pg will refuse it with its own error; the string itself may hold a secret.
      out.push(settings.url);
    }
  }
  return [...new Set(out)].filter((secret) => secret !== '');
}

/** The server and database a session reaches (the parts over the URL, as pg takes them); undefined where pg has a default. */
function targetParts(config: pg.ClientConfig): { host?: string; port?: number; database?: string } {
  let host = config.host;
  let port = config.port;
  let database = config.database;
  if (config.connectionString) {
    try {
      // Read past the user and password as written: a parser may take part of them for the host.
      const written = config.connectionString;
      const misread = misreadUserinfo(written) !== undefined;
      const url = new URL(misread ? `${written.slice(0, written.indexOf('://') + 3)}${written.slice(written.lastIndexOf('@') + 1)}` : written);
      host ??= decodeURIComponent(url.hostname) || url.searchParams.get('host') || undefined;
      port ??= url.port ? Number(url.port) : undefined;
      database ??= decodeURIComponent(url.pathname.slice(1)) || undefined;
    } catch {
      // Described without the URL.
    }
  }
  return { host, port, database };
}

/** Where the session is, for errors: host:port/database, never the user or password. */
export function describeTarget(config: pg.ClientConfig): string {
  const { host, port, database } = targetParts(config);
  return `${host ?? 'localhost'}:${port ?? 5432}/${database ?? '(default database)'}`;
}

/** Where a warehouse's settings point, as the user wrote the host (describeTarget). */
export const settingsTarget = (settings: PostgresSettings): string => describeTarget({ connectionString: settings.url, host: settings.host, port: settings.port, database: settings.database });

/**
 * The database these settings reach, as `host:port/database` (the parts over the URL, as pg
 * takes them; without a database named, pg's default: the user's name), for telling two
 * warehouses that write one database apart from two that do not. The host is spelled one way
 * for its spellings that are known to be one (`sameHostName`). Never the password.
 */
export function serverLocation(settings: PostgresSettings): string {
  let user = settings.user;
  if (user === undefined && settings.url !== undefined && misreadUserinfo(settings.url) === undefined) {
    try {
      user = decodeURIComponent(new URL(settings.url).username) || undefined;
    } catch {
      // A URL pg cannot read either: its settings are refused with the configuration.
    }
  }
  const { host, port, database } = targetParts({ connectionString: settings.url, host: settings.host, port: settings.port, database: settings.database });
  return `${sameHostName(host ?? 'localhost')}:${port ?? 5432}/${database ?? user ?? '(default database)'}`;
}

/**
 * One spelling for the names of one host that need no resolver to be known as one: host names
 * are case-insensitive, and `localhost`, `127.0.0.1` and `::1` (with or without brackets, or
 * written long) are where a local server listens by default (PostgreSQL's `listen_addresses =
 * 'localhost'` binds both addresses). Other names and addresses stay as written: a name and the
 * address it resolves to are not known to be one, nor `127.0.0.2`, where another server may
 * listen. A socket folder (`/var/run/postgresql`) is a path, kept as it is.
 */
function sameHostName(host: string): string {
  if (host.startsWith('/')) return host;
  const name = host.toLowerCase().replace(/^\[(.*)\]$/, '$1').replace(/\.$/, '');
  return LOOPBACK.test(name) ? 'localhost' : name;
}

const LOOPBACK = /^(?:localhost|127\.0\.0\.1|(?:0{0,4}:){2,7}0{0,3}1|::ffff:127\.0\.0\.1)$/;
