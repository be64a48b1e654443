import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { Destination } from '@stowage/core';
import { describeDestination, expectMembersWrittenAgain, Harness, identify, lostTableQueuedWhileDown, overriding, testPostgres } from '@stowage/testkit';
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

// A write that fails after its DDL committed leaves the tables it made. One made so for a table
// the warehouse had lost is a table made again all the same: the activations that wrote to it
// before write their current members again at their next run, as when a write that succeeds
// makes it (the suite's "writes again the members of a lost table that the queue, written first,
// made again").
describe(`postgres committing at each DDL statement, on ${server.label}: a failed write's DDL`, () => {
  /** The table whose rows fail to load, as a warehouse may refuse them after the write's DDL committed. */
  let failing: string | undefined;
  const failingLoads: Destination = {
    ...(ddlCommits as Destination),
    connect: async (settings, context) => {
      const driver = await (ddlCommits as Destination).connect(settings, context);
      return overriding(driver, {
        // The rows go straight into the table, in the write's transaction: by COPY, or by INSERTs.
        loadInto: (schema, table, file) => (table === failing ? Promise.reject(new Error('the load failed (injected)')) : driver.loadInto!(schema, table, file)),
        execute: (sql, params) => (failing !== undefined && sql.trimStart().startsWith('INSERT INTO') && sql.split('(')[0]!.includes(`."${failing}"`) ? Promise.reject(new Error('the insert failed (injected)')) : driver.execute(sql, params)),
      });
    },
  };
  const dut = { destination: failingLoads, module: '', settings: async () => ({ url: await server.freshDatabase(), ...(server.copy ? {} : { bulkLoad: 'insert' }) }), unreachable: () => ({ url: 'postgres://postgres@127.0.0.1:1/none', connectTimeoutSeconds: 2 }) };

  it('counts a table it made for a lost one as made again', async () => {
    const h = await lostTableQueuedWhileDown(dut);
    failing = 'carts';
    try {
      const [flushed] = await h.stowage.flush('wh');
      expect(flushed!.record).toMatchObject({ status: 'Failure' });
    } finally {
      failing = undefined;
    }
    // The table stands, empty: the flush's CREATE committed before its insert failed.
    expect(await h.rows('carts', ['user_id'], ['user_id'], 'wh', 'default')).toEqual([]);
    await expectMembersWrittenAgain(h);
    await h.close();
  });

  it('tells of a widening whose write failed after it, once', async () => {
    const h = await Harness.create(dut);
    await h.calls([identify('u1', { ltv: 100 }, { timestamp: '2026-11-23T10:00:00Z' })]);
    await h.sync();
    await h.calls([identify('u2', { ltv: 99.5 })]);
    failing = 'identifies';
    let failed;
    try {
      failed = await h.stowage.sync('wh');
    } finally {
      failing = undefined;
    }
    expect(failed.status).toBe('Failure');
    // The widening stands (its ALTER committed on its own): told by the sync that made it.
    expect(failed.notices).toContain('identifies.ltv widened from bigint to double');
    expect(await h.columnTypes('identifies')).toMatchObject({ ltv: 'double' });
    const next = await h.sync();
    expect(next.status).toBe('Success');
    expect(next.notices.join('\n')).not.toContain('widened');
    expect(await h.rows('users', ['id', 'ltv'])).toEqual([{ id: 'u1', ltv: 100 }, { id: 'u2', ltv: 99.5 }]);
    await h.close();
  });
});
