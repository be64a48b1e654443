import type { LogicalType } from '../contract/logical-type.js';
import type { LatestValueTable } from '../writer/table-writer.js';

export const IDENTIFIES = 'identifies';
export const USERS = 'users';
export const TRACKS = 'tracks';
/** Tables of the classic schema that an event's table may not take the name of. */
export const RESERVED_TABLES = new Set([IDENTIFIES, USERS, TRACKS]);

/** Columns Segment writes on every row of identifies, tracks and the event tables. */
export const COMMON_COLUMNS = ['id', 'received_at', 'sent_at', 'original_timestamp', 'timestamp', 'uuid_ts', 'user_id', 'anonymous_id'] as const;
export const TRACK_COLUMNS = [...COMMON_COLUMNS, 'event', 'event_text'] as const;

export const FIXED_TYPES: ReadonlyMap<string, LogicalType> = new Map<string, LogicalType>([
  ['id', 'string'],
  ['received_at', 'timestamp'],
  ['sent_at', 'timestamp'],
  ['original_timestamp', 'timestamp'],
  ['timestamp', 'timestamp'],
  ['uuid_ts', 'timestamp'],
  ['user_id', 'string'],
  ['anonymous_id', 'string'],
  ['event', 'string'],
  ['event_text', 'string'],
]);

const standard = new Set<string>(TRACK_COLUMNS);

/** Whether a column is one Segment writes itself (a trait or property of that name is kept as `_<name>`). */
export function isStandardColumn(column: string): boolean {
  return standard.has(column) || column.startsWith('context_');
}

/**
 * `users`: one row per user_id, `id` = user_id, each trait column holding the latest non-null
 * value by event timestamp (ties: received_at, then message id), recomputed from identifies.
 */
export function usersTable(disabledColumns: ReadonlySet<string>): LatestValueTable {
  return {
    table: USERS,
    source: IDENTIFIES,
    sourceKey: 'user_id',
    keyColumns: ['id', 'user_id'],
    maxColumns: ['received_at', 'uuid_ts'].filter((c) => !disabledColumns.has(c)),
    excluded: (column) => isStandardColumn(column) || disabledColumns.has(column),
    orderBy: ['timestamp', 'received_at', 'id'],
  };
}
