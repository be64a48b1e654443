import type { Capabilities } from '@stowage/core';

/** DuckDB runs DDL and DML in one ACID transaction and changes column types in place. */
export const capabilities: Capabilities = {
  transactionalDdl: true,
  multiStatementTransactions: true,
  merge: true,
  // DuckDB itself allows more, but each column of a table costs ~1.6MB of memory_limit while a
  // batch loads (driver.ts raises the default to it): past 1,000 columns, values are quarantined.
  maxColumns: 1000,
  inPlaceWidening: [['bigint', 'double']],
  textHoldsNul: true,
  // Columnar: a scan of the key column per batch is cheaper than maintaining an ART index.
  keyIndexes: false,
  maxStringBytes: Infinity,
};
