import pg from 'pg';
import { toClientConfig } from 'pg-connection-string';
import { parseUrl } from './url.js';
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
  // The URL read here, not handed to pg, which would let its parts win over the settings' keys.
  const url = settings.url;
  const fromUrl: pg.ClientConfig = url === undefined ? {} : toClientConfig(parseUrl(url));
  const config: pg.ClientConfig = {
    application_name: 'stowage',
    ...fromUrl,
    // libpq's connect_timeout, where the URL has one and the setting does not override it (pg reads only its own option).
    connectionTimeoutMillis: (settings.connectTimeoutSeconds ?? urlConnectTimeout(fromUrl) ?? 10) * 1000,
    // A connection cut while a long statement runs (a NAT or load balancer dropping it, a
    // server gone without a word) is found by the kernel's probes rather than waited on for ever.
    keepAlive: true,
    keepAliveInitialDelayMillis: 30_000,
    types: typeParsers as pg.CustomTypesConfig,
  };
  // libpq's channel_binding, which pg does as enableChannelBinding: SCRAM-SHA-256-PLUS where the server offers it.
  const binding: unknown = (fromUrl as { channel_binding?: unknown }).channel_binding;
  if (binding === 'require' || binding === 'prefer') config.enableChannelBinding = true;
  if (settings.host !== undefined) config.host = settings.host;
  if (settings.port !== undefined) config.port = settings.port;
  if (settings.database !== undefined) config.database = settings.database;
  if (settings.user !== undefined) config.user = settings.user;
  if (settings.password !== undefined) config.password = settings.password;
  if (settings.sslmode === 'require') config.ssl = { rejectUnauthorized: false };
  else if (settings.sslmode === 'verify-full') config.ssl = { rejectUnauthorized: true };
  else if (settings.sslmode === 'disable') config.ssl = false;
  // libpq's `allow`: a plain connection first (pg would take any sslmode it has no case for as
  // a demand for TLS, its certificate checked).
  else if (urlSslmode(settings) === 'allow') config.ssl = false;
  return config;
}

/** The URL's `connect_timeout` in seconds (checked as settings are: `urlProblem`). */
function urlConnectTimeout(fromUrl: pg.ClientConfig): number | undefined {
  const written: unknown = (fromUrl as { connect_timeout?: unknown }).connect_timeout;
  return typeof written === 'string' && /^\d+$/.test(written) ? Number(written) : undefined;
}

/** The URL's `sslmode`, where the `sslmode` setting does not override it. */
function urlSslmode(settings: PostgresSettings): string | undefined {
  if (settings.sslmode !== undefined || settings.url === undefined) return undefined;
  const mode: unknown = parseUrl(settings.url).sslmode;
  return typeof mode === 'string' ? mode : undefined;
}

/**
 * The second try libpq makes where the URL's sslmode lets a connection go either way, after the
 * first failed: `prefer` (TLS first) without TLS when the server has none; `allow` (plain first)
 * with TLS, its certificate not checked, when the server refused the plain connection (its
 * pg_hba.conf asks for `hostssl`). Undefined where there is no second try.
 */
export function secondTry(settings: PostgresSettings, config: pg.ClientConfig, error: unknown): pg.ClientConfig | undefined {
  const mode = urlSslmode(settings);
  const message = (error as Error)?.message ?? '';
  if (mode === 'prefer' && /does not support SSL/i.test(message)) return { ...config, ssl: false };
  // The server's refusal of the session (class 28: invalid authorization), not a network error.
  if (mode !== 'allow' || !String((error as { code?: unknown })?.code ?? '').startsWith('28')) return undefined;
  // The URL's TLS files (sslcert, sslkey, sslrootcert) go with it: a `hostssl … cert` server asks for them.
  const files: unknown = parseUrl(settings.url!).ssl;
  return { ...config, ssl: { ...(files !== null && typeof files === 'object' ? (files as object) : {}), rejectUnauthorized: false } as pg.ClientConfig['ssl'] };
}
