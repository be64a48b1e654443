import type { Capabilities } from '../contract/capabilities.js';
import type { Dialect } from '../contract/dialect.js';
import type { Driver, Row } from '../contract/driver.js';
import type { Column, LogicalType } from '../contract/logical-type.js';
import type { LogPosition } from '../log/position.js';
import { planTable, type Reject, type TablePlan } from '../schema/plan.js';
import { Statements } from './sql.js';
import { failpoint } from '../testing/failpoint.js';
import { LEDGER_COLUMNS, LEDGER_TABLE, REJECTS_COLUMNS, REJECTS_TABLE } from './internal-tables.js';

/** Rows for one append-only table, keyed by message id: a key is loaded at most once. */
export interface TableBatch {
  table: string;
  rows: ReadonlyArray<Record<string, unknown>>;
  fixedTypes: ReadonlyMap<string, LogicalType>;
  key: string;
}

/**
 * A table that holds, per key, the latest non-null value of each column of a source table
 * (the `users` table over `identifies`). It is recomputed from the source for the keys a batch
 * touches, so a late, older call never overwrites a newer value.
 */
export interface LatestValueTable {
  table: string;
  source: string;
  /** The source column naming the key (`user_id`); it fills `keyColumns` of the target. */
  sourceKey: string;
  keyColumns: readonly string[];
  /** Source columns carried over as max() (`received_at`). */
  maxColumns: readonly string[];
  /** Source columns that are not carried over. */
  excluded: (column: string) => boolean;
  /** Order that decides the latest row: later wins. */
  orderBy: readonly string[];
}

export interface WriteBatch {
  schema: string;
  tables: readonly TableBatch[];
  latest: readonly LatestValueTable[];
  /** Values refused before planning (two keys of one call naming the same column). */
  rejects?: readonly Reject[];
  /** The ledger row committed with the batch: where in which log this batch ends. */
  ledger: { stream: string; end: LogPosition; calls: number; syncId: string };
}

export interface WriteResult {
  /** Rows inserted per table (a duplicate message id inserts nothing). */
  rows: Record<string, number>;
  duplicates: number;
  casts: number;
  rejects: number;
  notices: string[];
}

/**
 * The one table writer both paths use. For each batch, in one transaction where the warehouse
 * has them: plan the schema from the warehouse's actual columns, apply the DDL, stage the rows in
 * bulk, insert the ones whose key is new, recompute latest-value tables, quarantine rejects, and
 * commit the ledger row with the data, so that a replayed batch is a no-op.
 */
export class TableWriter {
  private readonly sql: Statements;
  private readonly columnCache = new Map<string, Column[] | undefined>();
  private readonly readySchemas = new Set<string>();

  constructor(
    private readonly driver: Driver,
    private readonly dialect: Dialect,
    private readonly capabilities: Capabilities,
  ) {
    this.sql = new Statements(dialect);
  }

  /** Where the stream's last committed batch ended, or undefined when nothing was loaded yet. */
  async cursor(schema: string, stream: string): Promise<LogPosition | undefined> {
    if ((await this.columns(schema, LEDGER_TABLE)) === undefined) return undefined;
    const q = (s: string) => this.dialect.quote(s);
    const rows = await this.driver.query<{ segment: number | string; position: number | string }>(
      `SELECT ${q('segment')}, ${q('position')} FROM ${this.sql.table(schema, LEDGER_TABLE)} WHERE ${q('stream')} = ${this.dialect.param(1)} ORDER BY ${q('segment')} DESC, ${q('position')} DESC LIMIT 1`,
      [stream],
    );
    return rows[0] ? { segment: Number(rows[0].segment), offset: Number(rows[0].position) } : undefined;
  }

  async write(batch: WriteBatch): Promise<WriteResult> {
    try {
      const result = await this.driver.transaction(() => this.writeInTransaction(batch));
      failpoint('writer:after-commit');
      return result;
    } catch (error) {
      // DDL rolled back with the data: forget what we believed about the schema.
      this.columnCache.clear();
      this.readySchemas.clear();
      throw error;
    }
  }

  private async writeInTransaction(batch: WriteBatch): Promise<WriteResult> {
    const { schema } = batch;
    const result: WriteResult = { rows: {}, duplicates: 0, casts: 0, rejects: 0, notices: [] };
    await this.ensureSchema(schema);
    const rejects: Reject[] = [...(batch.rejects ?? [])];
    const stages = new Map<string, string>();

    for (const tableBatch of batch.tables) {
      const { rows, duplicates } = dedupe(tableBatch.rows, tableBatch.key);
      result.duplicates += duplicates;
      const plan = planTable({
        table: tableBatch.table,
        existing: await this.columns(schema, tableBatch.table),
        rows,
        fixedTypes: tableBatch.fixedTypes,
        keyColumn: tableBatch.key,
        capabilities: this.capabilities,
      });
      await this.applyPlan(schema, plan, result.notices);
      rejects.push(...plan.rejects);
      result.casts += plan.casts;
      if (plan.rows.length === 0) continue;
      const stage = await this.driver.stage(`_stowage_stage_${tableBatch.table}`, plan.loaded, plan.rows);
      stages.set(tableBatch.table, stage);
      failpoint('writer:after-stage');
      const inserted = await this.driver.execute(this.sql.insertNew(schema, tableBatch.table, stage, plan.loaded, [tableBatch.key]));
      result.rows[tableBatch.table] = inserted;
      result.duplicates += plan.rows.length - inserted;
    }

    for (const latest of batch.latest) {
      const stage = stages.get(latest.source);
      if (stage) result.rows[latest.table] = await this.recomputeLatest(schema, latest, stage, result.notices);
    }

    if (rejects.length > 0) result.rejects = await this.quarantine(schema, rejects, batch.ledger.syncId);
    await this.commitLedger(schema, batch.ledger);
    for (const stage of stages.values()) await this.driver.dropStage(stage);
    failpoint('writer:before-commit');
    return result;
  }

  private async ensureSchema(schema: string): Promise<void> {
    if (this.readySchemas.has(schema)) return;
    await this.driver.execute(this.sql.createSchema(schema));
    for (const [table, columns] of [[LEDGER_TABLE, LEDGER_COLUMNS], [REJECTS_TABLE, REJECTS_COLUMNS]] as const) {
      if ((await this.columns(schema, table)) === undefined) {
        await this.driver.execute(this.sql.createTable(schema, table, columns));
        this.columnCache.set(`${schema}.${table}`, [...columns]);
      }
    }
    this.readySchemas.add(schema);
  }

  private async columns(schema: string, table: string): Promise<Column[] | undefined> {
    const key = `${schema}.${table}`;
    if (!this.columnCache.has(key)) this.columnCache.set(key, await this.driver.columns(schema, table));
    return this.columnCache.get(key);
  }

  private async applyPlan(schema: string, plan: Pick<TablePlan, 'table' | 'exists' | 'columns' | 'added' | 'widened'>, notices: string[]): Promise<void> {
    if (!plan.exists && plan.columns.length > 0) {
      await this.driver.execute(this.sql.createTable(schema, plan.table, plan.columns));
    } else {
      for (const column of plan.added) await this.driver.execute(this.sql.addColumn(schema, plan.table, column));
      for (const w of plan.widened) {
        await this.driver.execute(this.sql.widenColumn(schema, plan.table, w.column, w.to));
        notices.push(`${plan.table}.${w.column} widened from ${w.from} to ${w.to}`);
      }
    }
    if (plan.columns.length > 0) this.columnCache.set(`${schema}.${plan.table}`, plan.columns);
  }

  /** Brings the latest-value table's columns in line with its source, then recomputes touched keys. */
  private async recomputeLatest(schema: string, latest: LatestValueTable, stage: string, notices: string[]): Promise<number> {
    const source = (await this.columns(schema, latest.source)) ?? [];
    const sourceTypes = new Map(source.map((c) => [c.name, c.type]));
    const keyType = sourceTypes.get(latest.sourceKey) ?? 'string';
    const carried = source.filter((c) => !latest.excluded(c.name) && !latest.keyColumns.includes(c.name));
    const wanted: Column[] = [...latest.keyColumns.map((name) => ({ name, type: keyType })), ...latest.maxColumns.filter((c) => sourceTypes.has(c)).map((name) => ({ name, type: sourceTypes.get(name)! })), ...carried];
    const existing = await this.columns(schema, latest.table);
    const have = new Map((existing ?? []).map((c) => [c.name, c.type]));
    await this.applyPlan(schema, {
      table: latest.table,
      exists: existing !== undefined,
      columns: [...(existing ?? []), ...wanted.filter((c) => !have.has(c.name))],
      added: wanted.filter((c) => !have.has(c.name)),
      widened: wanted.filter((c) => have.has(c.name) && have.get(c.name) !== c.type).map((c) => ({ column: c.name, from: have.get(c.name)!, to: c.type })),
    }, notices);

    const q = (s: string) => this.dialect.quote(s);
    const order = latest.orderBy.map(q);
    await this.driver.execute(this.sql.deleteTouched(schema, latest.table, latest.keyColumns[0]!, stage, latest.sourceKey));
    const targetColumns = [...latest.keyColumns, ...latest.maxColumns.filter((c) => sourceTypes.has(c)), ...carried.map((c) => c.name)];
    const select = [
      ...latest.keyColumns.map(() => q(latest.sourceKey)),
      ...latest.maxColumns.filter((c) => sourceTypes.has(c)).map((c) => `max(${q(c)})`),
      ...carried.map((c) => this.dialect.latestNonNull(q(c.name), order)),
    ];
    return this.driver.execute(
      `INSERT INTO ${this.sql.table(schema, latest.table)} (${targetColumns.map(q).join(', ')}) ` +
        `SELECT ${select.join(', ')} FROM ${this.sql.table(schema, latest.source)} ` +
        `WHERE ${q(latest.sourceKey)} IN (SELECT ${q(latest.sourceKey)} FROM ${stage} WHERE ${q(latest.sourceKey)} IS NOT NULL) ` +
        `GROUP BY ${q(latest.sourceKey)}`,
    );
  }

  private async quarantine(schema: string, rejects: Reject[], syncId: string): Promise<number> {
    const now = new Date().toISOString();
    const rows: Row[] = rejects.map((r) => ({ id: r.messageId, table_name: r.table, column_name: r.column, value: r.value, reason: r.reason, sync_id: syncId, rejected_at: now }));
    const stage = await this.driver.stage('_stowage_stage_rejects', REJECTS_COLUMNS, rows);
    const inserted = await this.driver.execute(this.sql.insertNew(schema, REJECTS_TABLE, stage, REJECTS_COLUMNS, ['id', 'table_name', 'column_name']));
    await this.driver.dropStage(stage);
    return inserted;
  }

  private async commitLedger(schema: string, ledger: WriteBatch['ledger']): Promise<void> {
    const values = [ledger.stream, ledger.end.segment, ledger.end.offset, ledger.calls, ledger.syncId, new Date().toISOString()];
    await this.driver.execute(
      `INSERT INTO ${this.sql.table(schema, LEDGER_TABLE)} (${LEDGER_COLUMNS.map((c) => this.dialect.quote(c.name)).join(', ')}) VALUES (${values.map((_, i) => this.dialect.param(i + 1)).join(', ')})`,
      values,
    );
  }
}

/** Keeps the first row of each key within a batch; later copies are duplicates, counted. */
function dedupe(rows: ReadonlyArray<Record<string, unknown>>, key: string): { rows: Array<Record<string, unknown>>; duplicates: number } {
  const seen = new Set<unknown>();
  const out: Array<Record<string, unknown>> = [];
  for (const row of rows) {
    const id = row[key];
    if (seen.has(id)) continue;
    seen.add(id);
    out.push(row);
  }
  return { rows: out, duplicates: rows.length - out.length };
}
