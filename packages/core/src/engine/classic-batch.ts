import type { Call } from '../calls/call.js';
import type { ComputationConfig, WarehouseConfig } from '../config/config.js';
import type { LogicalType } from '../contract/logical-type.js';
import type { IdentifierRules } from '../contract/dialect.js';
import type { Reject } from '../schema/plan.js';
import { ClassicRows, type RawRow } from '../classic/rows.js';
import { FIXED_TYPES, IDENTIFIES, USERS, usersTable } from '../classic/tables.js';
import type { LatestValueTable, TableBatch, WriteBatch } from '../writer/table-writer.js';
import type { LogPosition } from '../log/position.js';
import { yieldToEventLoop } from '../process/yield.js';
import { exactJsonText } from '../types/exact-json-text.js';

/** Calls turned into rows between two yields to the event loop (a few milliseconds of work). */
const CALLS_PER_SLICE = 1000;

/**
 * Turns a batch of logged calls into the writer's batch for one space's classic schema,
 * applying selective sync: disabled tables get no rows, disabled columns no values.
 */
export class ClassicBatcher {
  private readonly rows: ClassicRows;
  private readonly disabledTables: Set<string>;
  private readonly disabledColumns: Map<string, Set<string>>;

  /** The columns of computed traits declared with a `valueType`, and that type. */
  private readonly createTypes: ReadonlyMap<string, LogicalType> | undefined;

  /**
   * `keyForComparison`: how the warehouse compares message ids (`Dialect.keyForComparison`), so
   * that a copy within a batch is told as the writer's dedupe tells it.
   */
  constructor(rules: IdentifierRules, warehouse: WarehouseConfig, computations: ReadonlyArray<Pick<ComputationConfig, 'key' | 'valueType'>> = [], private readonly keyForComparison?: (key: string) => string) {
    this.rows = new ClassicRows(rules);
    const typed = computations.filter((c) => c.valueType !== undefined).map((c) => [this.rows.valueColumn(c.key), c.valueType!] as const);
    this.createTypes = typed.length > 0 ? new Map(typed) : undefined;
    this.disabledTables = new Set(warehouse.disabled.tables);
    this.disabledColumns = new Map(Object.entries(warehouse.disabled.columns).map(([t, cs]) => [t, new Set(cs)]));
  }

  /** The latest-value tables of the classic schema: `users`, over `identifies`, unless disabled. */
  latestTables(): LatestValueTable[] {
    if (this.disabledTables.has(USERS)) return [];
    // users is computed from identifies: a column disabled there is disabled here too, even one that exists.
    const usersDisabled = new Set([...(this.disabledColumns.get(USERS) ?? []), ...(this.disabledColumns.get(IDENTIFIES) ?? [])]);
    return [usersTable(usersDisabled)];
  }

  /** The tables of the batch so far that hold a row of the message id. */
  private tablesHolding(tables: ReadonlyMap<string, readonly RawRow[]>, id: string): Set<string> {
    const compare = this.keyForComparison ?? ((key: string) => key);
    const holding = new Set<string>();
    for (const [table, rows] of tables) if (rows.some((row) => typeof row.id === 'string' && compare(row.id) === id)) holding.add(table);
    return holding;
  }

  async batch(schema: string, calls: readonly Call[], ledger: { stream: string; end: LogPosition; syncId: string }): Promise<WriteBatch> {
    const loadedAt = new Date().toISOString();
    const tables = new Map<string, RawRow[]>();
    const rejects: Reject[] = [];
    // The message ids of the batch so far: a later copy's row in a table that has the id's row
    // already is skipped by the writer (the first is kept, table by table), and what its keys
    // collided on there is no value of a row loaded.
    const seen = new Set<string>();
    for (let i = 0; i < calls.length; i++) {
      if (i > 0 && i % CALLS_PER_SLICE === 0) await yieldToEventLoop();
      const call = calls[i]!;
      const { tables: rows, collisions } = this.rows.rows(call, loadedAt);
      const id = this.keyForComparison ? this.keyForComparison(call.messageId) : call.messageId;
      const repeated = seen.has(id);
      seen.add(id);
      // Rare (a repeated id whose keys collide): where the id has a row already, table by table.
      const copyIn = repeated && collisions.length > 0 ? this.tablesHolding(tables, id) : undefined;
      for (const [table, row] of rows) {
        if (this.disabledTables.has(table)) continue;
        const disabled = this.disabledColumns.get(table);
        if (disabled) for (const column of disabled) delete row[column];
        let list = tables.get(table);
        if (!list) tables.set(table, (list = []));
        list.push(row);
      }
      for (const c of collisions) {
        if (copyIn?.has(c.table)) continue;
        // A disabled table or column keeps its values out of the warehouse, the quarantine included.
        if (this.disabledTables.has(c.table) || this.disabledColumns.get(c.table)?.has(c.column)) continue;
        rejects.push({ messageId: c.messageId, table: c.table, column: c.column, value: typeof c.value === 'string' ? c.value : exactJsonText(c.value), reason: 'another key of the same call names this column' });
      }
    }
    const createTypes = this.createTypes;
    const batches: TableBatch[] = [...tables].map(([table, rows]) => ({ table, rows, fixedTypes: FIXED_TYPES, ...(createTypes ? { createTypes } : {}), key: 'id' }));
    return {
      schema,
      tables: batches,
      latest: tables.has(IDENTIFIES) ? this.latestTables() : [],
      rejects,
      ledger: { ...ledger, calls: calls.length, ...(calls.length > 0 ? { lastId: calls[calls.length - 1]!.messageId } : {}) },
    };
  }
}
