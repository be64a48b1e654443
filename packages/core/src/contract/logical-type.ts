/** The warehouse-independent column types Stowage infers; each dialect maps them to physical types. */
export type LogicalType = 'boolean' | 'bigint' | 'double' | 'timestamp' | 'string' | 'json';

export const LOGICAL_TYPES: readonly LogicalType[] = ['boolean', 'bigint', 'double', 'timestamp', 'string', 'json'];

/** A column as the writer sees it: a final (already named) identifier and its logical type. */
export interface Column {
  name: string;
  type: LogicalType;
  /** Where the warehouse's type holds less than the logical type (a table made elsewhere): what it holds. */
  bounds?: ColumnBounds;
}

/**
 * What a column of a narrower physical type than its logical one holds (a user's `varchar(10)`,
 * `integer` or `numeric(8,2)`, read from the catalog): a value outside is quarantined by the plan,
 * as any value that cannot be cast, instead of failing its batch in the warehouse (or, for the
 * digits of a decimal, being rounded by it without a word). Stowage's own columns have none.
 */
export interface ColumnBounds {
  /** The physical type as the warehouse names it, for the reasons of rejects: `character varying(10)`. */
  physical: string;
  /** Text: the most characters (PostgreSQL) or UTF-8 bytes (Redshift) a value may take. */
  maxLength?: number;
  lengthIn?: 'characters' | 'bytes';
  /**
   * Text: ASCII characters only (Redshift's `char(n)`, which refuses any character of more than
   * one byte: `Multibyte character not supported for CHAR`).
   */
  ascii?: boolean;
  /** Integers: the least and the greatest value. */
  min?: number;
  max?: number;
  /** Decimals (`numeric(p, s)`): the digits kept after the point (s), and the bound of the absolute value (10^(p−s)). */
  scale?: number;
  below?: number;
  /**
   * Text a column of another type takes in as that type: `uuid` (32 hex digits, hyphens between
   * groups, optional braces), `date` (`YYYY-MM-DD` alone: a date column takes a date-time too, and
   * drops its time without a word).
   */
  format?: 'uuid' | 'date';
  /**
   * A single-precision float (PostgreSQL's and Redshift's `real`, DuckDB's `FLOAT`): 24 bits of
   * mantissa, so that `16777217` or `0.123456789012` would be stored rounded, without a word.
   */
  single?: boolean;
  /**
   * A timestamp column keeping fewer digits of a second than a millisecond's three (PostgreSQL's
   * `timestamptz(0)` to `(2)`, DuckDB's `TIMESTAMP_S`): a time with more would be rounded, into
   * the next second, or out of year 9999, without a word.
   */
  fractionDigits?: number;
}
