import type { Capabilities } from '@stowage/core';
import { ORDER_KEY_MAX_BYTES } from './latest-non-null.js';
import { MAX_VARCHAR_BYTES } from './max-varchar.js';
import { rowLimit } from './row-size.js';

/**
 * Redshift runs DDL in transactions (CREATE, ADD COLUMN) and rolls it back with the data, and has
 * MERGE. It has no indexes, so tables get no key index. ALTER COLUMN … TYPE changes only the size
 * of a VARCHAR: bigint → double would mean adding a column, copying every row into it (an UPDATE
 * that rewrites the whole table), dropping the old one (refused while a view depends on it) and
 * renaming, which also moves the column to the end. So nothing widens in place: a fraction in a
 * bigint column is quarantined with its reason, like any value its column cannot hold (a column
 * a batch creates is created as double precision from the start). Text cannot hold U+0000; a
 * table has at most 1,600 columns, and COPY reads a row of at most 4 MB.
 */
export const capabilities: Capabilities = {
  transactionalDdl: true,
  multiStatementTransactions: true,
  merge: true,
  maxColumns: 1600,
  inPlaceWidening: [],
  textHoldsNul: false,
  keyIndexes: false,
  // VARCHAR(65535) holds 65,535 bytes, and the users recompute puts a value behind a sort key of
  // up to ORDER_KEY_MAX_BYTES in a VARCHAR too: longer values are quarantined.
  maxStringBytes: MAX_VARCHAR_BYTES - ORDER_KEY_MAX_BYTES,
  rowLimit,
};
