import type { Column } from './logical-type.js';

/**
 * A bound on the bytes one stored row takes, where the warehouse has one. PostgreSQL's is the
 * heap tuple, which must fit an 8 KB page (8,160 bytes) once its long values are compressed or
 * moved out of line: a row of a few hundred short values can be over it while every value is
 * small. Such a row fails its load on every retry, so the planner quarantines values of a row
 * the estimate puts over the bound, and a latest-value table wide enough to be over it is written
 * so that a row refused as too big is quarantined alone (`Dialect.insertQuarantiningTooBig`).
 * Redshift's is the row COPY reads (4 MB), which bounds loaded rows only.
 */
export interface RowLimit {
  /** Most bytes a row takes. */
  maxBytes: number;
  /**
   * Most bytes one value adds to a row, and a row's most fixed overhead: a row with at most
   * `(maxBytes − maxOverheadBytes) / maxValueBytes` values is never measured. `Infinity` where a
   * value has no bound of its own below the row's (Redshift's SUPER): every row is measured.
   */
  maxValueBytes: number;
  maxOverheadBytes: number;
  /**
   * The bytes a row takes in a table of these columns (in table order), estimated from above: a
   * row this puts at `maxBytes` or under is always stored. Values are as the load writes them
   * (cast to their column's type; timestamps as ISO strings).
   */
  rowBytes(columns: readonly Column[], row: Readonly<Record<string, unknown>>): number;
}
