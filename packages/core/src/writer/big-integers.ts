import type { Driver } from '../contract/driver.js';
import type { Dialect } from '../contract/dialect.js';
import type { Column, LogicalType } from '../contract/logical-type.js';
import { castTo, widerTypeFor } from '../types/index.js';
import type { Statements } from './sql.js';

/** 2^53: past it, a double holds only some integers (`2^53 + 1` is not one). */
const SAFE_LIMIT = '9007199254740992';

/** A value a bigint column takes as its digits: an integer past 2^53 (`castTo`). */
function keptAsDigits(value: unknown): boolean {
  const cast = castTo(value, 'bigint');
  return cast.ok && typeof cast.value === 'string';
}

const key = (schema: string, table: string, column: string) => `${schema}\u0000${table}\u0000${column}`;

/**
 * Which `bigint` columns hold integers past 2^53, so that a fraction does not widen one to double:
 * the ALTER would round what it holds (`9007199254740993` becomes `…992`), silently. The table is
 * read (one pass, whatever the columns asked about) only when a batch is about to widen a column,
 * which happens once per column unless it holds such integers; the batches
 * of this writer that gave a column such integers are remembered, since one not yet committed is
 * not in the table.
 */
export class BigIntegerColumns {
  private readonly holding = new Set<string>();
  /**
   * Columns a batch of this writer made: they held nothing before it, and what its batches gave
   * them is in `holding`. Not looked for in the table: the batch that makes one may still wait
   * to be applied (prepared ahead), and the look would name a column the table does not have yet.
   */
  private readonly made = new Set<string>();

  constructor(
    private readonly driver: Driver,
    private readonly dialect: Dialect,
    private readonly sql: Statements,
    /** Waits for the write in flight: the look must not run inside its transaction, and must see its rows. */
    private readonly settled: () => Promise<unknown>,
  ) {}

  /** Columns of the table that hold (or a batch of this writer gave) an integer past 2^53, among those the rows would widen. */
  async among(schema: string, table: string, existing: readonly Column[] | undefined, rows: ReadonlyArray<Record<string, unknown>>, fixed: ReadonlyMap<string, LogicalType>): Promise<Set<string> | undefined> {
    if (!existing) return undefined;
    const held = new Set<string>();
    const unknown = new Set<string>();
    for (const { name, type } of existing) {
      if (type !== 'bigint' || fixed.has(name)) continue;
      if (this.holding.has(key(schema, table, name))) held.add(name);
      else if (!this.made.has(key(schema, table, name))) unknown.add(name);
    }
    const ask = new Set<string>();
    if (unknown.size > 0) {
      for (const row of rows) {
        for (const column in row) {
          const value = row[column];
          // Only a number that is no safe integer can widen a column (`widerTypeFor`). An integer
          // past 2^53 this batch gives the column counts wherever it comes in the batch: a fraction
          // before it must not widen the column (and the integer be quarantined) where the same
          // calls in another order keep it bigint (and quarantine the fraction). The column is
          // looked up only for such values: most are neither.
          if (typeof value === 'number' && !Number.isSafeInteger(value)) {
            if (!unknown.has(column)) continue;
            if (widerTypeFor(value, 'bigint') !== undefined) ask.add(column);
            else if (keptAsDigits(value)) held.add(column);
          } else if (typeof value === 'string' && value.length >= 16 && unknown.has(column) && keptAsDigits(value)) {
            held.add(column);
          }
        }
      }
      for (const column of held) ask.delete(column);
    }
    if (ask.size === 0) return held.size > 0 ? held : undefined;
    await this.settled();
    // One pass over the table for every column asked about (a wide table's traits may all meet
    // their first fraction in one batch): a count of such integers per column.
    const q = (name: string) => this.dialect.quote(name);
    const columns = [...ask];
    const counts = columns.map((column, i) => `count(CASE WHEN ${q(column)} > ${SAFE_LIMIT} OR ${q(column)} < -${SAFE_LIMIT} THEN 1 END) AS ${q(`c${i}`)}`);
    const [row] = await this.driver.query<Record<string, number | string>>(`SELECT ${counts.join(', ')} FROM ${this.sql.table(schema, table)}`);
    columns.forEach((column, i) => {
      if (Number(row?.[`c${i}`] ?? 0) > 0) {
        this.holding.add(key(schema, table, column));
        held.add(column);
      }
    });
    return held.size > 0 ? held : undefined;
  }

  /** A planned batch gave these columns integers past 2^53, and made `made` (its columns new to the table). */
  given(schema: string, table: string, columns: readonly string[], made: readonly Column[] = []): void {
    for (const column of columns) this.holding.add(key(schema, table, column));
    for (const column of made) this.made.add(key(schema, table, column.name));
  }

  /** The batches planned ahead were dropped (one failed, its DDL rolled back): the columns they made may not be made. */
  forgetMade(): void {
    this.made.clear();
  }
}
