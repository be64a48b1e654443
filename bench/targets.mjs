// The warehouses a benchmark can load into, each with its baseline: the raw bulk load of the
// same final rows in the same engine (DuckDB's Appender, PostgreSQL's COPY FROM STDIN).
import { createRequire } from 'node:module';
import { join } from 'node:path';

const require = createRequire(join(import.meta.dirname, '..', 'destinations', 'postgres', 'package.json'));

/** `--warehouse duckdb` (default) or `postgres`; `--postgres-url` names a server the benchmark may create databases on. */
export async function benchTarget(kind, { postgresUrl, duckdbSettings = {} } = {}) {
  if (kind === 'duckdb') {
    return {
      kind,
      label: 'DuckDB',
      baseline: 'raw Appender load',
      describe: () => `@duckdb/node-api ${require('@duckdb/node-api/package.json').version}`,
      async fresh(dir) {
        return {
          settings: { path: 'warehouse.duckdb', ...duckdbSettings },
          raw: (schema) => ({ role: 'raw', warehousePath: join(dir, 'warehouse.duckdb'), rawPath: join(dir, 'raw.duckdb'), schema, duckdbOptions: duckdbOptions(duckdbSettings) }),
          drop: async () => undefined,
        };
      },
      close: async () => undefined,
    };
  }
  if (kind !== 'postgres') throw new Error(`--warehouse must be duckdb or postgres, not ${kind}`);
  const pg = require('pg');
  const admin = new pg.Client({ connectionString: postgresUrl });
  await admin.connect().catch((error) => {
    throw new Error(`cannot connect to --postgres-url ${new URL(postgresUrl).host}: ${error.message}`);
  });
  const { rows: [{ server_version: version }] } = await admin.query('SHOW server_version');
  let n = 0;
  return {
    kind,
    label: 'PostgreSQL',
    baseline: 'raw COPY FROM STDIN',
    describe: () => `PostgreSQL ${version} at ${new URL(postgresUrl).host}; pg ${require('pg/package.json').version}`,
    async fresh() {
      const name = `stowage_bench_${process.pid}_${++n}`;
      await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await admin.query(`CREATE DATABASE "${name}"`);
      const url = new URL(postgresUrl);
      url.pathname = `/${name}`;
      return {
        settings: { url: url.toString() },
        raw: (schema) => ({ role: 'raw-copy', url: url.toString(), schema }),
        drop: () => admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`),
      };
    },
    close: () => admin.end(),
  };
}

function duckdbOptions(settings) {
  const options = {};
  if (settings.memoryLimit) options.memory_limit = settings.memoryLimit;
  if (settings.threads) options.threads = String(settings.threads);
  return options;
}

export const DEFAULT_POSTGRES_URL = process.env.STOWAGE_BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
