import type { Driver } from '../contract/driver.js';

/**
 * A write's DDL and DML in one transaction where the warehouse's DDL is transactional, so that a
 * failed write leaves no trace. Where it is not (`Capabilities.transactionalDdl` false: DDL
 * commits the open transaction, or is refused inside one), the DDL goes first, each statement
 * committing on its own, and the transaction holds the DML alone: the data still commits with
 * its ledger row, and DDL that stands after a failed write is found in the catalog by the next
 * (every statement of it makes what the catalog lacked, and the plan is made from the catalog).
 */
export async function withDdl<T>(driver: Driver, transactionalDdl: boolean, ddl: () => Promise<void>, dml: () => Promise<T>): Promise<T> {
  if (transactionalDdl) {
    return driver.transaction(async () => {
      await ddl();
      return dml();
    });
  }
  await ddl();
  return driver.transaction(dml);
}
