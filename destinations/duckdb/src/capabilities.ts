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
  // DuckDB's VARCHAR has no length, but a row is loaded from a CSV line that read_csv buffers
  // twice over within memory_limit: a 100 MB quarantined row asked for more than the default
  // 512MB, failed its write, and kept failing every later one (its events stayed queued). Longer
  // values are quarantined, in parts of this size (as on a warehouse with a real limit).
  maxStringBytes: 64 * 1024 * 1024,
};
