import type { Capabilities } from '@stowage/core';
import { rowLimit } from './row-size.js';

/**
 * PostgreSQL runs DDL inside transactions and rolls it back with the data; bigint columns become
 * double precision in place. A table holds at most 1,600 columns, and a row at most 8,160 bytes; text cannot hold U+0000. Every
table Stowage creates gets an index on its key, which the check for keys already loaded probes.
 */
export const capabilities: Capabilities = {
  transactionalDdl: true,
  multiStatementTransactions: true,
  merge: true,
  maxColumns: 1600,
  inPlaceWidening: [['bigint', 'double']],
  textHoldsNul: false,
  keyIndexes: true,
  // A field holds at most 1 GB; a batch never gets near it first.
  maxStringBytes: Infinity,
  rowLimit,
};
