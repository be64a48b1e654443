import { isWellFormed } from '../ids/id-text.js';
import type { Capabilities } from '../contract/capabilities.js';
import type { Column, ColumnBounds, LogicalType } from '../contract/logical-type.js';
import { cutFraction, outOfBounds } from './bounds.js';
import type { RowLimit } from '../contract/row-limit.js';
import type { Row } from '../contract/driver.js';
import { rowValue } from '../contract/row-value.js';
import { castTo, inferType, parseTimestamp, widerTypeFor } from '../types/index.js';
import { yieldToEventLoop } from '../process/yield.js';
import { exactJsonText } from '../types/exact-json-text.js';

/** A value that could not be stored, kept with everything needed to find and repair it. */
export interface Reject {
  messageId: string;
  table: string;
  column: string;
  value: string;
  reason: string;
}

/** What the writer must do to a table before loading a batch, and the batch made fit for it. */
export interface TablePlan {
  table: string;
  exists: boolean;
  /** Every column after the plan, in order: existing first, then new ones as values created them. */
  columns: Column[];
  added: Column[];
  widened: Array<{ column: string; from: LogicalType; to: LogicalType }>;
  /**
   * Columns a value would have widened but for an object that depends on their type
   * (`PlanInput.pinned`, `held: 'depends'`) or integers past 2^53 they hold, which a double would
   * round (`held: 'integers'`).
   */
  pinned: Array<{ column: string; from: LogicalType; to: LogicalType; why: string; held: 'depends' | 'integers' }>;
  /** `bigint` columns given an integer past 2^53 by this batch: none of them may widen to double while it is applied. */
  bigIntegers: string[];
  rows: Row[];
  /** Columns that some row of the batch has a value for (the staging table's columns). */
  loaded: Column[];
  rejects: Reject[];
  casts: number;
}

/** The DDL a table needs before a batch loads: what the plan decides, without the rows. */
export type TableChange = Pick<TablePlan, 'table' | 'exists' | 'columns' | 'added' | 'widened'> & { pinned?: TablePlan['pinned'] };

export interface PlanInput {
  table: string;
  /** The table's columns as the warehouse has them; undefined when the table does not exist. */
  existing: readonly Column[] | undefined;
  /** Rows of raw values keyed by final column names, in log order. Cast in place: the plan owns them. */
  rows: Array<Record<string, unknown>>;
  /** Types fixed by the schema whatever the value (standard columns such as `received_at`). */
  fixedTypes: ReadonlyMap<string, LogicalType>;
  /**
   * Types new columns are created with whatever their first value (a computed trait's declared
   * `valueType`); unlike `fixedTypes`, later values are cast, widened or quarantined as anywhere.
   */
  createTypes?: ReadonlyMap<string, LogicalType>;
  /** The column holding the message id, for rejects. */
  keyColumn: string;
  /**
   * Existing columns whose type cannot change in place, with why (a view reads them:
   * `Driver.pinnedColumns`). A value that would widen one is cast or quarantined instead.
   */
  pinned?: ReadonlyMap<string, string>;
  /**
   * Existing `bigint` columns holding integers past 2^53 (in the table, or in a batch of the same
   * sync not yet committed): widened to double, they would be rounded, so they never widen.
   */
  holdsBigIntegers?: ReadonlySet<string>;
  /** Columns dropped from the table that still count toward its column limit (`Driver.droppedColumns`). */
  droppedColumns?: number;
  /**
   * Where given, every value the plan changes in place is noted first (row, column, value as it
   * was), so that `undoPlan` gives the rows back as they came: a batch planned again without
   * some of its rows (copies found after a first plan) must see the others' values unchanged.
   */
  journal?: PlanJournal;
  capabilities: Pick<Capabilities, 'inPlaceWidening' | 'maxColumns' | 'textHoldsNul' | 'maxStringBytes' | 'rowLimit'>;
}

/** The values a plan changed in place, in the order it changed them (`PlanInput.journal`). */
export type PlanJournal = Array<[Record<string, unknown>, string, unknown]>;

/** Gives the rows a plan changed their values back, last change first. */
export function undoPlan(journal: PlanJournal): void {
  for (let i = journal.length - 1; i >= 0; i--) {
    const [row, column, value] = journal[i]!;
    if (value === undefined) delete row[column];
    else row[column] = value;
  }
  journal.length = 0;
}

/** Values that already are what their column stores, checked without allocating (the common case). */
function fits(value: unknown, type: LogicalType): boolean {
  switch (typeof value) {
    case 'string':
      return type === 'string' || (type === 'timestamp' && parseTimestamp(value) === value);
    case 'boolean':
      return type === 'boolean';
    case 'number':
      return type === 'double' || (type === 'bigint' && Number.isSafeInteger(value));
    default:
      return false;
  }
}

/** A NUL character, or in JSON text its `\\u0000` escape (not itself escaped), which jsonb refuses too. */
const JSON_NUL = /(?<!\\)(?:\\\\)*\\u0000/;
function holdsNul(value: string, type: LogicalType): boolean {
  return value.includes('\u0000') || (type === 'json' && value.includes('\\u0000') && JSON_NUL.test(value));
}

/** A `\uD800`–`\uDFFF` escape somewhere in JSON text: the only way it can hold half of a character. */
const SURROGATE_ESCAPE = /\\u[dD][89a-fA-F][0-9a-fA-F]{2}/;

/**
 * Whether JSON text escapes half of a character (`"\ud800"`, what JSON.stringify writes for a
 * lone surrogate): valid JSON, which PostgreSQL's jsonb and other JSON columns refuse, so that the
 * load would fail, and the event would stay queued, at every try. An escaped pair is a character.
 */
export function escapesLoneSurrogate(json: string): boolean {
  if (!SURROGATE_ESCAPE.test(json)) return false;
  const unit = (at: number) => (json[at] === '\\' && json[at + 1] === 'u' ? Number.parseInt(json.slice(at + 2, at + 6), 16) : Number.NaN);
  // JSON text holds a backslash only in a string, as the first of an escape.
  for (let i = json.indexOf('\\'); i !== -1; i = json.indexOf('\\', i)) {
    const u = unit(i);
    if (u >= 0xd800 && u <= 0xdbff) {
      const low = unit(i + 6);
      if (!(low >= 0xdc00 && low <= 0xdfff)) return true;
      i += 12;
    } else if (u >= 0xdc00 && u <= 0xdfff) {
      return true;
    } else {
      i += 2;
    }
  }
  return false;
}

/** Longer than `max` UTF-8 bytes; measured only when it could be (a UTF-16 unit is at most 3 bytes). */
function overLong(value: string, max: number): boolean {
  return value.length * 3 > max && Buffer.byteLength(value, 'utf8') > max;
}

/** Whether a string is JSON text, as a JSON column takes it (`{"a":1}`, `[1]`, `"s"`, `3`). */
function isJsonText(value: string): boolean {
  try {
    JSON.parse(value);
    return true;
  } catch {
    return false;
  }
}

/** Whether the warehouse changes a column's type from `from` to `to` in place (`Capabilities.inPlaceWidening`). */
export const canWidenInPlace = (caps: Pick<Capabilities, 'inPlaceWidening'>, from: LogicalType, to: LogicalType) =>
  caps.inPlaceWidening.some(([f, t]) => f === from && t === to);

/** What the plan knows of a column: one lookup per value, where a batch has millions of values. */
interface ColumnState {
  type: LogicalType;
  /** The column exists in the warehouse (not created by this batch). */
  existed: boolean;
  /** Its type is fixed by the schema (a standard column): never widened. */
  fixed: boolean;
  /** Some row of the batch has a value for it. */
  loaded: boolean;
  /**
   * Values of the batch it holds now: a column the batch would make counts against the table's
   * column limit only while it holds one (`TablePlanner.take`), and is made only then (`dropEmpty`).
   */
  held: number;
  /** What the warehouse's narrower type holds (a table made elsewhere), until the column widens. Always set, undefined or not: one shape for every column. */
  bounds: ColumnBounds | undefined;
  /** A `bigint` column that holds, or was given by this batch, an integer past 2^53. */
  big: boolean;
}

/** Why a column holding integers past 2^53 stays `bigint`. */
const HOLDS_BIG_INTEGERS = 'it holds integers past 2^53, which a double would round';

/**
 * Decides the table's columns for a batch and casts every value to its column's type.
 * A column's type is fixed by the first non-null value that creates it (or by the schema for
 * standard columns); a later value is cast when that is lossless, widens the column where the
 * warehouse can do it in place, and otherwise becomes a reject. Deterministic for a given
 * batch and starting schema, so a replayed batch plans exactly the same.
 */
export function planTable(input: PlanInput): TablePlan {
  const planner = new TablePlanner(input);
  for (const row of input.rows) planner.add(row);
  return planner.finish(input.rows);
}

/** The most values a row can hold and be within the warehouse's row limit, whatever they are. */
export function mostValuesWithin(limit: RowLimit | undefined): number {
  return limit ? Math.floor((limit.maxBytes - limit.maxOverheadBytes) / limit.maxValueBytes) : Infinity;
}

/** Rows planned between two turns of the event loop (a few milliseconds of work). */
const ROWS_PER_SLICE = 2000;

/**
 * `planTable`, letting the event loop run between slices of rows: a batch is planned while the
 * one before it is applied, and each statement of that one waits for the planning to pause.
 */
export async function planTableInSlices(input: PlanInput): Promise<TablePlan> {
  const planner = new TablePlanner(input);
  const { rows } = input;
  for (let i = 0; i < rows.length; i++) {
    if (i > 0 && i % ROWS_PER_SLICE === 0) await yieldToEventLoop();
    planner.add(rows[i]!);
  }
  return planner.finish(rows);
}

/** The plan of one table, a row at a time, in log order. */
class TablePlanner {
  private readonly state: Map<string, ColumnState>;
  private readonly added: string[] = [];
  private readonly overLimit = new Set<string>();
  private readonly widened = new Map<string, { from: LogicalType; to: LogicalType }>();
  private readonly pinned = new Map<string, { from: LogicalType; to: LogicalType; why: string; held: 'depends' | 'integers' }>();
  private readonly rejects: Reject[] = [];
  /**
   * Values refused by their column's type at the time, which a later value of the batch may
   * widen (bigint to double): tried again against the final type by `finish`, so that the order
   * of a batch's rows does not decide what is quarantined (`"2.5"` before `3.5`, as after it).
   */
  private refusedByType?: Array<{ row: Record<string, unknown>; column: string; value: unknown; type: LogicalType; reject: Reject }>;
  private casts = 0;
  /** Rows with more values than this are measured against the warehouse's row limit. */
  private readonly measureAbove: number;
  /** The columns in table order, as the row limit measures them; dropped when one is added or widened. */
  private measured?: Column[];
  /**
   * The columns that count against the table's limit: those it has, the standard ones the batch
   * makes, and the others the batch makes while they hold a value. One whose every value was
   * quarantined is not made (`dropEmpty`), and takes no column a later one could have had.
   */
  private live: number;

  /** Dropped columns that still take a place of the limit. */
  private readonly dropped: number;

  private limitReason(): string {
    const { maxColumns } = this.input.capabilities;
    return this.dropped > 0
      ? `the table has reached its limit of ${maxColumns} columns, ${this.dropped} of them dropped ones that still count (make the table again to free them)`
      : `the table has reached its limit of ${maxColumns} columns`;
  }

  /** Changes a row's value in place, noting the value it had where the plan keeps a journal. */
  private set(row: Record<string, unknown>, column: string, value: unknown): void {
    this.input.journal?.push([row, column, row[column]]);
    row[column] = value;
  }

  constructor(private readonly input: Omit<PlanInput, 'rows'>) {
    this.dropped = input.droppedColumns ?? 0;
    this.live = input.existing?.length ?? 0;
    this.state = new Map<string, ColumnState>(
      (input.existing ?? []).map((c) => [c.name, { type: c.type, existed: true, fixed: input.fixedTypes.has(c.name), loaded: false, held: 0, bounds: c.bounds, big: input.holdsBigIntegers?.has(c.name) ?? false }]),
    );
    this.measureAbove = mostValuesWithin(input.capabilities.rowLimit);
  }

  // One pass: a column's type can only widen (bigint → double) after a value was accepted, and
  // every value accepted for the narrower type is valid for the wider one, so nothing is revisited.
  // Values are cast in place (a rejected one becomes null): copying every row cost more than the
  // planning itself, in time and in garbage.
  add(row: Record<string, unknown>): void {
    const { table, fixedTypes, keyColumn, capabilities } = this.input;
    const { state, rejects } = this;
    let values = 0;
    for (const column in row) {
      const value = row[column];
      if (value === null || value === undefined) continue;
      values++;
      if (this.overLimit.has(column)) {
        this.refuseOverLimit(row, column, value);
        continue;
      }
      let col = state.get(column);
      if (col === undefined) {
        const fixed = fixedTypes.get(column);
        // A standard column is made whatever its values: it counts from the start. Another counts
        // from its first value taken (`take`).
        if (fixed !== undefined) {
          if (this.live + this.dropped >= capabilities.maxColumns) {
            this.refuseOverLimit(row, column, value);
            continue;
          }
          this.live++;
        }
        col = { type: fixed ?? this.input.createTypes?.get(column) ?? inferType(value)!, existed: false, fixed: fixed !== undefined, loaded: false, held: 0, bounds: undefined, big: false };
        state.set(column, col);
        this.added.push(column);
        this.measured = undefined;
      } else if (this.unmade(col, column)) {
        // Every value so far was quarantined (U+0000, half a character, a row over the limit): the
        // column is not made by them (`dropEmpty`), so neither is its type. The first value stored
        // decides it, as it does when the calls come in another batch: `"x\ud800"` then `41` made
        // a text column, where `41` alone makes a bigint one.
        col.type = inferType(value)!;
        // Nor does an integer past 2^53 it held (taken out of a row over the row limit) keep it from widening.
        col.big = false;
        this.measured = undefined;
      }
      // The first value too: a column created `bigint` by a declared `valueType` whose first value
      // has a fraction was made bigint with that value quarantined, where the same values the
      // other way round made it double (the rows' order decides nothing).
      if (col.type === 'bigint' && !col.fixed) {
        const wider = widerTypeFor(value, col.type);
        // A column this batch creates is created with the wider type: no ALTER, whatever the warehouse can do in place.
        const pinnedBy = col.existed ? this.input.pinned?.get(column) : undefined;
        const widens = wider !== undefined && (!col.existed || canWidenInPlace(capabilities, col.type, wider));
        if (widens && pinnedBy !== undefined) {
          this.pinned.set(column, { from: col.type, to: wider, why: pinnedBy, held: 'depends' });
        } else if (widens && col.big) {
          // Every value accepted for bigint is valid for double but one past 2^53, which it would round.
          this.pinned.set(column, { from: col.type, to: wider, why: HOLDS_BIG_INTEGERS, held: 'integers' });
        } else if (widens) {
          if (col.existed) this.widened.set(column, { from: this.widened.get(column)?.from ?? col.type, to: wider });
          col.type = wider;
          // The ALTER gives it the wider type whole: a narrower integer type's range goes with it.
          col.bounds = undefined;
          this.measured = undefined;
        }
      }
      const type = col.type;
      if (!capabilities.textHoldsNul && typeof value === 'string' && holdsNul(value, type)) {
        rejects.push({ messageId: String(row[keyColumn] ?? ''), table, column, value, reason: `the value contains the character U+0000, which this warehouse cannot store in ${type === 'json' ? 'JSON' : 'text'}` });
        this.set(row, column, null);
        continue;
      }
      // JSON text only: text that is no JSON is stored as a JSON string below, its backslashes escaped.
      if (typeof value === 'string' && (!isWellFormed(value) || (type === 'json' && escapesLoneSurrogate(value) && isJsonText(value)))) {
        // Half of a character: every warehouse's UTF-8 would store U+FFFD instead, silently.
        rejects.push({ messageId: String(row[keyColumn] ?? ''), table, column, value, reason: 'the value holds half of a character (a lone UTF-16 surrogate), which no warehouse stores as it is' });
        this.set(row, column, null);
        continue;
      }
      // Never the key: a row without it would be loaded as no call's (and its stage would lack the
      // column). The warehouse refuses the whole call instead, which is then set apart whole.
      if (type === 'string' && typeof value === 'string' && column !== keyColumn && overLong(value, capabilities.maxStringBytes)) {
        rejects.push({ messageId: String(row[keyColumn] ?? ''), table, column, value, reason: `the value is longer than the ${capabilities.maxStringBytes} bytes this warehouse stores in a text column` });
        this.set(row, column, null);
        continue;
      }
      if (type === 'json' && typeof value === 'string' && !isJsonText(value)) {
        // Text that is not JSON, headed for a JSON column (a mapping into a jsonb column of the
        // user's table): stored as a JSON string, whole, rather than failing the load.
        if (!this.take(col, row, column, value)) continue;
        this.set(row, column, JSON.stringify(value));
        this.casts++;
        continue;
      }
      // Never the key: a row without it could not be told from a replay. A key its column cannot
      // hold fails in the warehouse, and its call is set apart whole.
      // A standard column's time (`timestamp`, `received_at`) of a column keeping fewer digits of
      // a second is cut to them, as Stowage cuts every time to the millisecond: never quarantined.
      const cutTo = col.fixed ? col.bounds?.fractionDigits : undefined;
      const bounds = column === keyColumn || cutTo !== undefined ? undefined : col.bounds;
      if (fits(value, type)) {
        if (bounds !== undefined && this.outside(row, column, value, bounds)) continue;
        if (!this.take(col, row, column, value)) continue;
        if (cutTo !== undefined && typeof value === 'string') this.set(row, column, cutFraction(value, cutTo));
        continue;
      }
      const result = castTo(value, type);
      if (result.ok && bounds !== undefined && this.outside(row, column, result.value, bounds, value)) continue;
      if (!result.ok && column === keyColumn) {
        // Never the key either (a user's table whose id is an integer): loaded as sent, it fails
        // in the warehouse, and its call or event is set apart whole rather than written without it.
        this.take(col, row, column, value);
        continue;
      }
      if (!result.ok) {
        // Why the column did not widen, only for a value the wider type would have taken (not `"abc"`).
        const pinned = this.pinned.get(column);
        // A column this batch makes is made narrower; one that was there stays so.
        const kept = pinned && (col.existed ? `stays ${pinned.from} rather than widening to ${pinned.to}` : `is made ${pinned.from} rather than ${pinned.to}`);
        const reason = pinned && widerTypeFor(value, pinned.from) === pinned.to ? `${result.reason}; the column ${kept}: ${pinned.why}` : result.reason;
        const reject: Reject = { messageId: String(row[keyColumn] ?? ''), table, column, value: typeof value === 'string' ? value : exactJsonText(value), reason };
        rejects.push(reject);
        if (!col.fixed && !pinned) (this.refusedByType ??= []).push({ row, column, value, type, reject });
        this.set(row, column, null);
        continue;
      }
      if (!this.take(col, row, column, value)) continue;
      if (result.cast) this.casts++;
      this.set(row, column, cutTo !== undefined && typeof result.value === 'string' ? cutFraction(result.value, cutTo) : result.value);
      // Past 2^53 an integer is kept as its digits (`castTo`).
      if (type === 'bigint' && typeof result.value === 'string') col.big = true;
    }
    // Counted before any value was refused: an over-count only measures a row that needed not be.
    if (values > this.measureAbove) this.fitRow(row, capabilities.rowLimit!);
  }

  /** Quarantines a value of a column the table has no room for. */
  private refuseOverLimit(row: Record<string, unknown>, column: string, value: unknown): void {
    const { table, keyColumn } = this.input;
    this.overLimit.add(column);
    this.rejects.push({ messageId: String(row[keyColumn] ?? ''), table, column, value: typeof value === 'string' ? value : exactJsonText(value), reason: this.limitReason() });
    this.set(row, column, null);
  }

  /**
   * A value its column takes (as it is in the row now, or about to be set): counted, and its
   * column with it where it is the first value of a column the batch makes. Where the table has
   * no room for that column, the value is quarantined instead (false), and so is every later one
   * of the column. Never the key's: a row without it would be loaded as no call's.
   */
  private take(col: ColumnState, row: Record<string, unknown>, column: string, value: unknown): boolean {
    if (!this.roomFor(col, column)) {
      this.refuseOverLimit(row, column, value);
      return false;
    }
    this.count(col);
    return true;
  }

  /** Whether the table has room for the column, which a value is about to go in. */
  private roomFor(col: ColumnState, column: string): boolean {
    if (this.overLimit.has(column)) return false;
    return col.held > 0 || col.existed || col.fixed || column === this.input.keyColumn || this.live + this.dropped < this.input.capabilities.maxColumns;
  }

  /**
   * A column the batch makes that holds no value yet though one came (every one quarantined), and
   * whose type no declaration fixes: its type is still to be decided by the first value it takes.
   */
  private unmade(col: ColumnState, column: string): boolean {
    return !col.existed && !col.fixed && col.held === 0 && column !== this.input.keyColumn && !this.input.createTypes?.has(column);
  }

  /** Counts a value its column took (`take`). */
  private count(col: ColumnState): void {
    if (col.held++ === 0 && !col.existed && !col.fixed) this.live++;
    col.loaded = true;
  }

  /** A value taken out of its row after its column took it (`fitRow`): a column left with none no longer counts. */
  private untake(col: ColumnState): void {
    if (--col.held === 0 && !col.existed && !col.fixed) this.live--;
  }

  /** Quarantines a value outside its column's narrower type (`ColumnBounds`); false when it fits. */
  private outside(row: Record<string, unknown>, column: string, value: unknown, bounds: ColumnBounds, sent: unknown = value): boolean {
    const why = outOfBounds(value, bounds);
    if (why === undefined) return false;
    const { table, keyColumn } = this.input;
    this.rejects.push({ messageId: String(row[keyColumn] ?? ''), table, column, value: typeof sent === 'string' ? sent : exactJsonText(sent), reason: why });
    this.set(row, column, null);
    return true;
  }

  /**
   * Quarantines values of a row the warehouse would refuse as too big, newest columns first and
   * never a standard column, until the estimate puts it within the limit: the row is stored, its
   * batch does not fail on every retry, and the values are kept with the reason.
   */
  private fitRow(row: Record<string, unknown>, limit: RowLimit): void {
    const { table, keyColumn } = this.input;
    // Where no value is bounded below the row (Redshift), every row comes here: the columns are
    // listed once, not per row.
    const columns = (this.measured ??= [...this.state].map(([name, c]) => ({ name, type: c.type })));
    let bytes = limit.rowBytes(columns, row);
    if (bytes <= limit.maxBytes) return;
    const reason = `the row's values together are over the ${limit.maxBytes} bytes this warehouse stores in one row (${bytes} estimated); its newest columns' values are kept here`;
    for (let i = columns.length - 1; bytes > limit.maxBytes && i >= 0; ) {
      // A value takes at most maxValueBytes: at least this many must go before measuring again
      // (one, where a value is not bounded below the row).
      for (let n = Math.max(1, Math.ceil((bytes - limit.maxBytes) / limit.maxValueBytes)); n > 0 && i >= 0; i--) {
        const { name } = columns[i]!;
        const value = rowValue(row, name);
        const col = this.state.get(name)!;
        if (value === null || value === undefined || name === keyColumn || col.fixed) continue;
        this.rejects.push({ messageId: String(row[keyColumn] ?? ''), table, column: name, value: typeof value === 'string' ? value : exactJsonText(value), reason });
        this.set(row, name, null);
        this.untake(col);
        n--;
      }
      bytes = limit.rowBytes(columns, row);
    }
  }

  /**
   * Forgets the columns (not standard ones) the batch would add whose every value was quarantined (a NUL, half a
   * character, too long, a row over the limit): made, they would hold nothing, where a null makes
   * no column; and on PostgreSQL a column counts against the table's 1,600 for good, dropped or
   * not, so a wide call set apart would have spent its columns. A later value makes the column.
   * Such a column took no place of the limit meanwhile (`take`, `untake`): a later column of the
   * batch was not quarantined as past the limit of a table that ends with room to spare.
   */
  private dropEmpty(): void {
    const { state } = this;
    // A standard column (a fixed type) is the table's own shape: made all the same.
    const empty = this.added.filter((name) => {
      const col = state.get(name)!;
      return !col.fixed && col.held === 0;
    });
    if (empty.length === 0) return;
    for (const name of empty) {
      state.delete(name);
      this.added.splice(this.added.indexOf(name), 1);
    }
    // The rows keep the key with null: a load file's columns are the plan's, and its lines are read by name.
  }

  /** Values refused before their column widened, tried again against its final type (`refusedByType`). */
  private retryWidened(): void {
    const taken = new Set<Reject>();
    const limit = this.input.capabilities.rowLimit;
    // The columns as they end, listed once where a row is measured.
    let columns: Column[] | undefined;
    for (const { row, column, value, type, reject } of this.refusedByType ?? []) {
      const col = this.state.get(column)!;
      if (col.type === type) continue;
      const result = castTo(value, col.type);
      // (A widened column has no narrower bounds left: the ALTER gives it the wider type whole.)
      if (!result.ok) {
        reject.reason = result.reason;
        continue;
      }
      // A column the batch would make with this value alone, where the table has no room for it.
      if (!this.roomFor(col, column)) {
        reject.reason = this.limitReason();
        continue;
      }
      this.set(row, column, result.value);
      // A row measured against the warehouse's row limit without this value is measured again with it.
      if (limit && Object.keys(row).length > this.measureAbove) {
        columns ??= [...this.state].map(([name, c]) => ({ name, type: c.type }));
        if (limit.rowBytes(columns, row) > limit.maxBytes) {
          this.set(row, column, null);
          continue;
        }
      }
      if (result.cast) this.casts++;
      this.count(col);
      taken.add(reject);
    }
    if (taken.size === 0) return;
    const kept = this.rejects.filter((r) => !taken.has(r));
    this.rejects.length = 0;
    for (const r of kept) this.rejects.push(r);
  }

  finish(rows: Array<Record<string, unknown>>): TablePlan {
    this.retryWidened();
    const { state } = this;
    this.dropEmpty();
    const columns: Column[] = [...state].map(([name, c]) => (c.bounds ? { name, type: c.type, bounds: c.bounds } : { name, type: c.type }));
    return {
      table: this.input.table,
      exists: this.input.existing !== undefined,
      columns,
      added: this.added.map((name) => ({ name, type: state.get(name)!.type })),
      widened: [...this.widened].map(([column, w]) => ({ column, ...w })),
      pinned: [...this.pinned].map(([column, p]) => ({ column, ...p })),
      bigIntegers: [...state].filter(([, c]) => c.big && c.type === 'bigint').map(([name]) => name),
      rows: rows as Row[],
      loaded: columns.filter((c) => state.get(c.name)!.loaded),
      rejects: this.rejects,
      casts: this.casts,
    };
  }
}
