import type { Call } from '../calls/call.js';
import type { IdentifierRules } from '../contract/dialect.js';
import { ColumnNamer, placeValue, type NameCollision } from '../naming/column-namer.js';
import { snakeCase } from '../naming/snake-case.js';
import { timestampMillis } from '../types/timestamp.js';
import { IDENTIFIES, isStandardColumn, RESERVED_TABLES, TRACKS } from './tables.js';

export type RawRow = Record<string, unknown>;

export type { NameCollision };

/** Rows of one call, per table, and what could not be placed. */
export interface CallRows {
  tables: Array<[table: string, row: RawRow]>;
  collisions: NameCollision[];
}

/**
 * Turns identify and track calls into warehouse rows exactly as Segment's loader lays them out:
 * standard columns, `context_*` flattened, traits (identifies) or properties (event tables) as
 * their own columns, a trait or property named like a standard column kept as `_<name>`.
 */
export class ClassicRows {
  private readonly names: ColumnNamer;

  constructor(rules: IdentifierRules) {
    this.names = new ColumnNamer(rules);
  }

  column(path: string): string {
    return this.names.column(path);
  }

  /**
   * The column a trait or property key lands in, as `rows` places it: its name, or `_<name>` for
   * one named like a standard column (a computed trait keyed `id` or `Event` fills `_id`, `_event`).
   */
  valueColumn(key: string): string {
    const name = this.names.column(key);
    return isStandardColumn(name) ? this.names.kept(name) : name;
  }

  /** The table of an event: its snake_case name; names of the classic tables get a `_` prefix. */
  eventTable(event: string): string {
    const name = this.column(event);
    return RESERVED_TABLES.has(name) ? `_${name}` : name;
  }

  rows(call: Call, loadedAt: string): CallRows {
    const collisions: NameCollision[] = [];
    const base = this.standardColumns(call, loadedAt, collisions);
    if (call.type === 'identify') {
      this.names.place(base, call.traits, isStandardColumn, { table: IDENTIFIES, messageId: call.messageId }, collisions);
      return { tables: [[IDENTIFIES, base]], collisions };
    }
    const table = this.eventTable(call.event!);
    // The context's columns are in both rows: a value that lost its column is lost in both.
    for (let i = 0, n = collisions.length; i < n; i++) collisions.push({ ...collisions[i]!, table });
    // `event` is a value: the whole snake_case name, which the table's name may cut or prefix.
    const track: RawRow = { ...base, event: snakeCase(call.event!), event_text: call.event };
    const eventRow: RawRow = { ...track };
    // The spec's examples put an Engage track call's values under `traits`; Segment's own calls use
    // `properties`. Properties first: a traits value naming a column they filled, with another
    // value, is a collision (quarantined), as two keys of one object naming one column are.
    const where = { table, messageId: call.messageId };
    this.names.place(eventRow, call.properties, isStandardColumn, where, collisions);
    this.names.place(eventRow, call.traits, isStandardColumn, where, collisions);
    return { tables: [[TRACKS, track], [table, eventRow]], collisions };
  }

  /** The standard columns and the context's; two context keys naming one column are collisions, reported under `identifies` or `tracks`. */
  private standardColumns(call: Call, loadedAt: string, collisions: NameCollision[]): RawRow {
    const row: RawRow = {
      id: call.messageId,
      received_at: call.receivedAt,
      sent_at: call.sentAt ?? null,
      original_timestamp: call.originalTimestamp ?? null,
      timestamp: eventTimestamp(call),
      uuid_ts: loadedAt,
      user_id: call.userId ?? null,
      anonymous_id: call.anonymousId ?? null,
    };
    if (call.context) {
      const where = { table: call.type === 'identify' ? IDENTIFIES : TRACKS, messageId: call.messageId };
      this.names.forEachLeaf(call.context, 'context', (column, value) => placeValue(row, column, value, where, collisions));
    }
    return row;
  }
}

/**
 * When the event happened: `receivedAt − (sentAt − originalTimestamp)` when the call has both, so
 * a client's skewed clock is corrected; else the call's own `timestamp`; else `receivedAt`.
 */
export function eventTimestamp(call: Pick<Call, 'receivedAt' | 'sentAt' | 'originalTimestamp' | 'timestamp'>): string {
  if (call.sentAt && call.originalTimestamp) {
    if (call.sentAt === call.receivedAt) return call.originalTimestamp;
    const ms = timestampMillis(call.receivedAt) - (timestampMillis(call.sentAt) - timestampMillis(call.originalTimestamp));
    // A skew can carry the moment out of the years a column holds; a call logged before ingest
    // checked them may hold times no longer read as such. Either is quarantined by the plan,
    // its reason naming the value, rather than thrown on every retry of the sync.
    if (Number.isNaN(ms)) return `${call.receivedAt} - (${call.sentAt} - ${call.originalTimestamp})`;
    return new Date(ms).toISOString();
  }
  return call.timestamp ?? call.receivedAt;
}
