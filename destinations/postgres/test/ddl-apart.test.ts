import { fileURLToPath } from 'node:url';
import { afterAll } from 'vitest';
import type { Destination } from '@stowage/core';
import { describeDestination, testPostgres } from '@stowage/testkit';
// @ts-expect-error: plain JavaScript, for the crash tests' own processes
import ddlCommits from './support/ddl-commits.mjs';

// A warehouse whose DDL commits the open transaction (Snowflake) or is refused in one (BigQuery)
// declares `transactionalDdl: false`; the writer then applies a write's DDL before the
// transaction that loads its rows and commits its ledger row. PostgreSQL, made to commit at each
// DDL statement as Snowflake does (and without key indexes, as Snowflake), runs the parts of the
// suite where the writer makes and alters tables in the middle of its writes, crashes included:
// were any DDL left inside a transaction, the rows loaded before it would commit apart from their
// ledger row, and a sync killed after it would load them twice (two of the crash tests fail so
// when the writer keeps its DDL in the transaction).
const server = await testPostgres();
afterAll(() => server.close());

describeDestination(
  `postgres committing at each DDL statement, on ${server.label}`,
  {
    destination: ddlCommits as Destination,
    module: fileURLToPath(new URL('./support/ddl-commits.mjs', import.meta.url)),
    settings: async () => ({ url: await server.freshDatabase(), ...(server.copy ? {} : { bulkLoad: 'insert' }) }),
    unreachable: () => ({ url: 'postgres://postgres@127.0.0.1:1/none', connectTimeoutSeconds: 2 }),
    afterEach: () => server.afterEach(),
  },
  { parts: ['specTables', 'usersMerge', 'storageActions', 'casts', 'schemaEvolution', 'batches', 'killedSync', 'refusedCalls'] },
);
