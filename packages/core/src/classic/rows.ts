import type { Call } from '../calls/call.js';
import type { IdentifierRules } from '../contract/dialect.js';
import { applyIdentifierRules } from '../naming/identifier.js';
import { flatten } from '../naming/flatten.js';
import { snakeCase } from '../naming/snake-case.js';
import { timestampMillis } from '../types/timestamp.js';
import { IDENTIFIES, isStandardColumn, RESERVED_TABLES, TRACKS } from './tables.js';

export type RawRow = Record<string, unknown>;

/** A value that lost a naming collision inside one call: two keys that name the same column. */
export interface NameCollision {
  messageId: string;
  table: string;
  column: string;
  value: unknown;
}

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
  /** Final column name per path: a space has few distinct paths and every call repeats them. */
  private readonly names = new Map<string, string>();

  constructor(private readonly rules: IdentifierRules) {}

  column(path: string): string {
    let name = this.names.get(path);
    if (name === undefined) {
      name = applyIdentifierRules(snakeCase(path), this.rules);
      if (this.names.size < 100_000) this.names.set(path, name);
    }
    return name;
  }

  /** The name a trait or property named like a standard column is kept under: `_<name>`. */
  private kept(column: string): string {
    const key = `\u0000${column}`;
    let name = this.names.get(key);
    if (name === undefined) this.names.set(key, (name = applyIdentifierRules(`_${column}`, this.rules)));
    return name;
  }

  /** The table of an event: its snake_case name; names of the classic tables get a `_` prefix. */
  eventTable(event: string): string {
    const name = this.column(event);
    return RESERVED_TABLES.has(name) ? `_${name}` : name;
  }

  rows(call: Call, loadedAt: string): CallRows {
    const collisions: NameCollision[] = [];
    const base = this.standardColumns(call, loadedAt);
    if (call.type === 'identify') {
      const row = { ...base };
      this.place(row, call.traits, IDENTIFIES, call.messageId, collisions);
      return { tables: [[IDENTIFIES, row]], collisions };
    }
    const table = this.eventTable(call.event!);
    const track: RawRow = { ...base, event: table.replace(/^_/, ''), event_text: call.event };
    const eventRow: RawRow = { ...track };
    // The spec's examples put an Engage track call's values under `traits`; Segment's own calls use `properties`.
    this.place(eventRow, { ...(call.traits ?? {}), ...(call.properties ?? {}) }, table, call.messageId, collisions);
    return { tables: [[TRACKS, track], [table, eventRow]], collisions };
  }

  private standardColumns(call: Call, loadedAt: string): RawRow {
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
      for (const [path, value] of flatten(call.context, 'context')) {
        const column = this.column(path);
        if (!(column in row) || row[column] === null) row[column] = value;
      }
    }
    return row;
  }

  private place(row: RawRow, values: Record<string, unknown> | undefined, table: string, messageId: string, collisions: NameCollision[]): void {
    if (!values) return;
    for (const [path, value] of flatten(values)) {
      let column = this.column(path);
      if (isStandardColumn(column)) column = this.kept(column);
      const held = row[column];
      if (held === undefined || held === null) row[column] = value;
      else if (value !== null && value !== held) collisions.push({ messageId, table, column, value });
    }
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
    return new Date(ms).toISOString();
  }
  return call.timestamp ?? call.receivedAt;
}
