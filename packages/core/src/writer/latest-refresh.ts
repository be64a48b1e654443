import { withDdl } from './ddl-apart.js';
import type { Capabilities } from '../contract/capabilities.js';
import type { Dialect } from '../contract/dialect.js';
import type { Driver } from '../contract/driver.js';
import type { Column, LogicalType } from '../contract/logical-type.js';
import { canWidenInPlace, mostValuesWithin, type TableChange } from '../schema/plan.js';
import { failpoint } from '../testing/failpoint.js';
import { holdsEveryValueOf } from '../types/index.js';
import { DIRTY_COLUMNS, DIRTY_TABLE, REJECTS_COLUMNS, REJECTS_TABLE } from './internal-tables.js';
import { MOST_SPLIT_WRITES, splitFailedWrite, type SplitWriter } from './split-failed-write.js';
import { refusalReason } from './refusal-reason.js';
import type { Statements } from './sql.js';
import { addCount } from '../history/table-counts.js';

/**
 * A table that holds, per key, the latest non-null value of each column of a source table
 * (the `users` table over `identifies`). Each batch marks the keys it touches; `refreshLatest`
 * recomputes them from the source once the sync's batches are in, so a late, older call never
 * overwrites a newer value, and the source is scanned once per sync rather than once per batch.
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

/**
 * Keys recomputed per transaction by `refreshLatest`: bounds the aggregate's memory. Each slice
 * reads the source table through once, so a sync's refresh costs about its number of slices
 * times a scan of `identifies`: 50,000 keys a slice took four scans for the 165,000 users of a
 * 1,000,000-call sync (DuckDB 2.8 s, PostgreSQL 8.3 s), 250,000 takes one (1.7 s, 6.5 s).
 */
const REFRESH_SLICE = 250_000;

/** The temporary table a slice's latest rows are computed into, where the dialect makes one (`Dialect.temporaryTableAs`). */
const LATEST_ROWS = '_stowage_latest_rows';
/** A latest-value table's values a recompute does not fill, set aside while its rows are rewritten. */
const KEPT_PREFIX = '_stowage_kept_';

/**
 * Whether a key column takes the marks (`_stowage_dirty.key`, text) only cast to its own type: a
 * column of another type, or one read as text that is not text (a `uuid`, DuckDB's `UBIGINT` or
 * `HUGEINT`: bounds other than a length), as a table of the user's may have (`identifies` made
 * with a `bigint` or `uuid` user_id). Compared as they are, every refresh failed (`text = bigint`;
 * DuckDB: cannot compare HUGEINT and VARCHAR); compared as text, a mark as sent (`A0EEBC99-…`)
 * missed the column's own spelling.
 */
function takesMarksCast(column: Column | undefined): column is Column {
  return column !== undefined && (column.type !== 'string' || (column.bounds !== undefined && column.bounds.maxLength === undefined));
}

/** A source column a latest-value table carries; `castTo`, the table's own type where it differs (and holds every value). */
type CarriedColumn = Column & { castTo?: LogicalType };

/** A latest-value table made ready for its recompute: its DDL and the columns it carries. */
interface PreparedLatest {
  spec: LatestValueTable;
  change: TableChange;
  keyType: LogicalType;
  carried: CarriedColumn[];
  maxColumns: string[];
  /** The `orderBy` columns of text: compared by code point, whatever the warehouse's collation (`Dialect.codePointOrder`). */
  textOrder: ReadonlySet<string>;
  /** Wide enough for a row to be over the warehouse's row limit, which must then not fail the others. */
  mayBeTooBig: boolean;
  /** The source's key column, and the table's first, as they take the marks (`takesMarksCast`). */
  sourceKey: Column | undefined;
  targetKey: Column | undefined;
}

/**
 * What a refresh committed: rows each table gained, values quarantined, notices. The caller may
 * hand its own in, to read what the slices committed before one failed.
 */
export interface LatestRefreshCounts {
  rows: Record<string, number>;
  rejects: number;
  notices: string[];
}

/** A refresh of one latest-value table, as its slices and their parts share it. */
interface RefreshSlice {
  schema: string;
  tables: Map<string, Column[]>;
  latest: PreparedLatest;
  /** The marks of this table: `<dirty> WHERE table_name = '<table>'`. */
  marks: string;
  syncId: string;
  /** Whether the table's DDL is still to apply (it rolls back with a failed transaction). */
  ddl: boolean;
  out: LatestRefreshCounts;
  /** Told after each transaction of the refresh commits, its counts in `out`. */
  committed?: () => void;
}

/** What a refresh needs of the table writer that owns it: its catalog, its DDL, its reading of errors. */
export interface RefreshHost {
  readonly driver: Driver;
  readonly dialect: Dialect;
  readonly capabilities: Capabilities;
  readonly sql: Statements;
  /** The schema's tables, as they will be after every batch prepared so far. */
  tables(schema: string): Promise<Map<string, Column[]>>;
  /** Whether the table was in the schema when the writer first read it (not made by its own batches). */
  foundAtFirstRead(schema: string, table: string): boolean;
  /** The table's columns whose type must not change, with why (`Driver.pinnedColumns`). */
  pinnedOf(schema: string, table: string): ReadonlyMap<string, string> | undefined;
  /** Forgets the catalog, to read it again: a failed transaction rolled its DDL back. */
  forgetTables(): void;
  applyChange(schema: string, change: TableChange, notices: string[], key: readonly string[]): Promise<void>;
  createInternalTable(schema: string, table: string, columns: Column[]): Promise<void>;
  busyError(error: unknown): boolean;
  rowError(error: unknown): boolean;
  answers(): Promise<boolean>;
}

/**
 * The refresh of latest-value tables (`users`) once a sync's batches are in: the keys the batches
 * marked recomputed from the source, a slice of keys a transaction.
 */
export class LatestRefresh {
  private readonly driver: Driver;
  private readonly dialect: Dialect;
  private readonly capabilities: Capabilities;
  private readonly sql: Statements;

  constructor(
    private readonly host: RefreshHost,
    /** Keys recomputed per transaction (tests make it small, to cross slices). */
    private readonly slice = REFRESH_SLICE,
  ) {
    ({ driver: this.driver, dialect: this.dialect, capabilities: this.capabilities, sql: this.sql } = host);
  }

  /**
   * The latest-value table's columns: its source's, each with the source's type. A column of the
   * table whose type differs from its source column's (changed by hand on either side, or a
   * column of the user's named like a trait) is widened to it only where that is a widening the
   * warehouse makes in place and nothing depends on the column; else it keeps its type, and takes
   * the source's values cast to it where that writes them as Stowage would (`holdsEveryValueOf`:
   * text takes integers), or else is left as it is, not refreshed, and a notice says why. Converting it
   * instead could fail on values the refresh never touches (every sync after), or narrow it.
   */
  private prepare(schema: string, tables: Map<string, Column[]>, spec: LatestValueTable, notices: string[]): PreparedLatest {
    const source = tables.get(spec.source) ?? [];
    const sourceTypes = new Map(source.map((c) => [c.name, c.type]));
    const keyType = sourceTypes.get(spec.sourceKey) ?? 'string';
    const maxColumns = spec.maxColumns.filter((c) => sourceTypes.has(c));
    const existing = tables.get(spec.table);
    const have = new Map((existing ?? []).map((c) => [c.name, c.type]));
    const pins = this.host.pinnedOf(schema, spec.table);
    const carried: CarriedColumn[] = [];
    const widened: TableChange['widened'] = [];
    for (const c of source) {
      if (spec.excluded(c.name) || spec.keyColumns.includes(c.name)) continue;
      const own = have.get(c.name);
      if (own === undefined || own === c.type) {
        carried.push(c);
      } else if (canWidenInPlace(this.capabilities, own, c.type) && !pins?.has(c.name)) {
        widened.push({ column: c.name, from: own, to: c.type });
        carried.push(c);
      } else if (holdsEveryValueOf(own, c.type)) {
        carried.push({ ...c, castTo: own });
        notices.push(`${spec.table}.${c.name} is ${own} where ${spec.source}.${c.name} is ${c.type}: its values are carried as ${own}`);
      } else {
        const why = pins?.get(c.name);
        notices.push(
          `${spec.table}.${c.name} is ${own} where ${spec.source}.${c.name} is ${c.type}, whose values it cannot all hold${why ? ` (and ${why})` : ''}: it is left as it is, not refreshed; ` +
            `give the two columns one type (ALTER one of them), or disable the column in ${spec.table}`,
        );
      }
    }
    const wanted: Column[] = [...spec.keyColumns.map((name) => ({ name, type: keyType })), ...maxColumns.map((name) => ({ name, type: sourceTypes.get(name)! })), ...carried.map(({ name, type }) => ({ name, type }))];
    const added = wanted.filter((c) => !have.has(c.name));
    const widenedTo = new Map(widened.map((w) => [w.column, w.to]));
    const change: TableChange = {
      table: spec.table,
      exists: existing !== undefined,
      columns: [...(existing ?? []).map((c) => ({ ...c, type: widenedTo.get(c.name) ?? c.type })), ...added],
      added,
      widened,
    };
    tables.set(spec.table, change.columns);
    const mayBeTooBig = this.dialect.insertQuarantiningTooBig !== undefined && change.columns.length > mostValuesWithin(this.capabilities.rowLimit);
    const textOrder = new Set(spec.orderBy.filter((c) => sourceTypes.get(c) === 'string'));
    const sourceKey = source.find((c) => c.name === spec.sourceKey);
    const targetKey = change.columns.find((c) => c.name === spec.keyColumns[0]);
    return { spec, change, keyType, carried, maxColumns, textOrder, mayBeTooBig, sourceKey, targetKey };
  }

  /**
   * `<column> IN (<keys>)`, the marked keys cast to the column's own type where it takes them so
   * (`takesMarksCast`). A mark is the key as sent (`A0EEBC99-…`): for the table, whose key was
   * written from the source's, it goes through the source's type first, whose spelling that is.
   */
  private inKeys(name: string, column: Column | undefined, keys: string, source?: Column): string {
    const q = (s: string) => this.dialect.quote(s);
    if (!takesMarksCast(column) && !takesMarksCast(source)) return `${q(name)} IN (${keys})`;
    const type = (c: Column) => c.bounds?.physical ?? this.dialect.physicalType(c.type);
    let key = `${q('m')}.${q('key')}`;
    if (takesMarksCast(source)) key = `CAST(${key} AS ${type(source)})`;
    key = `CAST(${key} AS ${takesMarksCast(column) ? type(column) : this.dialect.physicalType('string')})`;
    return `${q(name)} IN (SELECT ${key} FROM (${keys}) ${q('m')})`;
  }

  /**
   * Recomputes the rows of latest-value tables for the keys the sync's batches marked, in one
   * transaction that also clears the marks; returns the rows each table gained. Runs after the
   * batches of a sync, and again after a sync killed before it could (the marks are still there).
   */
  async refresh(
    schema: string,
    specs: readonly LatestValueTable[],
    syncId = '',
    whenBusy?: (error: unknown) => Promise<boolean>,
    out: LatestRefreshCounts = { rows: {}, rejects: 0, notices: [] },
    committed?: () => void,
  ): Promise<LatestRefreshCounts> {
    const tables = await this.host.tables(schema);
    const q = (name: string) => this.dialect.quote(name);
    for (const spec of specs) {
      // A source without its key column (a space whose identifies were all anonymous) has no key to recompute.
      if (!tables.get(spec.source)?.some((c) => c.name === spec.sourceKey)) continue;
      const lost = await this.whileBusy(whenBusy, () => this.markLostKeys(schema, tables, spec));
      if (lost > 0) out.notices.push(`${spec.table} was missing or empty while ${spec.source} held ${lost} keys this sync did not touch: rebuilt from every row of ${spec.source}`);
      if (!tables.has(DIRTY_TABLE)) continue;
      const latest = this.prepare(schema, tables, spec, out.notices);
      await this.whileBusy(whenBusy, async () => this.driver.ensureStatistics?.(schema, spec.source, [spec.sourceKey]));
      // In slices of keys, one transaction each: the aggregate of a slice is bounded however
      // many users a sync touched, and a slice committed is a slice the next sync need not redo.
      // A key marked by several batches is one key of one slice (and all its marks go with it).
      // When the keys left fit in one slice (most syncs), they are taken whole: no sort of the
      // marks to cut a slice, and no pass over the source for an empty slice after the last.
      const marks = `${this.sql.table(schema, DIRTY_TABLE)} WHERE ${q('table_name')} = ${this.dialect.literal(spec.table)}`;
      // Fewer keys a slice where the warehouse's aggregate holds every key's state for every
      // column in memory: 250,000 users of 300 trait columns ran DuckDB out of 2GB.
      const sliceKeys = Math.min(this.slice, this.driver.latestSliceKeys?.(latest.carried.length) ?? Infinity);
      const slice = `SELECT DISTINCT ${q('key')} FROM ${marks} ORDER BY ${q('key')} LIMIT ${sliceKeys}`;
      const refresh: RefreshSlice = { schema, tables, latest, marks, syncId, ddl: true, out, committed };
      for (let last = false, inSlice = 0; !last; ) {
        try {
          const recomputed = await this.inTransaction(refresh, slice, async (aside) => {
            // Not count(DISTINCT …), which PostgreSQL computes by sorting.
            const [left] = await this.driver.query<{ n: number | string }>(`SELECT count(*) AS ${q('n')} FROM (SELECT DISTINCT ${q('key')} FROM ${marks}) ${q('k')}`);
            const keys = Number(left?.n ?? 0);
            last = keys <= sliceKeys;
            inSlice = Math.min(keys, sliceKeys);
            if (keys === 0) return undefined;
            const result = await this.recomputeLatest(schema, latest, last ? `SELECT ${q('key')} FROM ${marks}` : slice, syncId, aside);
            await this.driver.execute(last ? `DELETE FROM ${marks}` : `DELETE FROM ${marks} AND ${q('key')} IN (${slice})`);
            failpoint('writer:before-refresh-commit');
            return result;
          });
          refresh.ddl = false;
          // Counted once committed; only where keys were recomputed: a sync that touched no user does not list `users` 0.
          if (recomputed) {
            addCount(out.rows, spec.table, recomputed.rows);
            out.rejects += recomputed.rejects;
            committed?.();
          }
        } catch (error) {
          this.host.forgetTables();
          // Another session's lock or conflict: the same slice again, after the caller's pause.
          if (whenBusy && this.host.busyError(error) && (await whenBusy(error))) {
            last = false;
            continue;
          }
          // One key whose row the warehouse refuses (a constraint of the user's on the table)
          // must not keep every other key of its slice from its row, at every sync.
          if (inSlice === 0 || !this.host.rowError(error) || !(await this.host.answers())) throw error;
          await this.refreshInParts(refresh, inSlice, error);
        }
      }
    }
    return out;
  }

  /** Work tried again while the warehouse is busy with another session's, as long as `whenBusy` says to. */
  private async whileBusy<T>(whenBusy: ((error: unknown) => Promise<boolean>) | undefined, work: () => Promise<T>): Promise<T> {
    for (;;) {
      try {
        return await work();
      } catch (error) {
        if (!whenBusy || !this.host.busyError(error) || !(await whenBusy(error))) throw error;
      }
    }
  }

  /**
   * A transaction of the refresh of `keys`, the table's DDL first in the first (`withDdl`: before
   * it, where DDL is not transactional; once, since it stands then whatever the transaction does).
   * There, the values the recompute keeps are also copied aside before it (`setAside`: a table
   * made is DDL), and that copy dropped after it, committed or not: `dml` is told it is made.
   */
  private async inTransaction<T>(refresh: RefreshSlice, keys: string, dml: (aside: boolean) => Promise<T>): Promise<T> {
    const apart = !this.capabilities.transactionalDdl;
    let aside = false;
    const ddl = async () => {
      if (refresh.ddl) {
        await this.applyLatestChange(refresh);
        if (apart) refresh.ddl = false;
      }
      // Not for a slice of no key (a refresh whose marks are all taken): a table made is costly DDL there.
      if (apart && (await this.driver.query(`SELECT 1 AS ${this.dialect.quote('one')} FROM ${refresh.marks} LIMIT 1`)).length > 0) aside = await this.setAside(refresh.schema, refresh.latest, keys);
    };
    try {
      return await withDdl(this.driver, !apart, ddl, () => dml(aside));
    } finally {
      if (aside) await this.driver.execute(`DROP TABLE IF EXISTS ${this.asideTable(refresh.schema, refresh.latest)}`).catch(() => undefined);
    }
  }

  /** The latest-value table's DDL, first in a refresh's first transaction (and the quarantine, where rows may be too big). */
  private async applyLatestChange({ schema, tables, latest, out }: RefreshSlice): Promise<void> {
    await this.host.applyChange(schema, latest.change, out.notices, latest.spec.keyColumns);
    if (latest.mayBeTooBig) await this.ensureRejectsTable(schema, tables);
  }

  private async ensureRejectsTable(schema: string, tables: Map<string, Column[]>): Promise<void> {
    if (tables.has(REJECTS_TABLE)) return;
    await this.host.createInternalTable(schema, REJECTS_TABLE, REJECTS_COLUMNS);
    tables.set(REJECTS_TABLE, [...REJECTS_COLUMNS]);
  }

  /**
   * A slice of the refresh that the warehouse failed on a row's data, recomputed again in parts
   * (`splitFailedWrite`), each "the first n keys left", in key order, one transaction each, until
   * each part is written or is one key whose row the warehouse refuses on its own. That key's mark
   * is cleared and the key quarantined (`column_name` and `value` empty, the warehouse's reason):
   * its row stays as it was, and is recomputed at its next call. More refusals than the split's
   * budget can sort fail the sync, the keys left still marked.
   */
  private async refreshInParts(refresh: RefreshSlice, keys: number, error: unknown): Promise<void> {
    const { schema, tables, latest, marks, syncId, out } = refresh;
    const q = (name: string) => this.dialect.quote(name);
    const first = (n: number) => `SELECT DISTINCT ${q('key')} FROM ${marks} ORDER BY ${q('key')} LIMIT ${n}`;
    const parts: SplitWriter<number> = {
      write: async (part) => {
        const recomputed = await this.inTransaction(refresh, first(part.length), async (aside) => {
          const result = await this.recomputeLatest(schema, latest, first(part.length), syncId, aside);
          await this.driver.execute(`DELETE FROM ${marks} AND ${q('key')} IN (${first(part.length)})`);
          failpoint('writer:before-refresh-commit');
          return result;
        });
        refresh.ddl = false;
        addCount(out.rows, latest.spec.table, recomputed.rows);
        out.rejects += recomputed.rejects;
        refresh.committed?.();
      },
      setApart: async (_key, failure) => {
        const reason = `the warehouse refused the key's ${latest.spec.table} row: ${refusalReason(failure)}`;
        await withDdl(this.driver, this.capabilities.transactionalDdl, () => this.ensureRejectsTable(schema, tables), async () => {
          const p = (i: number) => this.dialect.param(i);
          await this.driver.execute(
            `INSERT INTO ${this.sql.table(schema, REJECTS_TABLE)} (${REJECTS_COLUMNS.map((c) => q(c.name)).join(', ')}) ` +
              `SELECT k.${q('key')}, ${p(1)}, ${p(2)}, ${p(3)}, ${p(4)}, ${p(5)}, ${p(6)} FROM (${first(1)}) k`,
            [latest.spec.table, '', '', reason, syncId, new Date().toISOString()],
          );
          await this.driver.execute(`DELETE FROM ${marks} AND ${q('key')} IN (${first(1)})`);
          failpoint('writer:before-refresh-commit');
        });
        out.rejects++;
        refresh.committed?.();
      },
      rowError: (e) => this.host.rowError(e),
      answers: () => this.host.answers(),
    };
    const unwritten = await splitFailedWrite(parts, Array.from({ length: keys }, (_, i) => i), error, { writes: MOST_SPLIT_WRITES });
    const unsortedParts = unwritten.filter((u) => !u.refused);
    const unsorted = unsortedParts.reduce((n, u) => n + u.events.length, 0);
    const refused = unwritten.length - unsortedParts.length;
    if (unsorted > 0) {
      // Each part left unsorted holds at least one refused row; how many more is not known.
      throw new Error(
        `the warehouse refused ${latest.spec.table} rows (${refusalReason(error)}): ${refused > 0 ? `${refused} set apart, and ` : ''}more among ${unsorted} keys that ${MOST_SPLIT_WRITES} writes in parts could not sort out (at least ${unsortedParts.length}); ` +
          `they stay marked: fix what the warehouse names, then sync again`,
      );
    }
    const took = keys - refused;
    const others = took === 0 ? '' : ` while it took the other ${took.toLocaleString('en-US')}`;
    out.notices.push(`the warehouse refused the ${latest.spec.table} rows of ${refused === 1 ? '1 key' : `${refused.toLocaleString('en-US')} keys`}${others} (${refusalReason(unwritten[0]?.error ?? error)}); each is in _stowage_rejects, its row as it was until its next call`);
  }

  /**
   * A latest-value table is derived from its source: dropped, or emptied (`TRUNCATE`), while the
   * source holds keys, the refresh of the keys a sync touched would leave it holding those alone,
   * and every later sync too. Then every key of the source not marked yet is marked, in a
   * transaction of its own, and the refresh rebuilds the table whole. Returns the keys marked.
   * The first sync, which creates the source, has marked every key it loads: it is not looked at.
   */
  private async markLostKeys(schema: string, tables: Map<string, Column[]>, spec: LatestValueTable): Promise<number> {
    // A source this writer's batches created holds only keys they marked (a first sync): no look.
    if (!this.host.foundAtFirstRead(schema, spec.source)) return 0;
    const q = (name: string) => this.dialect.quote(name);
    const target = this.sql.table(schema, spec.table);
    if (tables.has(spec.table) && (await this.driver.query(`SELECT 1 AS ${q('one')} FROM ${target} LIMIT 1`)).length > 0) return 0;
    const key = q(spec.sourceKey);
    const source = this.sql.table(schema, spec.source);
    if (!tables.has(DIRTY_TABLE)) {
      // No sync marked a key yet (the table was disabled until now): nothing to rebuild unless the source holds one.
      if ((await this.driver.query(`SELECT 1 AS ${q('one')} FROM ${source} WHERE ${key} IS NOT NULL LIMIT 1`)).length === 0) return 0;
      const create = () => this.host.createInternalTable(schema, DIRTY_TABLE, DIRTY_COLUMNS);
      // In a transaction of its own where DDL may be in one (BigQuery refuses it there).
      await (this.capabilities.transactionalDdl ? this.driver.transaction(create) : create());
      tables.set(DIRTY_TABLE, [...DIRTY_COLUMNS]);
    }
    const dirty = this.sql.table(schema, DIRTY_TABLE);
    const table = this.sql.text(spec.table);
    // As text, the column's own spelling (a `uuid` in lower case), which the refresh casts back (`inKeys`).
    const marked = takesMarksCast(tables.get(spec.source)?.find((c) => c.name === spec.sourceKey)) ? `CAST(s.${key} AS ${this.dialect.physicalType('string')})` : `s.${key}`;
    return this.driver.transaction(() =>
      this.driver.execute(
        `INSERT INTO ${dirty} (${q('table_name')}, ${q('key')}) SELECT DISTINCT ${table}, ${marked} FROM ${source} s ` +
          `WHERE s.${key} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM ${dirty} d WHERE d.${q('table_name')} = ${table} AND d.${q('key')} = ${marked})`,
      ),
    );
  }

  /**
   * Recomputes the marked keys from the source table: later rows win, column by column. Returns
   * the rows the table gained, and the keys whose row was too big for the warehouse (quarantined).
   * Columns of the table the recompute does not fill (disabled ones, or a user's own) keep their
   * values: copied aside before the rows are rewritten, and back after; but for those the
   * warehouse computes (`Driver.computedColumns`), which it computes again.
   */
  private async recomputeLatest(schema: string, latest: PreparedLatest, keys: string, syncId: string, asideMade = false): Promise<{ rows: number; rejects: number }> {
    const { spec } = latest;
    const q = (s: string) => this.dialect.quote(s);
    const kept = await this.keptColumns(schema, latest);
    if (kept.length === 0) return this.rewriteLatest(schema, latest, keys, syncId);
    if (!asideMade) await this.makeAside(schema, latest, kept, keys);
    const target = this.sql.table(schema, spec.table);
    const aside = this.asideTable(schema, latest);
    const key = q(spec.keyColumns[0]!);
    const result = await this.rewriteLatest(schema, latest, keys, syncId);
    await this.driver.execute(`UPDATE ${target} AS ${q('t')} SET ${kept.map((c) => `${q(c)} = ${q('k')}.${q(c)}`).join(', ')} FROM ${aside} AS ${q('k')} WHERE ${q('t')}.${key} = ${q('k')}.${key}`);
    if (!asideMade) await this.driver.execute(`DROP TABLE ${aside}`);
    return result;
  }

  /** The table's columns the recompute does not fill, whose values it keeps. */
  private async keptColumns(schema: string, latest: PreparedLatest): Promise<string[]> {
    const filled = new Set(this.latestColumns(latest));
    const kept = latest.change.exists ? latest.change.columns.map((c) => c.name).filter((c) => !filled.has(c)) : [];
    if (kept.length === 0 || !this.driver.computedColumns) return kept;
    const computed = await this.driver.computedColumns(schema, latest.spec.table);
    return kept.filter((c) => !computed.has(c));
  }

  private asideTable(schema: string, latest: PreparedLatest): string {
    return this.sql.table(schema, `${KEPT_PREFIX}${latest.spec.table}`);
  }

  /** The kept columns' values of the keys copied aside (`makeAside`); false where the recompute keeps none. */
  private async setAside(schema: string, latest: PreparedLatest, keys: string): Promise<boolean> {
    const kept = await this.keptColumns(schema, latest);
    if (kept.length > 0) await this.makeAside(schema, latest, kept, keys);
    return kept.length > 0;
  }

  private async makeAside(schema: string, latest: PreparedLatest, kept: readonly string[], keys: string): Promise<void> {
    const q = (s: string) => this.dialect.quote(s);
    const aside = this.asideTable(schema, latest);
    const key = latest.spec.keyColumns[0]!;
    await this.driver.execute(`DROP TABLE IF EXISTS ${aside}`);
    await this.driver.execute(`CREATE TABLE ${aside} AS SELECT ${[key, ...kept].map(q).join(', ')} FROM ${this.sql.table(schema, latest.spec.table)} WHERE ${this.inKeys(key, latest.targetKey, keys, latest.sourceKey)}`);
  }

  /** The columns a recompute fills: the keys, the maxima, the values carried from the source. */
  private latestColumns({ spec, maxColumns, carried }: PreparedLatest): string[] {
    return [...spec.keyColumns, ...maxColumns, ...carried.map((c) => c.name)];
  }

  private async rewriteLatest(schema: string, latest: PreparedLatest, keys: string, syncId: string): Promise<{ rows: number; rejects: number }> {
    const { spec, carried, maxColumns, textOrder } = latest;
    const q = (s: string) => this.dialect.quote(s);
    const { codePointOrder } = this.dialect;
    // A tie of timestamps is broken by message id, the same way on every warehouse.
    const order = spec.orderBy.map((c) => (codePointOrder && textOrder.has(c) ? codePointOrder(q(c)) : q(c)));
    const deleted = await this.driver.execute(`DELETE FROM ${this.sql.table(schema, spec.table)} WHERE ${this.inKeys(spec.keyColumns[0]!, latest.targetKey, keys, latest.sourceKey)}`);
    const targetColumns = this.latestColumns(latest);
    const select = [
      ...spec.keyColumns.map(() => q(spec.sourceKey)),
      ...maxColumns.map((c) => `max(${q(c)})`),
      ...carried.map((c) => {
        const latest = this.dialect.latestNonNull(q(c.name), order, c.type);
        return c.castTo ? `CAST(${latest} AS ${this.dialect.physicalType(c.castTo)})` : latest;
      }),
    ];
    const source = this.sql.table(schema, spec.source);
    const marked = this.inKeys(spec.sourceKey, latest.sourceKey, keys);
    // Latest first, so that an aggregate taking the first non-null value takes the latest (NULLS
    // LAST: a row without a timestamp is never the newest, whichever way the warehouse sorts nulls).
    // Only the columns read: the sort carries each row whole.
    const read = [...new Set([spec.sourceKey, ...maxColumns, ...carried.map((c) => c.name), ...spec.orderBy])].map(q).join(', ');
    const rows = this.dialect.latestNonNullFromSortedRows
      ? `(SELECT ${read} FROM ${source} WHERE ${marked} ORDER BY ${q(spec.sourceKey)}, ${order.map((c) => `${c} DESC NULLS LAST`).join(', ')}) s`
      : `${source} WHERE ${marked}`;
    const insert = `INSERT INTO ${this.sql.table(schema, spec.table)} (${targetColumns.map(q).join(', ')})`;
    const aggregate = `SELECT ${select.join(', ')} FROM ${rows} GROUP BY ${q(spec.sourceKey)}`;
    if (!latest.mayBeTooBig) {
      // Rows the table gained: a touched key's row is rewritten, which adds nothing.
      if (!this.dialect.temporaryTableAs) return { rows: (await this.driver.execute(`${insert} ${aggregate}`)) - deleted, rejects: 0 };
      // A table's columns need names of their own (the key is selected twice, `max` more than once).
      const named = `SELECT ${select.map((expression, i) => `${expression} AS ${q(`c${i}`)}`).join(', ')} FROM ${rows} GROUP BY ${q(spec.sourceKey)}`;
      const temporary = this.dialect.temporaryTableAs(LATEST_ROWS, named);
      await this.driver.execute(temporary.statement);
      return { rows: (await this.driver.execute(`${insert} SELECT * FROM ${temporary.table}`)) - deleted, rejects: 0 };
    }
    return this.recomputeQuarantiningTooBig(schema, latest, keys, syncId, { insert, aggregate, width: select.length, deleted });
  }

  /**
   * The recompute of a table wide enough that one key's latest values can be over the warehouse's
   * row limit, while each source row was within it: a row refused as too big is quarantined under
   * its key, and the other keys' rows go in. The key's calls stay in the source; its row is
   * recomputed at its next call, and comes back if its values then fit (columns of the table
   * disabled, say).
   */
  private async recomputeQuarantiningTooBig(schema: string, latest: PreparedLatest, keys: string, syncId: string, statement: { insert: string; aggregate: string; width: number; deleted: number }): Promise<{ rows: number; rejects: number }> {
    const { spec } = latest;
    const q = (s: string) => this.dialect.quote(s);
    const lit = (s: string) => this.dialect.literal(s);
    const rejects = this.sql.table(schema, REJECTS_TABLE);
    const reason =
      `the key's latest values together are over the ${this.capabilities.rowLimit!.maxBytes} bytes this warehouse stores in one row: ` +
      `its ${spec.table} row is left out, and recomputed at its next call (its calls are in ${spec.source}; disabling columns of ${spec.table} makes room)`;
    const values = (row: (i: number) => string) => [row(0), lit(spec.table), lit(''), lit(''), lit(reason), lit(syncId), this.dialect.now()];
    await this.driver.execute(
      this.dialect.insertQuarantiningTooBig!(statement.insert, statement.aggregate, statement.width, (row) => `INSERT INTO ${rejects} (${REJECTS_COLUMNS.map((c) => q(c.name)).join(', ')}) VALUES (${values(row).join(', ')})`),
    );
    const count = async (sql: string) => Number((await this.driver.query<{ n: number | string }>(`SELECT count(*) AS ${q('n')} FROM ${sql}`))[0]?.n ?? 0);
    const inserted = await count(`${this.sql.table(schema, spec.table)} WHERE ${this.inKeys(spec.keyColumns[0]!, latest.targetKey, keys, latest.sourceKey)}`);
    const refused = await count(`${rejects} WHERE ${q('sync_id')} = ${lit(syncId)} AND ${q('table_name')} = ${lit(spec.table)} AND ${q('reason')} = ${lit(reason)} AND ${q('id')} IN (${keys})`);
    return { rows: inserted - statement.deleted, rejects: refused };
  }
}
