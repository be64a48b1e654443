import type { Column } from './logical-type.js';

/** A value bound as a statement parameter or loaded in bulk. Timestamps travel as ISO-8601 strings. */
export type SqlValue = string | number | boolean | null;

/** A row as it is loaded: column name → value already cast to the column's type. */
export type Row = Record<string, SqlValue>;

/** A session on a warehouse: run statements, read the catalog, bulk-load rows, transactions. */
export interface Driver {
  /** Run one statement; values are bound as parameters, never spliced into the text. Returns rows changed. */
  execute(sql: string, params?: readonly SqlValue[]): Promise<number>;
  /** Run one query and return its rows as plain objects (bigints as numbers or strings). */
  query<T extends Record<string, unknown> = Record<string, unknown>>(sql: string, params?: readonly SqlValue[]): Promise<T[]>;
  /** The columns of a table as the warehouse has them, or undefined when the table does not exist. */
  columns(schema: string, table: string): Promise<Column[] | undefined>;
  /**
   * Create an empty session-local staging table with these columns and bulk-load the rows into
   * it (appender, COPY, load job…); returns the staging table's qualified, quoted name.
   */
  stage(name: string, columns: readonly Column[], rows: readonly Row[]): Promise<string>;
  /** Drop a staging table made by stage(). */
  dropStage(qualifiedName: string): Promise<void>;
  /** Run fn in one transaction: commit when it resolves, roll back when it throws. */
  transaction<T>(fn: () => Promise<T>): Promise<T>;
  close(): Promise<void>;
}
