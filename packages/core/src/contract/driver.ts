import type { Column } from './logical-type.js';

/** A value bound as a statement parameter or loaded in bulk. Timestamps travel as ISO-8601 strings. */
export type SqlValue = string | number | boolean | null;

/** A row as it is loaded: column name → value already cast to the column's type. */
export type Row = Record<string, SqlValue>;

/** Rows encoded for a bulk load, on local disk until stage() consumes them. */
export interface LoadFile {
  path: string;
  columns: readonly Column[];
  rows: number;
  /**
   * The longest encoded row's bytes, for loaders that must be told the largest record they will
   * meet: exact for a row over a megabyte, else at most three times its UTF-16 code units.
   */
  longestRow: number;
}

export interface StageOptions {
  /** The stage is read by a single statement, so it need not be copied into a table first. */
  readOnce?: boolean;
  /**
   * Columns the stage is matched on against its table (the key). A warehouse whose planner
   * needs statistics to choose an index lookup over a scan of the whole table gathers them for
   * these columns only.
   */
  keys?: readonly string[];
  /**
   * The table the stage's rows go into, matched on `keys`. A warehouse that steers its planner to
   * the table's key index checks first that the index is there: a table Stowage did not create
   * may have none, and a lookup per staged row would then be a scan of the table per row.
   */
  into?: { schema: string; table: string };
}

/** A session on a warehouse: run statements, read the catalog, bulk-load rows, transactions. */
export interface Driver {
  /** Run one statement; values are bound as parameters, never spliced into the text. Returns rows changed. */
  execute(sql: string, params?: readonly SqlValue[]): Promise<number>;
  /**
   * Run one query and return its rows as plain objects, each value as JavaScript holds it: text
   * as strings, booleans as `true`/`false` (not 0/1: the core and the suite compare them so),
   * integers as numbers or, past 2^53, strings or bigints, timestamps as strings or Dates, null as null.
   */
  query<T extends Record<string, unknown> = Record<string, unknown>>(sql: string, params?: readonly SqlValue[]): Promise<T[]>;
  /** The columns of a table as the warehouse has them, or undefined when the table does not exist. */
  columns(schema: string, table: string): Promise<Column[] | undefined>;
  /** Every table of a schema with its columns, in one look at the catalog (empty when there is no such schema). */
  tables(schema: string): Promise<Map<string, Column[]>>;
  /** Whether the schema exists: an activation may write to an existing schema, which is never created. */
  schemaExists(schema: string): Promise<boolean>;
  /**
   * Optional, where the catalog tells names in another case apart (PostgreSQL): a schema whose name
   * is this one's in another case (`archive` for `Archive`, made by an unquoted `CREATE SCHEMA
   * Archive`), told when this one is missing.
   */
  schemaInOtherCase?(schema: string): Promise<string | undefined>;
  /**
   * Optional: what the connection's role lacks to load these schemas (to make them, or tables
   * and columns in them, and what loading needs besides), each saying how to grant it; every
   * table of the schemas of `owned` (the Classic ones) is Stowage's to alter. `tables`: the
   * activations' tables (in the space's schema or one an activation names), with the columns
   * their mappings write, which an existing table must take (INSERT, and columns only its owner
   * may add). Asked by `stowage check`, so that a missing privilege is named before a write fails on it.
   */
  privilegeProblems?(schemas: readonly string[], owned: readonly string[], tables?: readonly ActivationTable[]): Promise<string[]>;
  /**
   * Optional: which of these names of a schema something other than a table stands in place of
   * (a view, a materialized view, a foreign table), each with what it is (`a view`). Such an
   * object takes no new column, and most take no row: every write to it fails, however often it
   * is tried. Asked by `stowage check` for the tables a warehouse's syncs and activations write,
   * and when a Classic sync fails on a table (`tableError`), so that the error says what to move.
   * Names as the warehouse spells them.
   */
  notTables?(schema: string, names: readonly string[]): Promise<Array<{ name: string; kind: string }>>;
  /**
   * Optional: the other sessions holding locks on tables of the schema, each in one line (who,
   * which lock, since when), told when a sync was kept waiting (`busyError`).
   */
  lockHolders?(schema: string): Promise<string[]>;
  /**
   * Encode rows in the warehouse's bulk-load format (NDJSON, CSV, Parquet…). Client work only:
   * it never touches the session, so the next batch is encoded while the warehouse loads this one.
   */
  writeLoadFile(columns: readonly Column[], rows: readonly Row[]): Promise<LoadFile>;
  /**
   * Make a load file's rows selectable: bulk-load it into a session-local staging table (COPY,
   * read_csv, a load job…) and return the table's quoted name. With `readOnce`, the writer reads
   * the stage in one statement only, and a warehouse that can query the file in place may return
   * that relation instead (DuckDB's `read_csv(…)`), saving a copy. The file belongs to the stage.
   */
  stage(name: string, file: LoadFile, options?: StageOptions): Promise<string>;
  /** Drop what stage() made (the staging table, or the file a relation reads). */
  dropStage(stage: string): Promise<void>;
  /**
   * Optional, with `holdsAnyKey`: bulk-load a load file's rows straight into a table (its columns
   * are the file's), in the writer's transaction. The writer does so when none of the file's keys
   * is in the table yet, which saves the stage: a second copy of every row, written and read again
   * (see docs/warehouses/postgres.md). It removes the file, as stage() does.
   */
  loadInto?(schema: string, table: string, file: LoadFile): Promise<void>;
  /**
   * Optional, with `loadInto`: whether the table's `column` holds any of `keys`, found by its key
   * index (a probe per key, stopping at the first found). A warehouse without key indexes leaves
   * both out: for it the probe would be the scan the stage's insert already makes.
   */
  holdsAnyKey?(schema: string, table: string, column: string, keys: readonly string[]): Promise<boolean>;
  /**
   * Optional: makes another session's transaction that writes any of these tables wait until
   * this one ends, before either looks for its keys there. For a warehouse whose isolation lets
   * two transactions each miss the other's uncommitted rows, and insert the same keys both
   * (PostgreSQL's READ COMMITTED: a run's write and a `stowage serve` retry of the same events).
   * Called first in the writer's transaction of a batch other sessions may write (Storage
   * Actions), the tables in one order in every session, so that two sessions cannot each wait for
   * the other; a wait past the session's lock timeout fails the write, whose events are queued.
   * (Redshift's SNAPSHOT isolation alike: `LOCK`, which must be the transaction's first statement,
   * before any read fixes its snapshot: `exists` says which tables of the schema the writer's
   * catalog, read before the transaction, holds.) Left out where one process holds the warehouse
   * (DuckDB).
   */
  serializeWrites?(schema: string, tables: readonly string[], exists: (table: string) => boolean): Promise<void>;
  /**
   * Optional, where a column's type can change in place (`inPlaceWidening`): the columns of a
   * schema's tables whose type cannot change because another object depends on them (a
   * PostgreSQL view refuses `ALTER COLUMN … TYPE` on a column it reads; a DuckDB index, on every
   * column of its table), by table, each with why. The writer keeps their type, and quarantines a
   * value that would need a wider one, rather than failing every sync on the ALTER.
   */
  pinnedColumns?(schema: string): Promise<Map<string, Map<string, string>>>;
  /**
   * Optional: per table of a schema, the columns dropped from it that still count toward the
   * warehouse's column limit (`Capabilities.maxColumns`): PostgreSQL keeps a dropped column's
   * place until the table is made again, and refuses a table's 1,601st, dropped ones included.
   * The writer counts them, and quarantines the values of columns past the limit as it does
   * for a table of that many columns, rather than failing every sync on the ALTER.
   */
  droppedColumns?(schema: string): Promise<Map<string, number>>;
  /**
   * Optional: the columns of a table the warehouse computes itself, which no statement may set
   * (PostgreSQL's generated columns, and identity columns `GENERATED ALWAYS`). A user may add one
   * to `users`; the recompute, which copies the columns it does not fill aside and back, leaves
   * these out (a generated one is computed again; an identity one takes its next value), where
   * setting them failed every sync. Left out, none is.
   */
  computedColumns?(schema: string, table: string): Promise<Set<string>>;
  /**
   * Optional: whether an error of a write is one a row's data caused (a constraint of the table,
   * a value of the wrong kind: PostgreSQL's SQLSTATE classes 22 and 23, DuckDB's Constraint or
   * Conversion errors), so that the write without that row could succeed. Only then is a failed
   * write split to set the row apart (the Storage Actions queue, a Classic batch, the `users`
   * refresh); any other error (disk full, privileges, a lock timeout, a lost connection) fails the
   * write as a whole. Left out, no error is a row's.
   */
  rowError?(error: unknown): boolean;
  /**
   * Optional: whether an error says the warehouse refused a statement for what one table is or
   * who may write it (a privilege the role lacks on it, a view or a table changed by hand in its
   * place: PostgreSQL's `42809`, `42P01`, `42703`, a `42501` naming the table; DuckDB's Catalog and
   * Binder errors), so that writes to other tables could succeed. A Storage Actions write that
   * fails so holds back its activation's events alone (queued, the write Partial) while the
   * space's other activations are written; any other error fails the write of the space as a
   * whole. Left out, no error is a table's.
   */
  tableError?(error: unknown): boolean;
  /**
   * Optional: whether an error says the warehouse was busy with other sessions' work (a lock it
   * waited for too long, a serialization conflict, a deadlock): the same statements may succeed
   * a moment later, so a Classic batch or a `users` refresh that fails so is tried again after a
   * pause, a few times, before the sync fails. Left out, no error is.
   */
  busyError?(error: unknown): boolean;
  /** Run fn in one transaction: commit when it resolves, roll back when it throws. */
  transaction<T>(fn: () => Promise<T>): Promise<T>;
  /**
   * Optional: write what the session committed into the warehouse's own files now (DuckDB's
   * CHECKPOINT), off the JS thread, so that close() is quick. The engine calls it once a run's
   * writes have settled, so that this work overlaps the profile state's commit instead of
   * following it, and once a sync's batches are in, before the `users` recompute, whose
   * aggregate then does not come on top of the batches' rows held in memory. A warehouse whose
   * commits are already in place leaves it out.
   */
  checkpoint?(): Promise<void>;
  /**
   * Optional: give a table the planner statistics it has never had, before a statement that joins
   * it (the `users` recompute reads `identifies`). PostgreSQL guesses the rows of a table never
   * analyzed from its pages and a width estimate; for a table of a few hundred text columns the
   * guess is one row, and the recompute became a nested loop over every marked key (30 s instead
   * of 2 for 40,000 rows). The statistics of `columns` (the join's) are enough: the row count comes
   * with them, and every column of a wide table took 12 s. A warehouse without such statistics
   * leaves it out.
   */
  ensureStatistics?(schema: string, table: string, columns: readonly string[]): Promise<void>;
  /**
   * Optional: how many keys one slice of a latest-value recompute (`users`) may take when the
   * table carries `columns` columns, where the warehouse's aggregate holds a state for each key
   * and column in memory and cannot spill it (DuckDB). Leave it out where the aggregate spills
   * (PostgreSQL sorts, on disk past `work_mem`); the core's own bound then applies alone.
   */
  latestSliceKeys?(columns: number): number;
  /**
   * Optional: whether the connection was lost while no statement ran on it (the server restarted,
   * a proxy dropped it): every statement on it fails from then on, and a new session may succeed.
   * A Storage Actions write opens its session as a run begins, and finds it so after the run's
   * profiles were staged. Left out, a session is never known lost before a statement fails.
   */
  connectionLost?(): boolean;
  /** Close the session and remove any load files it did not consume. */
  close(): Promise<void>;
}

/** A table activations write (`Driver.privilegeProblems`): its schema, its name and the columns written, as the warehouse spells them; `by`, the activations. */
export interface ActivationTable {
  schema: string;
  table: string;
  columns: readonly string[];
  by: readonly string[];
}
