import type { Capabilities } from '@stowage/core';

/** DuckDB runs DDL and DML in one ACID transaction and changes column types in place. */
export const capabilities: Capabilities = {
  transactionalDdl: true,
  multiStatementTransactions: true,
  merge: true,
  // DuckDB itself allows more, but at the default 512MB memory_limit a sync into a table of
  // ~1,500 columns ran out of memory (measured; 1,000 loads): past 1,000, values are quarantined.
  maxColumns: 1000,
  inPlaceWidening: [['bigint', 'double']],
  textHoldsNul: true,
  // Columnar: a scan of the key column per batch is cheaper than maintaining an ART index.
  keyIndexes: false,
  maxStringBytes: Infinity,
};
