import type { LogicalType } from './logical-type.js';

/** How a warehouse spells identifiers; the naming rules apply them after snake_case. */
export interface IdentifierRules {
  /** Longest identifier in characters; longer names are cut with a stable hash suffix. */
  maxLength: number;
  /** Words that get a `_` prefix (lower case). Empty where quoting makes every word safe. */
  reservedWords: ReadonlySet<string>;
  /** Names starting with a digit get a `_` prefix. */
  prefixLeadingDigit: boolean;
  /** The warehouse reads names without regard to case, even quoted (DuckDB, Redshift): `Shop` is `shop`. */
  caseInsensitive?: boolean;
}

/**
 * A warehouse's SQL dialect: quoting, physical types and the few expressions whose spelling
 * differs between warehouses. Statements that are standard SQL are rendered once, in the core.
 */
export interface Dialect {
  identifiers: IdentifierRules;
  /** Quote one identifier so that any string is safe inside SQL. */
  quote(identifier: string): string;
  /** Quote a string literal (used only for values Stowage itself creates, such as file paths). */
  literal(value: string): string;
  /** The placeholder for the i-th (1-based) parameter of a statement. */
  param(index: number): string;
  /** The physical type of a logical type. */
  physicalType(type: LogicalType): string;
  /** Reads a physical type from introspection back as a logical type; undefined when unknown. */
  logicalType(physical: string): LogicalType | undefined;
  /**
   * An aggregate that yields the value of `column` from the row that sorts last by `orderBy`,
   * among rows where `column` is not null (quoted identifiers are passed in). `type` is the
   * column's logical type, for warehouses that must encode the value to aggregate it (Redshift).
   */
  latestNonNull(column: string, orderBy: readonly string[], type: LogicalType): string;
  /**
   * A text expression as it must be ordered to compare by code point (as DuckDB and a C
   * collation do), where the warehouse may order text by a language's rules (PostgreSQL: a
   * database or column made with an ICU or libc collation puts `alpha` after `Zeta`). Used for
   * the `orderBy` columns of text that break ties in `latestNonNull` (the message id). Where
   * unset, text is ordered as the warehouse orders it.
   */
  codePointOrder?(expression: string): string;
  /**
   * The one string the warehouse takes a key for, where it compares keys other than as written:
   * Redshift ignores trailing blanks, so `m1` and `m1 ` are one message id to it. A batch keeps
   * the first of its rows whose keys compare alike (a table's look compares them in SQL). Where
   * unset, keys compare as written.
   */
  keyForComparison?(key: string): string;
  /**
   * Set where `latestNonNull` takes the first non-null value in the order its rows arrive, rather
   * than ordering them itself: the core then feeds the aggregate from a subquery sorted by key and
   * by `orderBy`, latest first, so the rows are sorted once for every column instead of once per
   * column and key (PostgreSQL before 16 sorts each ordered aggregate's rows on its own).
   */
  latestNonNullFromSortedRows?: boolean;
  /**
   * The statement that makes a temporary table `name`, dropped when the transaction ends, from
   * the rows of `select`, and how to name it in a query, where the warehouse may compute the
   * query of a new table with more workers than one of an INSERT: the core then recomputes a
   * latest-value table's keys into it, and inserts from it. PostgreSQL plans an INSERT … SELECT
   * serially and `CREATE TABLE … AS` in parallel: for the `users` of 1,000,000 calls, the two
   * statements took 1.3–1.7 s against 1.7–1.9 s for one INSERT … SELECT (two cores).
   */
  temporaryTableAs?(name: string, select: string): { statement: string; table: string };
  /**
   * The index method (`USING …`) of the key indexes, where not the warehouse's default. Every
   * lookup by key is an equality, so PostgreSQL uses `hash`: its inserts cost about half a btree's
   * at a million random message ids.
   */
  keyIndexMethod?: string;
  /**
   * Where rows are bounded (`Capabilities.rowLimit`): one statement that inserts the rows of
   * `select` (its `width` columns) through `insert` (`INSERT INTO t (…)`) and, where the warehouse
   * refuses a row as too big, runs `tooBig` for that row instead of failing them all; in `tooBig`,
   * `row(i)` is the row's i-th selected value. A latest-value table wide enough for a key's latest
   * values to be over the limit, while each of its source rows is within it, is written this way.
   */
  insertQuarantiningTooBig?(insert: string, select: string, width: number, tooBig: (row: (i: number) => string) => string): string;
  /**
   * An aggregate that concatenates the text of `expression` over all rows, however long the
   * result, where the warehouse has one (`string_agg`; Redshift's LISTAGG stops at 64 KB). The
   * loaded-keys index is rebuilt from a few such values rather than from millions of rows.
   */
  concatenated?(expression: string): string;
  /** ALTER statement that changes a column's type in place. */
  alterColumnType(table: string, column: string, type: LogicalType): string;
  /** Current timestamp expression, UTC, as stored in timestamp columns. */
  now(): string;
}
