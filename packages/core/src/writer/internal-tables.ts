import type { Column, LogicalType } from '../contract/logical-type.js';
import { stableHash } from '../naming/stable-hash.js';

/**
 * The message id of the batch's last call: where the ledger's cursor falls on a call's end in a
 * log restored from an older backup, it tells whether that call is the one loaded (a cursor alone
 * cannot: calls of one shape are of one length). Added to ledgers made before it, as they are next written.
 */
const LEDGER_LAST_ID: Column = { name: 'last_id', type: 'string' };

/**
 * A message id as the ledger's `last_id` keeps it: itself, or, past 200 bytes, `#` and a hash of
 * it, so that it fits any warehouse's text column (a call whose id is longer than one holds is
 * set apart, and its ledger row must still commit).
 */
export function ledgerId(id: string): string {
  return Buffer.byteLength(id) <= 200 ? id : `#${stableHash(id, 32)}`;
}

/** The load ledger: one row per committed batch, in the same transaction as the batch's rows. */
export const LEDGER_TABLE = '_stowage_loads';
export const LEDGER_COLUMNS: Column[] = [
  { name: 'stream', type: 'string' },
  { name: 'segment', type: 'bigint' },
  { name: 'position', type: 'bigint' },
  { name: 'calls', type: 'bigint' },
  { name: 'sync_id', type: 'string' },
  { name: 'loaded_at', type: 'timestamp' },
  LEDGER_LAST_ID,
];

/** The quarantine: values that could not be stored without loss, with why and where. */
export const REJECTS_TABLE = '_stowage_rejects';
export const REJECTS_COLUMNS: Column[] = [
  { name: 'id', type: 'string' },
  { name: 'table_name', type: 'string' },
  { name: 'column_name', type: 'string' },
  { name: 'value', type: 'string' },
  { name: 'reason', type: 'string' },
  { name: 'sync_id', type: 'string' },
  { name: 'rejected_at', type: 'timestamp' },
];
export const REJECTS_FIXED_TYPES = new Map<string, LogicalType>(REJECTS_COLUMNS.map((c) => [c.name, c.type]));

/**
 * Keys whose latest-value row (`users`) must be recomputed: marked in each batch's transaction,
 * recomputed and cleared in one transaction when the sync's batches are in. A sync killed in
 * between leaves them marked, and the next sync recomputes them.
 */
export const DIRTY_TABLE = '_stowage_dirty';
export const DIRTY_COLUMNS: Column[] = [
  { name: 'table_name', type: 'string' },
  { name: 'key', type: 'string' },
];

/** Tables Stowage keeps for itself start with this; snake_case never produces a leading `_`. */
export const INTERNAL_PREFIX = '_stowage_';
