// PostgreSQL made to treat DDL as Snowflake does: a CREATE, ALTER or DROP the core sends inside a
// transaction commits that transaction first, and what follows runs outside one, each statement
// committing on its own (Snowflake's autocommit after a DDL; the COMMIT that ends the
// transaction then commits nothing). Declared `transactionalDdl: false`, as such a warehouse
// would be, and with no key indexes, as Snowflake has none: a Classic sync then inserts the rows
// its look at the log's message ids found new without asking the table again, so a batch whose
// rows committed apart from its ledger row would be loaded twice after a crash, where an index
// probe would have caught the copies. A real engine throughout: only the moment of each commit
// and the want of an index are Snowflake's.
// Plain JavaScript: the conformance suite's crash tests import it in processes of their own.
import postgres from '@stowage/destination-postgres';
import { overriding } from '@stowage/testkit';

const DDL = /^\s*(CREATE|ALTER|DROP)\b/i;

/** The session, its DDL committing the open transaction. */
export function committingAtDdl(driver) {
  let open = false;
  return overriding(driver, {
    transaction: (fn) =>
      driver.transaction(async () => {
        open = true;
        try {
          return await fn();
        } finally {
          open = false;
        }
      }),
    execute: async (sql, params) => {
      if (open && DDL.test(sql)) {
        await driver.execute('COMMIT');
        open = false;
      }
      return driver.execute(sql, params);
    },
  });
}

// The dialect without `temporaryTableAs` (a table made inside the `users` refresh's transaction:
// DDL, which such a warehouse's dialect would not use there); the refresh inserts from its
// aggregate directly.
const { temporaryTableAs: _made, ...dialect } = postgres.dialect;

/** The PostgreSQL destination, its DDL committing the open transaction. */
const ddlCommits = {
  ...postgres,
  dialect,
  capabilities: { ...postgres.capabilities, transactionalDdl: false, keyIndexes: false },
  connect: async (settings, context) => committingAtDdl(await postgres.connect(settings, context)),
};

export default ddlCommits;
