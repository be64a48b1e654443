import { onTable } from './failed-table.js';
import { escapeLoneSurrogates } from '../ids/id-text.js';
import { fittedId, rejectParts } from './reject-parts.js';
import type { Capabilities } from '../contract/capabilities.js';
import type { Dialect } from '../contract/dialect.js';
import type { Driver, LoadFile, Row, SqlValue } from '../contract/driver.js';
import type { Column, LogicalType } from '../contract/logical-type.js';
import type { LogPosition } from '../log/position.js';
import { planTableInSlices, undoPlan, type PlanJournal, type Reject, type TableChange, type TablePlan } from '../schema/plan.js';
import { Statements } from './sql.js';
import { keyHashes } from './key-hashes.js';
import { failpoint } from '../testing/failpoint.js';
import { yieldToEventLoop } from '../process/yield.js';
import { clampToStorable, timestampMillis } from '../types/index.js';
import { DIRTY_COLUMNS, DIRTY_TABLE, INTERNAL_PREFIX, ledgerId, LEDGER_COLUMNS, LEDGER_TABLE, REJECTS_COLUMNS, REJECTS_TABLE } from './internal-tables.js';
import { replaceClaims, StateClaims, type EarlierWriter, type OtherStateError, type StateClaim, type StateOwner } from './state-claims.js';
import { SyncKeys } from './sync-keys.js';
import { BigIntegerColumns } from './big-integers.js';
import { LatestRefresh, type LatestRefreshCounts, type LatestValueTable } from './latest-refresh.js';

export type { LatestValueTable } from './latest-refresh.js';

/**
 * The columns Stowage looks its own tables up by, indexed where the warehouse has key indexes.
 * The ledger is read by its last row only. The `users` marks are read a slice at a time, after
 * the batches; an index would be maintained at every batch's marks, which cost more than the
 * slices' sorts it saves (PostgreSQL, 1,000,000 calls, measured).
 */
const INTERNAL_KEYS: Record<string, readonly string[]> = { [REJECTS_TABLE]: ['id'] };

/** Rows for one append-only table, keyed by message id: a key is loaded at most once. */
export interface TableBatch {
  table: string;
  /** Handed over to the writer, which casts values in place. */
  rows: Array<Record<string, unknown>>;
  fixedTypes: ReadonlyMap<string, LogicalType>;
  /** Types new columns are created with whatever their first value (`PlanInput.createTypes`). */
  createTypes?: ReadonlyMap<string, LogicalType>;
  key: string;
  /**
   * A column each key always arrives with the same value of (Storage Actions: `received_at`, the
   * run's completion time). The look for keys already in the table then reads only its rows
   * within the batch's range of that column, which a columnar warehouse skips to by its zone
   * maps, instead of every row the table ever got.
   */
  keyArrivesWith?: string;
  /**
   * Other values of `keyArrivesWith` the batch's keys may already be in the table with (Storage
   * Actions: the times of other runs' unapplied attempts, `ChangeSink.alsoAt`): the look reads
   * the rows about each of them too.
   */
  keyAlsoArrivedAt?: readonly SqlValue[];
}

export interface WriteBatch {
  schema: string;
  tables: readonly TableBatch[];
  /** Latest-value tables whose keys this batch marks for `refreshLatest`. */
  latest: readonly LatestValueTable[];
  /** Values refused before planning (two keys of one call naming the same column). */
  rejects?: readonly Reject[];
  /**
   * The ledger row committed with the batch: where in which log this batch ends. A batch without
   * one relies on its keys alone (a replay inserts nothing new).
   */
  ledger?: { stream: string; end: LogPosition; calls: number; syncId: string; lastId?: string };
  /** The sync a batch without a ledger row belongs to (a part of a batch written again in parts), for its rejects' `sync_id`. */
  syncId?: string;
  /** False when the schema must already exist (an activation's existing schema): never created. */
  createSchema?: boolean;
  /**
   * Other sessions may write the same keys into these tables at the same time (Storage Actions: a
   * run's write and the queue's): the transaction takes turns with them (`Driver.serializeWrites`).
   * A Classic schema has one writer, its sync.
   */
  shared?: boolean;
}

export interface WriteResult {
  /** Rows each table gained (a duplicate message id adds nothing; a rewritten users row adds nothing). */
  rows: Record<string, number>;
  duplicates: number;
  casts: number;
  rejects: number;
  notices: string[];
}
/**
 * Keys a sync's look may find already loaded, or repeated, before it gives up on sorting them on
 * the client (each is held in memory): past that, the sync replays what is loaded already, and
 * its batches look for themselves.
 */
const MAX_FOUND_KEYS = 200_000;

/** Tables one statement of a sync's look reads together (a schema may have thousands of event tables). */
const TABLES_PER_LOOK = 100;

/** Keys a look for a batch's copies (`heldKeys`) binds to one statement. */
const KEYS_PER_LOOK = 500;

/**
 * How a batch prepared without the sync's look at its keys (tables with key indexes) looks for
 * copies of loaded calls among the rows that would shape a table (`prepare`).
 */
export interface CopiesLook {
  /** Resolves once the sync's earlier batches are applied, so that the look sees their rows. */
  earlierApplied: () => Promise<unknown>;
}

/** Where a batch's keys can already be: the range of the column they always arrive with. */
export interface KeyRange {
  column: string;
  type: LogicalType;
  /** Disjoint, in order: the batch's own range of the column, and one about each other value its keys may have arrived with. */
  spans: Array<{ from: SqlValue; to: SqlValue }>;
}

/**
 * A day each side of a range of times: the table's column may hold them with a time zone, which
 * a warehouse may read the bounds in (DuckDB compares a TIMESTAMP with a TIMESTAMPTZ in its
 * session's zone); no zone is a day from UTC. Still a day of rows, not the table's whole history.
 */
const ZONE_MARGIN_MS = 24 * 60 * 60 * 1000;

/** A span of the column: its bounds in order (`low`, `high`), and the values that name them. */
type Span = [low: number, high: number, from: SqlValue, to: SqlValue];

/**
 * The batch's range of `column`, with a span about each of `also` (merged where they meet), or
 * undefined when a row has no value there (its key could be anywhere). Each value is read once:
 * the plan made timestamps canonical, which `timestampMillis` reads without a Date (Date.parse
 * of every row's value twice was a tenth of a write's client work).
 */
function keyRange(rows: ReadonlyArray<Record<string, unknown>>, column: string | undefined, columns: readonly Column[], also: readonly SqlValue[] = []): KeyRange | undefined {
  const type = columns.find((c) => c.name === column)?.type;
  if (column === undefined || (type !== 'timestamp' && type !== 'bigint' && type !== 'double')) return undefined;
  const timestamp = type === 'timestamp';
  const order = timestamp ? (v: unknown) => timestampMillis(String(v)) : (v: unknown) => Number(v);
  let from: unknown;
  let to: unknown;
  let low = Infinity;
  let high = -Infinity;
  for (const row of rows) {
    const v = row[column];
    if (v === null || v === undefined) return undefined;
    const at = order(v);
    if (Number.isNaN(at)) return undefined;
    if (at < low) {
      low = at;
      from = v;
    }
    if (at > high) {
      high = at;
      to = v;
    }
  }
  if (from === undefined) return undefined;
  const spans: Span[] = [[low, high, from as SqlValue, to as SqlValue]];
  for (const v of also) {
    const at = order(v);
    if (v === null || Number.isNaN(at)) return undefined;
    spans.push([at, at, v, v]);
  }
  const iso = (ms: number) => new Date(ms).toISOString();
  // Within the years a timestamp holds: a run of 9999-12-31 looked a day past it, and DuckDB refused the bound `+010000-01-01`.
  const widen = (ms: number): [number, string] => {
    const at = clampToStorable(ms);
    return [at, iso(at)];
  };
  const widened: Span[] = timestamp
    ? spans.map(([l, h]) => {
        const [low, from] = widen(l - ZONE_MARGIN_MS);
        const [high, to] = widen(h + ZONE_MARGIN_MS);
        return [low, high, from, to];
      })
    : spans;
  widened.sort((a, b) => a[0] - b[0]);
  const merged: Span[] = [];
  for (const span of widened) {
    const last = merged[merged.length - 1];
    if (last && span[0] <= last[1]) {
      if (span[1] > last[1]) [last[1], last[3]] = [span[1], span[3]];
    } else merged.push([...span]);
  }
  return { column, type, spans: merged.map(([, , f, t]) => ({ from: f, to: t })) };
}

/** Tells of another state's writes in a schema from before claims, asking the writer's warehouse (`TableWriter.claimFor`). */
export type EarlierWriterOf = (schema: string, writer: TableWriter) => Promise<string | undefined>;

/** A batch made ready on the client: schema changes decided, rows encoded in load files. */
export interface PreparedBatch {
  schema: string;
  internalTables: Array<[table: string, columns: Column[]]>;
  /** Columns of Stowage's own tables made before those columns were (the ledger's `last_id`). */
  internalColumns: Array<[table: string, column: Column]>;
  /**
   * `keys`: the rows' keys, where the driver loads straight into a table when none of them is
   * there. `checked`: the rows were sorted against the sync's look at its keys (`SyncKeys`): all new.
   */
  tables: Array<{ change: TableChange; key: string; file?: LoadFile; within?: KeyRange; keys?: string[]; checked?: boolean }>;
  /** Latest-value tables whose keys this batch marks, by source table. */
  dirty: LatestValueTable[];
  /** The marks themselves, where the driver loads straight into tables (no stage to read them from). */
  marks?: LoadFile;
  rejects?: LoadFile;
  /** How many values `rejects` holds: a value longer than the warehouse's text takes several rows (`rejectParts`). */
  rejectValues?: number;
  ledger: WriteBatch['ledger'];
  createSchema: boolean;
  shared?: boolean;
  /** The schema's tables as the catalog had them before this batch was planned (`Driver.serializeWrites`): shared batches only. */
  known?: ReadonlySet<string>;
  duplicates: number;
  /** What preparing it has to tell the sync (a look that failed, and what that means). */
  notices?: string[];
  /** Where DDL is not transactional: set once the batch's DDL is applied (`withDdl`), with what it has to tell. */
  ddlNotices?: string[];
  casts: number;
}

/**
 * The one table writer both paths use. A batch is written in two steps. `prepare` is client work
 * only: plan the schema against the catalog as it will be once every earlier batch is applied,
 * cast the values, encode the rows in load files. `apply` is warehouse work only, in one
 * transaction where the warehouse has them: DDL, bulk load into staging tables, insert the rows
 * whose key is new, recompute latest-value tables, quarantine rejects, commit the ledger row
 * with the data so that a replayed batch is a no-op. The next batch is prepared while this one
 * is applied.
 */
export class TableWriter {
  private readonly sql: Statements;
  /** schema → table → columns, as they will be after every prepared batch is applied. */
  private readonly catalog = new Map<string, Map<string, Column[]>>();
  /** Catalog reads in flight, by schema. */
  private readonly reading = new Map<string, Promise<{ tables: Map<string, Column[]>; pinned: Map<string, Map<string, string>>; dropped: Map<string, number> }>>();
  /** schema → the tables it held when this writer first read it (before any batch of its own). */
  private readonly firstRead = new Map<string, ReadonlySet<string>>();
  /**
   * Tables (`schema\u0000table`) this writer created where DDL is not transactional: each stands
   * once its CREATE ran, even if the write that made it failed after (`ActionWriter.made`).
   */
  readonly createdApart = new Set<string>();
  /** What the DDL of writes that then failed did (widenings), where DDL is not transactional: it stands, and is told once (`takeStoodNotices`). */
  private stoodNotices: string[] = [];
  /** schema → table → columns whose type cannot change in place, with why (`Driver.pinnedColumns`), read with the catalog. */
  private readonly pinned = new Map<string, Map<string, Map<string, string>>>();
  /** schema → table → its dropped columns that still count toward the column limit (`Driver.droppedColumns`), read with the catalog. */
  private readonly dropped = new Map<string, Map<string, number>>();
  /** Columns a fraction must not widen: they hold integers past 2^53 (only where bigint widens in place). */
  private readonly bigIntegers?: BigIntegerColumns;
  /** The write in flight (`apply`), which a look at the tables from `prepare` waits for. */
  private applying: Promise<unknown> = Promise.resolve();
  /** The state this writer writes for, and its claims on the schemas it owns (`claimFor`). */
  private claims?: StateClaims;
  /** The refresh of latest-value tables (`users`) after a sync's batches. */
  private readonly latest: LatestRefresh;

  constructor(
    private readonly driver: Driver,
    private readonly dialect: Dialect,
    private readonly capabilities: Capabilities,
    /** Keys recomputed per transaction by `refreshLatest` (tests make it small, to cross slices). */
    refreshSlice?: number,
  ) {
    this.sql = new Statements(dialect);
    if (capabilities.inPlaceWidening.some(([from, to]) => from === 'bigint' && to === 'double')) {
      this.bigIntegers = new BigIntegerColumns(driver, dialect, this.sql, () => this.applying);
    }
    this.latest = new LatestRefresh(
      {
        driver,
        dialect,
        capabilities,
        sql: this.sql,
        tables: (schema) => this.tables(schema),
        foundAtFirstRead: (schema, table) => this.firstRead.get(schema)?.has(table) ?? false,
        pinnedOf: (schema, table) => this.pinned.get(schema)?.get(table),
        forgetTables: () => this.catalog.clear(),
        applyChange: (schema, change, notices, key) => this.applyChange(schema, change, notices, key),
        createInternalTable: (schema, table, columns) => this.createInternalTable(schema, table, columns),
        busyError: (error) => this.busyError(error),
        rowError: (error) => this.rowError(error),
        answers: () => this.answers(),
      },
      refreshSlice,
    );
  }

  private async tables(schema: string): Promise<Map<string, Column[]>> {
    const known = this.catalog.get(schema);
    if (known) return known;
    // One read of a schema at a time (`readCatalog` may have started it): a second one finishing
    // later would replace the map the first caller's plans went into.
    let reading = this.reading.get(schema);
    if (!reading) {
      this.reading.set(schema, (reading = this.readTables(schema)));
      reading.finally(() => this.reading.delete(schema)).catch(() => undefined);
    }
    const { tables, pinned, dropped } = await reading;
    if (!this.catalog.has(schema)) {
      this.catalog.set(schema, tables);
      this.pinned.set(schema, pinned);
      this.dropped.set(schema, dropped);
      if (!this.firstRead.has(schema)) this.firstRead.set(schema, new Set(tables.keys()));
    }
    return this.catalog.get(schema)!;
  }

  /** The schema's tables, and (where a type can change in place) the columns that cannot. */
  private async readTables(schema: string): Promise<{ tables: Map<string, Column[]>; pinned: Map<string, Map<string, string>>; dropped: Map<string, number> }> {
    const tables = await this.driver.tables(schema);
    const widens = this.capabilities.inPlaceWidening.length > 0 && tables.size > 0 && this.driver.pinnedColumns;
    const dropped = tables.size > 0 && this.driver.droppedColumns ? await this.driver.droppedColumns(schema) : new Map<string, number>();
    return { tables, pinned: widens ? await this.driver.pinnedColumns!(schema) : new Map(), dropped };
  }

  /**
   * The columns of a table whose type must not change: its own pinned ones, and those of the
   * latest-value tables built from it (`users` takes each column's type from `identifies`, so a
   * view on `users` keeps the type of `identifies` too).
   */
  private pinnedFor(schema: string, table: string, latest: readonly LatestValueTable[]): ReadonlyMap<string, string> | undefined {
    const pins = this.pinned.get(schema);
    if (!pins || pins.size === 0) return undefined;
    const all = new Map(pins.get(table) ?? []);
    for (const spec of latest) {
      if (spec.source !== table) continue;
      for (const [column, why] of pins.get(spec.table) ?? []) if (!all.has(column)) all.set(column, `${why} on ${spec.table}.${column}, which takes its type from ${table}.${column}`);
    }
    return all.size > 0 ? all : undefined;
  }

  /**
   * The warehouse's checkpoint (`Driver.checkpoint`), where it has one. Failing is no failed sync:
   * what it would have written is committed, and closing checkpoints again.
   */
  async checkpoint(): Promise<void> {
    await this.driver.checkpoint?.().catch(() => undefined);
  }

  /** Who holds locks on the schema's tables (`Driver.lockHolders`), for a busy sync's notice; none when the warehouse cannot say. */
  async lockHolders(schema: string): Promise<string[]> {
    return (await this.driver.lockHolders?.(schema).catch(() => undefined)) ?? [];
  }

  /** Reads a schema's catalog now (and its claim: `claimFor`), if this writer has not yet: the first batch to it need not wait for them. */
  async readCatalog(schema: string): Promise<void> {
    await this.tables(schema);
    await this.claims?.prefetch(schema);
  }

  /**
   * Writes for this state only (`state-claims.ts`): a batch into a schema Stowage owns (one it may
   * create) is refused when another state took the schema; before the first batch into a schema
   * no state took, this one takes it. `earlier` tells of another state's writes in a schema from
   * before claims, where the schema can (the Classic ledger's cursors, a space's rows).
   */
  claimFor(owner: StateOwner, earlier?: EarlierWriterOf): void {
    const evidence: EarlierWriter | undefined = earlier && ((schema) => earlier(schema, this));
    this.claims = new StateClaims(this.claimsHost(), owner, evidence);
  }

  /** Ensures this state may write the schema, taking it if no state did (`claimFor`); throws OtherStateError when another state writes it. */
  async takeClaim(schema: string): Promise<void> {
    await this.claims?.take(schema);
  }

  /** Why this state may not write the schema, read only (`stowage check`); undefined when it may. */
  async claimProblem(schema: string): Promise<OtherStateError | undefined> {
    return this.claims?.problem(schema);
  }

  /** Makes `owner` the one writer of the schema (`stowage claim`); gives the claims it replaced. */
  async claim(schema: string, owner: StateOwner): Promise<StateClaim[]> {
    return replaceClaims(this.claimsHost(), schema, owner);
  }

  private claimsHost() {
    return {
      driver: this.driver,
      dialect: this.dialect,
      sql: this.sql,
      transactionalDdl: this.capabilities.transactionalDdl,
      tables: (schema: string) => this.tables(schema),
      createInternalTable: (schema: string, table: string, columns: Column[]) => this.createInternalTable(schema, table, columns),
      idle: () => this.applying,
    };
  }

  /** The syncs that last loaded each stream of the schema's ledger, by stream. */
  async ledgerLastSyncs(schema: string): Promise<Map<string, string>> {
    if (!(await this.tables(schema)).has(LEDGER_TABLE)) return new Map();
    const q = (s: string) => this.dialect.quote(s);
    const rows = await this.driver.query<{ stream: string; sync_id: string }>(`SELECT ${q('stream')}, max(${q('sync_id')}) AS ${q('sync_id')} FROM ${this.sql.table(schema, LEDGER_TABLE)} GROUP BY ${q('stream')}`);
    return new Map(rows.map((r) => [r.stream, r.sync_id]));
  }

  /** The streams the schema's ledger holds cursors of. */
  async ledgerStreams(schema: string): Promise<string[]> {
    if (!(await this.tables(schema)).has(LEDGER_TABLE)) return [];
    const q = (s: string) => this.dialect.quote(s);
    const rows = await this.driver.query<{ stream: string }>(`SELECT DISTINCT ${q('stream')} FROM ${this.sql.table(schema, LEDGER_TABLE)}`);
    return rows.map((r) => r.stream);
  }

  /** Whether the schema held the table when this writer first read its catalog. */
  heldAtFirstRead(schema: string, table: string): boolean {
    return this.firstRead.get(schema)?.has(table) ?? false;
  }

  /** Whether the schema holds the table (its catalog, as this writer knows it). */
  async holdsTable(schema: string, table: string): Promise<boolean> {
    return (await this.tables(schema)).has(table);
  }

  /** Whether the schema holds any table (its catalog, as this writer knows it). */
  async holdsTables(schema: string): Promise<boolean> {
    return (await this.tables(schema)).size > 0;
  }

  /** Whether one of these tables of the schema (those that are there) holds a row. */
  async holdsRows(schema: string, tables: readonly string[]): Promise<boolean> {
    const known = await this.tables(schema);
    for (const table of tables) {
      if (!known.has(table)) continue;
      if ((await this.driver.query(`SELECT 1 AS ${this.dialect.quote('one')} FROM ${this.sql.table(schema, table)} LIMIT 1`)).length > 0) return true;
    }
    return false;
  }

  /** Calls the ledger holds of batches a sync committed (0 where the schema has no ledger). */
  async ledgerCalls(schema: string, syncId: string): Promise<number> {
    if (!(await this.tables(schema)).has(LEDGER_TABLE)) return 0;
    const q = (s: string) => this.dialect.quote(s);
    const [row] = await this.driver.query<{ n: number | string | null }>(`SELECT sum(${q('calls')}) AS ${q('n')} FROM ${this.sql.table(schema, LEDGER_TABLE)} WHERE ${q('sync_id')} = ${this.dialect.param(1)}`, [syncId]);
    return Number(row?.n ?? 0);
  }

  /** Where the stream's last committed batch ended, or undefined when nothing was loaded yet. */
  async cursor(schema: string, stream: string): Promise<LogPosition | undefined> {
    if (!(await this.tables(schema)).has(LEDGER_TABLE)) return undefined;
    const q = (s: string) => this.dialect.quote(s);
    const rows = await this.driver.query<{ segment: number | string; position: number | string }>(
      `SELECT ${q('segment')}, ${q('position')} FROM ${this.sql.table(schema, LEDGER_TABLE)} WHERE ${q('stream')} = ${this.dialect.param(1)} ORDER BY ${q('segment')} DESC, ${q('position')} DESC LIMIT 1`,
      [stream],
    );
    return rows[0] ? { segment: Number(rows[0].segment), offset: Number(rows[0].position) } : undefined;
  }

  /**
   * Whether the table holds a row whose `column` (a timestamp) is later than `after` (null: any
   * row). Where the table is not there, none.
   */
  async holdsLater(schema: string, table: string, column: string, after: string | null): Promise<boolean> {
    // Not inside the transaction of a write in flight (on Redshift, its read set; an error would abort it).
    await this.applying;
    const columns = (await this.tables(schema)).get(table);
    if (!columns) return false;
    const type = columns.find((c) => c.name === column)?.type;
    if (after !== null && type !== 'timestamp') return false;
    const q = (s: string) => this.dialect.quote(s);
    const where = after === null ? '' : ` WHERE ${q(column)} > CAST(${this.dialect.param(1)} AS ${this.dialect.physicalType('timestamp')})`;
    const rows = await this.driver.query(`SELECT 1 AS ${q('found')} FROM ${this.sql.table(schema, table)}${where} LIMIT 1`, after === null ? [] : [after]);
    return rows.length > 0;
  }

  /**
   * The message id of the last call of the batch the ledger ends at `at` (`cursor`), as the ledger
   * keeps it (`ledgerId`): undefined where it holds none (a ledger, or a batch, from before it was kept).
   */
  async lastLoadedId(schema: string, stream: string, at: LogPosition): Promise<string | undefined> {
    const ledger = (await this.tables(schema)).get(LEDGER_TABLE);
    if (!ledger?.some((c) => c.name === 'last_id')) return undefined;
    const q = (s: string) => this.dialect.quote(s);
    const p = (i: number) => this.dialect.param(i);
    const rows = await this.driver.query<{ last_id: string | null }>(
      `SELECT ${q('last_id')} FROM ${this.sql.table(schema, LEDGER_TABLE)} WHERE ${q('stream')} = ${p(1)} AND ${q('segment')} = ${p(2)} AND ${q('position')} = ${p(3)} AND ${q('last_id')} IS NOT NULL LIMIT 1`,
      [stream, at.segment, at.offset],
    );
    return rows[0]?.last_id ?? undefined;
  }

  async write(batch: WriteBatch): Promise<WriteResult> {
    return this.apply(await this.prepare(batch));
  }

  /**
   * Client work: plans, casts and load files. Touches the warehouse only to read a schema's
   * catalog once. With `keys` (the sync's look at its keys), the rows of tables keyed on its
   * column are sorted into new and duplicate here, and the new ones inserted without a look.
   */
  async prepare(batch: WriteBatch, keys?: SyncKeys, copies?: CopiesLook): Promise<PreparedBatch> {
    // Before anything is planned: the schema may be another state's (and is made when it is this one's first).
    if (batch.createSchema ?? true) await this.takeClaim(batch.schema);
    const tables = await this.tables(batch.schema);
    // A schema with no table yet may not exist; CREATE SCHEMA IF NOT EXISTS settles it (never for an existing schema an activation names).
    const createSchema = (batch.createSchema ?? true) && tables.size === 0;
    const prepared: PreparedBatch = { schema: batch.schema, internalTables: [], internalColumns: [], tables: [], dirty: [], ledger: batch.ledger, createSchema, shared: batch.shared, duplicates: 0, casts: 0, ...(batch.shared ? { known: new Set(tables.keys()) } : {}) };
    // Stowage's own tables only where they are used: a schema it does not own gets no empty ledger.
    const internal = (table: string, columns: readonly Column[]) => {
      const made = tables.get(table);
      if (!made) {
        prepared.internalTables.push([table, [...columns]]);
        tables.set(table, [...columns]);
        return;
      }
      for (const column of columns) {
        if (made.some((c) => c.name === column.name)) continue;
        prepared.internalColumns.push([table, column]);
        made.push(column);
      }
    };
    if (batch.ledger) internal(LEDGER_TABLE, LEDGER_COLUMNS);
    const rejects: Reject[] = [...(batch.rejects ?? [])];
    const direct = this.loadsDirectly();
    const marks: Row[] = [];
    /** Per table, the keys of rows the look set aside as copies: the batch's rejects of those rows are no value of a row loaded. */
    const setAside = new Map<string, Set<string>>();
    for (const tableBatch of batch.tables) {
      await yieldToEventLoop();
      const { rows: unique, duplicates } = dedupe(tableBatch.rows, tableBatch.key, this.dialect.keyForComparison);
      // Rows the sync's look found in the table (or an earlier batch admitted) are set aside before
      // the plan: a skipped copy adds no column, casts nothing and quarantines nothing. Its key is
      // a string the plan keeps as it is (a key column's type is fixed), so it is the table's key.
      const sorter = keys?.column === tableBatch.key ? keys : undefined;
      const checked = sorter !== undefined;
      const setApart = (key: string) => {
        let keys = setAside.get(tableBatch.table);
        if (!keys) setAside.set(tableBatch.table, (keys = new Set()));
        keys.add(key);
      };
      let rows = sorter
        ? unique.filter((row) => {
            const key = row[tableBatch.key];
            if (typeof key !== 'string' || sorter.admit(tableBatch.table, key)) return true;
            setApart(key);
            return false;
          })
        : unique;
      const pinned = this.pinnedFor(batch.schema, tableBatch.table, batch.latest);
      const dropped = this.dropped.get(batch.schema)?.get(tableBatch.table);
      const existing = tables.get(tableBatch.table);
      const planOf = async (rows: Array<Record<string, unknown>>, journal?: PlanJournal) => {
        const holdsBigIntegers = await this.bigIntegers?.among(batch.schema, tableBatch.table, existing, rows, tableBatch.fixedTypes);
        return planTableInSlices({ table: tableBatch.table, existing, rows, fixedTypes: tableBatch.fixedTypes, ...(tableBatch.createTypes ? { createTypes: tableBatch.createTypes } : {}), keyColumn: tableBatch.key, capabilities: this.capabilities, ...(pinned ? { pinned } : {}), ...(holdsBigIntegers ? { holdsBigIntegers } : {}), ...(dropped ? { droppedColumns: dropped } : {}), ...(journal ? { journal } : {}) });
      };
      // Without a look at the sync's keys (tables with key indexes skip a copy as they insert it),
      // a copy of a call loaded before would still shape the table: add its new keys' columns,
      // decide a new column's type or widen one. Those the table holds are set aside, and the
      // batch planned again without them, from its values as they came (the plan casts and
      // quarantines in place: its journal gives them back).
      const lookable = !sorter && copies !== undefined && existing !== undefined && this.copiesLookable(existing, tableBatch.key);
      const journal: PlanJournal | undefined = lookable ? [] : undefined;
      let plan = await planOf(rows, journal);
      const copiesHeld = lookable ? await this.shapingCopies(batch.schema, tableBatch, rows, plan, copies!, prepared) : undefined;
      if (copiesHeld) {
        undoPlan(journal!);
        const compare = this.dialect.keyForComparison ?? ((key: string) => key);
        rows = rows.filter((row) => {
          const key = row[tableBatch.key];
          if (typeof key !== 'string' || !copiesHeld.has(compare(key))) return true;
          setApart(key);
          return false;
        });
        plan = await planOf(rows);
      }
      prepared.duplicates += unique.length - rows.length;
      this.bigIntegers?.given(batch.schema, tableBatch.table, plan.bigIntegers, plan.added);
      if (plan.columns.length > 0) tables.set(tableBatch.table, plan.columns);
      // Not push(...rejects): a wide batch has hundreds of thousands, past the stack's room for arguments.
      for (const reject of plan.rejects) rejects.push(reject);
      prepared.duplicates += duplicates;
      prepared.casts += plan.casts;
      // Where a key index finds a key, a range beside it only misleads the planner (PostgreSQL read
      // a window of one run's rows for each staged row, in a replay: quadratic in the run's size).
      const within = this.capabilities.keyIndexes ? undefined : keyRange(plan.rows, tableBatch.keyArrivesWith, plan.columns, tableBatch.keyAlsoArrivedAt);
      const rowKeys = direct && !checked ? stringKeys(plan.rows, tableBatch.key, plan.columns) : undefined;
      if (direct) for (const spec of batch.latest) if (spec.source === plan.table) markKeys(marks, spec, plan.rows);
      const file = plan.rows.length > 0 ? await this.driver.writeLoadFile(plan.loaded, plan.rows) : undefined;
      // The DDL only: the plan also holds the rows, now in the load file, which a batch waiting
      // to be applied must not keep alive.
      const change: TableChange = { table: plan.table, exists: plan.exists, columns: plan.columns, added: plan.added, widened: plan.widened, pinned: plan.pinned };
      prepared.tables.push({ change, key: tableBatch.key, file, within, keys: rowKeys, checked });
    }
    for (const spec of batch.latest) {
      // Only rows with a key mark one: a batch of anonymous identifies loads none, and its stage
      // has no key column to read them from.
      if (!prepared.tables.some((t) => t.change.table === spec.source && t.file?.columns.some((c) => c.name === spec.sourceKey))) continue;
      internal(DIRTY_TABLE, DIRTY_COLUMNS);
      prepared.dirty.push(spec);
    }
    if (prepared.dirty.length > 0 && marks.length > 0) prepared.marks = await this.driver.writeLoadFile(DIRTY_COLUMNS, marks);
    if (setAside.size > 0) {
      // The batch's own rejects (two keys of a call naming one column) of a copy set aside; the
      // plan's come from the rows it kept.
      const given = batch.rejects?.length ?? 0;
      const kept = rejects.filter((r, i) => i >= given || !setAside.get(r.table)?.has(r.messageId));
      rejects.length = 0;
      for (const r of kept) rejects.push(r);
    }
    if (rejects.length > 0) {
      internal(REJECTS_TABLE, REJECTS_COLUMNS);
      const now = new Date().toISOString();
      // Where text cannot hold U+0000, the quarantine keeps it visible as the six characters
      // `\u0000`; half of a character (a lone surrogate), which no warehouse holds, as `\ud800`.
      const escapeNul = this.capabilities.textHoldsNul ? (v: string) => v : (v: string) => v.replaceAll('\u0000', '\\u0000');
      const text = (v: string) => escapeNul(escapeLoneSurrogates(v));
      const max = this.capabilities.maxStringBytes;
      const rows: Row[] = rejects.flatMap((r) =>
        rejectParts(text(r.value), r.reason, max).map(({ value, reason }) => ({ id: fittedId(text(r.messageId), max), table_name: r.table, column_name: r.column, value, reason, sync_id: batch.ledger?.syncId ?? batch.syncId ?? null, rejected_at: now })),
      );
      prepared.rejects = await this.driver.writeLoadFile(REJECTS_COLUMNS, rows);
      prepared.rejectValues = rejects.length;
    }
    return prepared;
  }

  /**
   * The keys of the copies of loaded calls among the rows that shape the table in `plan` (a
   * value for a column it adds or widens: few rows, most batches add no column), looked for once
   * the sync's earlier batches are in; undefined where there are none. Only where tables have key
   * indexes (an index probe per key) and the key column is plain text: a user's `uuid` key
   * compares in its own type, and would refuse a message id that is not one in the look, where
   * the insert sets such a call apart. A look that fails (but for a busy warehouse) leaves the
   * plan as it is, and says so.
   */
  private async shapingCopies(schema: string, tableBatch: TableBatch, rows: ReadonlyArray<Record<string, unknown>>, plan: TablePlan, copies: CopiesLook, prepared: PreparedBatch): Promise<Set<string> | undefined> {
    const shaping = shapingKeys(plan, rows, tableBatch.key);
    if (shaping.length === 0) return undefined;
    await copies.earlierApplied();
    try {
      const held = await this.heldKeys(schema, tableBatch.table, tableBatch.key, shaping);
      return held.size > 0 ? held : undefined;
    } catch (error) {
      if (this.busyError(error)) throw error;
      (prepared.notices ??= []).push(`the look for copies of loaded calls among the rows that add or widen a column of ${tableBatch.table} failed (${(error as Error).message}); the batch was planned with them, and a copy's new keys may have added empty columns`);
      return undefined;
    }
  }

  /** Whether a batch's copies can be looked for in a table by its key (`shapingCopies`). */
  private copiesLookable(existing: readonly Column[], key: string): boolean {
    const keyColumn = existing.find((c) => c.name === key);
    return this.capabilities.keyIndexes && keyColumn?.type === 'string' && keyColumn.bounds === undefined;
  }

  /**
   * Which of `keys` the table holds (as the warehouse compares them), each as given: the
   * column's own spelling of a key may differ from the caller's.
   */
  private async heldKeys(schema: string, table: string, column: string, keys: readonly string[]): Promise<Set<string>> {
    const compare = this.dialect.keyForComparison ?? ((key: string) => key);
    const q = (name: string) => this.dialect.quote(name);
    const held = new Set<string>();
    for (let i = 0; i < keys.length; i += KEYS_PER_LOOK) {
      const lot = keys.slice(i, i + KEYS_PER_LOOK);
      const given = lot.map((_, j) => `(${this.dialect.param(j + 1)})`).join(', ');
      const rows = await this.driver.query<{ k: unknown }>(`SELECT g.${q('k')} FROM (VALUES ${given}) AS g(${q('k')}) WHERE EXISTS (SELECT 1 FROM ${this.sql.table(schema, table)} t WHERE t.${q(column)} = g.${q('k')})`, lot);
      for (const row of rows) held.add(compare(String(row.k)));
    }
    return held;
  }

  /**
   * One look at the schema's tables for the keys a sync is about to load, instead of one per
   * batch (see `SyncKeys`): the keys are staged once, and the tables keyed on `column` (but those
   * of `skip`, and Stowage's own) are read once, together, for the keys they hold; the keys that
   * come more than once are found in the staged keys. Undefined, and nothing looked at, when there
   * are no more than `minKeys` keys (one batch, whose own look costs the same), or when the
   * answers hold over `maxFound` keys (a sync that replays what is loaded already): its batches
   * then look for themselves.
   *
   * The answers are the staged spellings, matched by the warehouse's own equality (Redshift's
   * ignores trailing blanks, and may ignore case), so that the client sorts each row as the
   * warehouse would compare its key.
   */
  async lookUpKeys(schema: string, column: string, keys: AsyncIterable<string[]> | Iterable<string[]>, options: { minKeys: number; skip: ReadonlySet<string>; maxFound?: number }): Promise<SyncKeys | undefined> {
    const keyColumns: Column[] = [{ name: column, type: 'string' }];
    const stages: string[] = [];
    let pending: string[] = [];
    let count = 0;
    // A key longer than the column holds is quarantined, and its row loaded without one: no look needed.
    const max = this.capabilities.maxStringBytes;
    const storable = (key: string) => key.length * 3 <= max || Buffer.byteLength(key) <= max;
    const stageKeys = async (lot: string[]) => {
      const file = await this.driver.writeLoadFile(keyColumns, lot.filter(storable).map((key) => ({ [column]: key })));
      stages.push(await this.driver.stage(`${INTERNAL_PREFIX}sync_keys_${stages.length}`, file, { readOnce: false, keys: [column] }));
    };
    try {
      for await (const lot of keys) {
        count += lot.length;
        if (count <= options.minKeys) {
          for (const key of lot) pending.push(key);
          continue;
        }
        if (pending.length > 0) await stageKeys(pending);
        pending = [];
        await stageKeys(lot);
      }
      if (stages.length === 0) return undefined;
      const tables = await this.keyedTables(schema, column, options.skip);
      if (!tables) return undefined;
      return await this.lookUp(schema, column, tables, stages, options.maxFound ?? MAX_FOUND_KEYS);
    } finally {
      for (const stage of stages) await this.driver.dropStage(stage).catch(() => undefined);
    }
  }

  /** The statements of `lookUpKeys`, once its keys are staged. */
  private async lookUp(schema: string, column: string, tables: readonly string[], stages: readonly string[], maxFound: number): Promise<SyncKeys | undefined> {
    const q = (name: string) => this.dialect.quote(name);
    const id = q(column);
    const staged = `(${stages.map((stage) => `SELECT ${id} FROM ${stage}`).join(' UNION ALL ')})`;
    // Every key found is held in memory until the sync ends: all the answers share one bound.
    let room = maxFound;
    const found = async <T extends Record<string, unknown>>(sql: string): Promise<T[] | undefined> => {
      const rows = await this.driver.query<T>(`${sql} LIMIT ${room + 1}`);
      room -= rows.length;
      return room < 0 ? undefined : rows;
    };
    // Keys that come more than once: each group's spellings, and one of them to stand for it.
    const repeated = new Map<string, string>();
    const firsts = await found<{ first: unknown }>(`SELECT min(k.${id}) AS ${q('first')} FROM ${staged} k GROUP BY k.${id} HAVING count(*) > 1`);
    if (!firsts) return undefined;
    if (firsts.length > 0) {
      const spellings = await found<{ spelling: unknown; first: unknown }>(
        `SELECT DISTINCT k.${id} AS ${q('spelling')}, g.${q('first')} FROM ${staged} k JOIN (SELECT min(${id}) AS ${q('first')} FROM ${staged} s GROUP BY ${id} HAVING count(*) > 1) g ON k.${id} = g.${q('first')}`,
      );
      if (!spellings) return undefined;
      for (const row of spellings) repeated.set(String(row.spelling), String(row.first));
    }
    // The tables together, a hundred to a statement: one pass over each table's keys, and over the staged keys per statement.
    const held = new Map<string, Set<string>>();
    for (let i = 0; i < tables.length; i += TABLES_PER_LOOK) {
      const keyed = tables
        .slice(i, i + TABLES_PER_LOOK)
        .map((table) => `SELECT ${this.sql.text(table)} AS ${q('table_name')}, ${id} FROM ${this.sql.table(schema, table)}`)
        .join(' UNION ALL ');
      const rows = await found<{ table_name: string; key: unknown }>(`SELECT DISTINCT t.${q('table_name')}, k.${id} AS ${q('key')} FROM ${staged} k JOIN (${keyed}) t ON t.${id} = k.${id}`);
      if (!rows) return undefined;
      for (const row of rows) {
        let ids = held.get(row.table_name);
        if (!ids) held.set(row.table_name, (ids = new Set()));
        ids.add(String(row.key));
      }
    }
    return new SyncKeys(column, held, repeated);
  }

  /**
   * The tables `lookUpKeys` reads: those with the column `column`, but those of `skip` and
   * Stowage's own. Undefined when one holds it as other than text (a table made elsewhere): its
   * keys, compared as text, could miss a key it holds, so its batches must look for themselves.
   */
  private async keyedTables(schema: string, column: string, skip: ReadonlySet<string>): Promise<string[] | undefined> {
    const tables: string[] = [];
    for (const [table, columns] of await this.tables(schema)) {
      if (skip.has(table) || table.startsWith(INTERNAL_PREFIX)) continue;
      const key = columns.find((c) => c.name === column);
      if (key && (key.type !== 'string' || key.bounds !== undefined)) return undefined;
      if (key) tables.push(table);
    }
    return tables;
  }

  /** Whether every table `lookUpKeys` would read holds the key as text (the catalog alone says so). */
  async keysAreText(schema: string, column: string, skip: ReadonlySet<string>): Promise<boolean> {
    return (await this.keyedTables(schema, column, skip)) !== undefined;
  }

  /**
   * The hashes (`keyHash`) of every key the tables `lookUpKeys` reads hold, a pass at a time, the
   * passes in ascending ranges: what the loaded-keys index is rebuilt from. Undefined when a table holds the
   * key as other than text.
   */
  async keyHashes(schema: string, column: string, skip: ReadonlySet<string>): Promise<AsyncGenerator<BigUint64Array> | undefined> {
    const tables = await this.keyedTables(schema, column, skip);
    return tables && keyHashes(this.driver, this.dialect, this.sql, schema, tables, column);
  }

  /**
   * The rows of the tables `lookUpKeys` would read: what a look per batch would read each time.
   * Undefined when a table holds the key as other than text (its batches look for themselves).
   */
  async keyedRows(schema: string, column: string, skip: ReadonlySet<string>): Promise<number | undefined> {
    const tables = await this.keyedTables(schema, column, skip);
    if (!tables) return undefined;
    const n = this.dialect.quote('n');
    let rows = 0;
    for (let i = 0; i < tables.length; i += TABLES_PER_LOOK) {
      const counts = tables.slice(i, i + TABLES_PER_LOOK).map((table) => `SELECT count(*) AS ${n} FROM ${this.sql.table(schema, table)}`);
      const [row] = await this.driver.query<{ n: number | string }>(`SELECT sum(c.${n}) AS ${n} FROM (${counts.join(' UNION ALL ')}) c`);
      rows += Number(row?.n ?? 0);
    }
    return rows;
  }

  /**
   * Whether any table `lookUpKeys` would read holds a row: one row looked at per table, not a
   * count (tables of a user's history, made before Stowage, can hold hundreds of millions).
   * Undefined when a table holds the key as other than text.
   */
  async holdsKeyedRows(schema: string, column: string, skip: ReadonlySet<string>): Promise<boolean | undefined> {
    const tables = await this.keyedTables(schema, column, skip);
    if (!tables) return undefined;
    const [n, one] = [this.dialect.quote('n'), this.dialect.quote('one')];
    for (let i = 0; i < tables.length; i += TABLES_PER_LOOK) {
      const looks = tables.slice(i, i + TABLES_PER_LOOK).map((table, j) => `SELECT ${one} FROM (SELECT 1 AS ${one} FROM ${this.sql.table(schema, table)} LIMIT 1) ${this.dialect.quote(`t${j}`)}`);
      const [row] = await this.driver.query<{ n: number | string }>(`SELECT count(*) AS ${n} FROM (${looks.join(' UNION ALL ')}) c`);
      if (Number(row?.n ?? 0) > 0) return true;
    }
    return false;
  }
  /**
   * Whether a batch's error is one a row's data caused (`Driver.rowError`: a constraint of the
   * user's, a value no cast foresaw): such a batch can be written in parts, the refused rows set
   * apart. Any other error is the warehouse's.
   */
  rowError(error: unknown): boolean {
    return this.driver.rowError?.(error) ?? false;
  }

  /** Whether a batch's error says the warehouse was busy with other sessions' work (`Driver.busyError`): worth trying again. */
  busyError(error: unknown): boolean {
    return this.driver.busyError?.(error) ?? false;
  }

  /** Whether the warehouse answers a trivial statement: after a failed batch, tells a refusal from an outage. */
  async answers(): Promise<boolean> {
    try {
      await this.driver.execute('SELECT 1');
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Forgets what it believes of the warehouse's schemas, to read them again at the next batch:
   * batches prepared ahead of one that failed planned for its DDL, which rolled back.
   */
  forgetCatalog(): void {
    this.catalog.clear();
    this.claims?.forget();
    this.bigIntegers?.forgetMade();
  }

  /** Warehouse work: one transaction per batch where the warehouse has them. */
  apply(prepared: PreparedBatch): Promise<WriteResult> {
    const applied = this.applyNow(prepared);
    this.applying = applied.catch(() => undefined);
    return applied;
  }

  private async applyNow(prepared: PreparedBatch): Promise<WriteResult> {
    try {
      // Not `withDdl`: a batch's turn (`serializeWrites`) comes before its DDL in a transaction.
      // Once: a batch applied again (a busy warehouse's retry) finds its DDL there.
      if (!this.capabilities.transactionalDdl && !prepared.ddlNotices) {
        const notices: string[] = [];
        await this.applyDdl(prepared, notices);
        prepared.ddlNotices = notices;
      }
      const result = await this.driver.transaction(() => this.applyInTransaction(prepared));
      failpoint('writer:after-commit');
      return result;
    } catch (error) {
      // The DDL rolled back with the data: what we believed about the schema no longer holds.
      this.forgetCatalog();
      // Or, where DDL is not transactional, it stands: a widening the write made is told with
      // the failure, not with the batch applied again (which finds it made, and says nothing).
      if (prepared.ddlNotices && prepared.ddlNotices.length > 0) {
        this.stoodNotices.push(...prepared.ddlNotices);
        prepared.ddlNotices = [];
      }
      throw error;
    }
  }

  /** The notices of DDL that stood though its write failed (`transactionalDdl` false), each given once. */
  takeStoodNotices(): string[] {
    const notices = this.stoodNotices;
    this.stoodNotices = [];
    return notices;
  }

  private async applyInTransaction(prepared: PreparedBatch): Promise<WriteResult> {
    const { schema } = prepared;
    const result: WriteResult = { rows: {}, duplicates: prepared.duplicates, casts: prepared.casts, rejects: 0, notices: [...(prepared.notices ?? []), ...(prepared.ddlNotices ?? [])] };
    if (prepared.shared && this.driver.serializeWrites) {
      // First of all: a statement before it (an internal table's CREATE INDEX IF NOT EXISTS) takes
      // locks of its own, which the session holding the turn may then wait for, while this one waits for the turn.
      const looked = prepared.tables.filter((t) => t.file && !t.checked).map((t) => t.change.table);
      if (prepared.rejects) looked.push(REJECTS_TABLE);
      // Its DDL applied before the transaction (`withDdl`), every table it writes exists by now:
      // another writer's CREATE of a new one was not refused, so the new one is locked too.
      const exists = prepared.ddlNotices ? () => true : (table: string) => prepared.known?.has(table) ?? false;
      if (looked.length > 0) await this.driver.serializeWrites(schema, looked.sort(), exists);
    }
    if (!prepared.ddlNotices) await this.applyDdl(prepared, result.notices);
    const stages = new Map<string, string>();
    // A table that feeds a latest-value table is read again to mark its keys; the others only by their insert.
    const readAgain = new Set(prepared.dirty.map((spec) => spec.source));

    for (const table of prepared.tables) {
      await this.applyTable(schema, table, result, readAgain, stages).catch((error: unknown) => {
        throw onTable(error, schema, table.change.table);
      });
    }

    // Marked as they come, without looking for an earlier mark of the same key: the refresh
    // takes each key once, and probing the marks for every batch cost more than the marks.
    if (!this.loadsDirectly()) await this.markFromStages(schema, prepared.dirty, stages);
    else if (prepared.marks) await this.driver.loadInto!(schema, DIRTY_TABLE, prepared.marks);

    if (prepared.rejects) {
      // Counted in values, not rows. A replayed batch finds its rejects there (none inserted); a
      // value's parts go in together, keyed as one.
      const rows = prepared.rejects.rows;
      const inserted = await this.quarantine(schema, prepared.rejects);
      result.rejects = inserted >= rows ? (prepared.rejectValues ?? inserted) : Math.min(inserted, prepared.rejectValues ?? inserted);
    }
    if (prepared.ledger) await this.commitLedger(schema, prepared.ledger);
    for (const stage of stages.values()) await this.driver.dropStage(stage);
    failpoint('writer:before-commit');
    return result;
  }

  /** A batch's DDL: its schema, Stowage's own tables, then each table's. */
  private async applyDdl(prepared: PreparedBatch, notices: string[]): Promise<void> {
    const { schema } = prepared;
    // Asked first: PostgreSQL and Redshift check CREATE on the database before IF NOT EXISTS, so a
    // user granted a schema made for it, and nothing more, would fail every sync on its CREATE.
    if (prepared.createSchema && !(await this.driver.schemaExists(schema))) await this.driver.execute(this.sql.createSchema(schema));
    for (const [table, columns] of prepared.internalTables) await this.createInternalTable(schema, table, columns);
    for (const [table, column] of prepared.internalColumns) await this.driver.execute(this.sql.addColumn(schema, table, column));
    for (const { change, key } of prepared.tables) {
      await this.applyChange(schema, change, notices, [key]).catch((error: unknown) => {
        throw onTable(error, schema, change.table);
      });
    }
  }

  /** One table of a batch: its rows, straight in or through a stage (its DDL applied before: `applyDdl`). */
  private async applyTable(schema: string, { change, key, file, within, keys, checked }: PreparedBatch['tables'][number], result: WriteResult, readAgain: ReadonlySet<string>, stages: Map<string, string>): Promise<void> {
    if (!file) return;
    if (checked && this.loadsDirectly()) {
      // Every row is new (the sync's look at its keys, or its own): straight in, no look at the table.
      await this.driver.loadInto!(schema, change.table, file);
      failpoint('writer:after-stage');
      result.rows[change.table] = file.rows;
      return;
    }
    if (checked) {
      // Every row is new (the sync's look at its keys): no look at the table.
      const stage = await this.driver.stage(`_stowage_stage_${change.table}`, file, { readOnce: !readAgain.has(change.table), keys: [key], into: { schema, table: change.table } });
      stages.set(change.table, stage);
      failpoint('writer:after-stage');
      result.rows[change.table] = await this.driver.execute(this.sql.insertAll(schema, change.table, stage, file.columns));
      return;
    }
    // Most batches bring only new keys: then the rows go straight in, without a stage.
    if (keys && !(await this.driver.holdsAnyKey!(schema, change.table, key, keys))) {
      await this.driver.loadInto!(schema, change.table, file);
      failpoint('writer:after-stage');
      result.rows[change.table] = file.rows;
      return;
    }
    const stage = await this.driver.stage(`_stowage_stage_${change.table}`, file, { readOnce: !readAgain.has(change.table), keys: [key], into: { schema, table: change.table } });
    stages.set(change.table, stage);
    failpoint('writer:after-stage');
    const inserted = await this.driver.execute(this.sql.insertNew(schema, change.table, stage, file.columns, [key], within), within ? within.spans.flatMap((span) => [span.from, span.to]) : []);
    result.rows[change.table] = inserted;
    result.duplicates += file.rows - inserted;
  }

  /** Whether this driver loads a batch straight into its tables when none of its keys is there yet. */
  private loadsDirectly(): boolean {
    return this.driver.loadInto !== undefined && this.driver.holdsAnyKey !== undefined;
  }

  /** The keys of the latest-value tables, read from their sources' stages. */
  private async markFromStages(schema: string, dirty: readonly LatestValueTable[], stages: ReadonlyMap<string, string>): Promise<void> {
    const q = (name: string) => this.dialect.quote(name);
    for (const spec of dirty) {
      const stage = stages.get(spec.source);
      if (!stage) continue;
      await this.driver.execute(
        `INSERT INTO ${this.sql.table(schema, DIRTY_TABLE)} (${q('table_name')}, ${q('key')}) ` +
          `SELECT DISTINCT ${this.dialect.param(1)}, s.${q(spec.sourceKey)} FROM ${stage} s WHERE s.${q(spec.sourceKey)} IS NOT NULL`,
        [spec.table],
      );
    }
  }

  private async createInternalTable(schema: string, table: string, columns: Column[]): Promise<void> {
    await this.driver.execute(this.sql.createTable(schema, table, columns));
    const key = INTERNAL_KEYS[table];
    if (key && this.capabilities.keyIndexes) await this.driver.execute(this.sql.createKeyIndex(schema, table, key));
  }

  private async applyChange(schema: string, change: TableChange, notices: string[], key: readonly string[]): Promise<void> {
    if (!change.exists) {
      if (change.columns.length === 0) return;
      await this.driver.execute(this.sql.createTable(schema, change.table, change.columns));
      if (!this.capabilities.transactionalDdl) this.createdApart.add(`${schema}\u0000${change.table}`);
      if (this.capabilities.keyIndexes) await this.driver.execute(this.sql.createKeyIndex(schema, change.table, key));
      return;
    }
    // Where DDL is not transactional, each statement stands once it ran, whatever fails after it:
    // taken off the change, so that the change applied again (the users refresh tried again after
    // a busy warehouse, its DDL half applied) neither adds a column twice nor says a widening twice.
    const apart = !this.capabilities.transactionalDdl;
    for (const column of [...change.added]) {
      await this.driver.execute(this.sql.addColumn(schema, change.table, column));
      if (apart) change.added.splice(change.added.indexOf(column), 1);
    }
    for (const w of [...change.widened]) {
      await this.driver.execute(this.sql.widenColumn(schema, change.table, w.column, w.to));
      notices.push(`${change.table}.${w.column} widened from ${w.from} to ${w.to}`);
      if (apart) change.widened.splice(change.widened.indexOf(w), 1);
    }
    for (const p of change.pinned ?? []) {
      const remedy = p.held === 'depends' ? ` (to widen it, drop what depends on it, ALTER the column to ${this.dialect.physicalType(p.to)}, and create it again)` : '';
      notices.push(`${change.table}.${p.column} stays ${p.from}: ${p.why}, so values that need ${p.to} are quarantined${remedy}`);
    }
  }

  /**
   * Recomputes the rows of latest-value tables for the keys the sync's batches marked
   * (`LatestRefresh`); returns the rows each table gained. Runs after the batches of a sync, and
   * again after a sync killed before it could (the marks are still there).
   */
  async refreshLatest(schema: string, specs: readonly LatestValueTable[], syncId = '', whenBusy?: (error: unknown) => Promise<boolean>, out: LatestRefreshCounts = { rows: {}, rejects: 0, notices: [] }, committed?: () => void): Promise<LatestRefreshCounts> {
    // A table at a time, so that an error names the table it failed on (a view in place of users).
    for (const spec of specs) {
      await this.latest.refresh(schema, [spec], syncId, whenBusy, out, committed).catch((error: unknown) => {
        throw onTable(error, schema, spec.table);
      });
    }
    return out;
  }

  private async quarantine(schema: string, file: LoadFile): Promise<number> {
    const stage = await this.driver.stage('_stowage_stage_rejects', file, { readOnce: true, keys: ['id'], into: { schema, table: REJECTS_TABLE } });
    // One row per value however often it is set apart: a replayed batch finds its rejects there,
    // and so does a run sent again under another id (its reason names that run), or a call
    // ingested again and refused again (its sync is Partial all the same: `writeRefusedBatch`).
    const inserted = await this.driver.execute(this.sql.insertNew(schema, REJECTS_TABLE, stage, REJECTS_COLUMNS, ['id', 'table_name', 'column_name']));
    await this.driver.dropStage(stage);
    return inserted;
  }

  private async commitLedger(schema: string, ledger: NonNullable<WriteBatch['ledger']>): Promise<void> {
    const values = [ledger.stream, ledger.end.segment, ledger.end.offset, ledger.calls, ledger.syncId, new Date().toISOString(), ledger.lastId === undefined ? null : ledgerId(ledger.lastId)];
    await this.driver.execute(
      `INSERT INTO ${this.sql.table(schema, LEDGER_TABLE)} (${LEDGER_COLUMNS.map((c) => this.dialect.quote(c.name)).join(', ')}) VALUES (${values.map((_, i) => this.dialect.param(i + 1)).join(', ')})`,
      values,
    );
  }
}

/**
 * The rows' keys, for the look for keys already loaded; undefined where the key is not text (a
 * message id always is), so that the stage's insert decides. A null key matches nothing either way.
 */
/**
 * The keys of the rows that shape the table in `plan`: a value for a column it adds (whose type
 * the first such value decides) or widens. A copy's value the plan quarantines shapes nothing:
 * looking for those would hold up every batch of a stream that keeps sending a value its column
 * refuses.
 */
function shapingKeys(plan: TablePlan, rows: ReadonlyArray<Record<string, unknown>>, key: string): string[] {
  const columns = [...plan.added.map((c) => c.name), ...plan.widened.map((w) => w.column)];
  if (columns.length === 0) return [];
  const keys = new Set<string>();
  for (const row of rows) {
    const k = row[key];
    if (typeof k === 'string' && columns.some((c) => row[c] !== undefined && row[c] !== null)) keys.add(k);
  }
  return [...keys];
}

function stringKeys(rows: ReadonlyArray<Record<string, unknown>>, key: string, columns: readonly Column[]): string[] | undefined {
  const column = columns.find((c) => c.name === key);
  // A key column of another type read as text (a user's `uuid`) is compared in its own type, by the stage's insert.
  if (rows.length === 0 || column?.type !== 'string' || column.bounds !== undefined) return undefined;
  const keys: string[] = [];
  for (const row of rows) {
    const value = row[key];
    if (typeof value === 'string') keys.push(value);
    else if (value !== null && value !== undefined) return undefined;
  }
  return keys;
}

/** The marks of a latest-value table for its source's rows: each non-null key once. */
function markKeys(marks: Row[], spec: LatestValueTable, rows: ReadonlyArray<Record<string, unknown>>): void {
  const seen = new Set<string>();
  for (const row of rows) {
    const value = row[spec.sourceKey];
    if (value === null || value === undefined) continue;
    const key = String(value);
    if (seen.has(key)) continue;
    seen.add(key);
    marks.push({ table_name: spec.table, key });
  }
}

/** Keeps the first row of each key within a batch; later copies are duplicates, counted. */
function dedupe(rows: ReadonlyArray<Record<string, unknown>>, key: string, comparable?: (key: string) => string): { rows: Array<Record<string, unknown>>; duplicates: number } {
  const seen = new Set<unknown>();
  const out: Array<Record<string, unknown>> = [];
  for (const row of rows) {
    const id = comparable && typeof row[key] === 'string' ? comparable(row[key]) : row[key];
    if (seen.has(id)) continue;
    seen.add(id);
    out.push(row);
  }
  return { rows: out, duplicates: rows.length - out.length };
}
