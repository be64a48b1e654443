import type { Capabilities } from '@stowage/core';

/** DuckDB runs DDL and DML in one ACID transaction and changes column types in place. */
export const capabilities: Capabilities = {
  transactionalDdl: true,
  multiStatementTransactions: true,
  merge: true,
  maxColumns: 10_000,
  inPlaceWidening: [['bigint', 'double']],
  textHoldsNul: true,
  // Columnar: a scan of the key column per batch is cheaper than maintaining an ART index.
  keyIndexes: false,
};
