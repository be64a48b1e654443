import type { LogicalType } from './logical-type.js';
import type { RowLimit } from './row-limit.js';

/**
 * What a warehouse can do. The core reads these flags instead of asking which warehouse it is
 * talking to; the conformance suite is parameterised by them.
 */
export interface Capabilities {
  /**
   * DDL (CREATE, ALTER) can run inside the transaction that loads the data and rolls back with it.
   * Where it cannot (Snowflake and MySQL commit the open transaction at a DDL statement; BigQuery
   * refuses DDL in a transaction), declare `false`: the writer applies a write's DDL first, each
   * statement on its own, and the transaction holds its DML alone (`writer/ddl-apart.ts`). The
   * destination's own statements inside a write must then be DML too: `Driver.stage` stages
   * without making a table (Snowflake: a file in a stage, read by `COPY INTO`), and the dialect
   * has no `temporaryTableAs`.
   */
  transactionalDdl: boolean;
  /** Several statements can share one transaction, so the ledger commits with the data. Required today. */
  multiStatementTransactions: boolean;
  /** The warehouse has a MERGE statement. Informational: the `users` refresh is the dialect's (`latestNonNull`). */
  merge: boolean;
  /** Most columns a table may have. */
  maxColumns: number;
  /** Type changes the warehouse makes in place, without rewriting the column's values by hand. */
  inPlaceWidening: ReadonlyArray<readonly [from: LogicalType, to: LogicalType]>;
  /**
   * Text and JSON values may contain U+0000. Where they may not (PostgreSQL, Redshift), such a
   * value is quarantined with its reason rather than failing the whole load.
   */
  textHoldsNul: boolean;
  /**
   * The warehouse looks rows up by index: each table gets an index on its key, so that finding the
   * keys already loaded costs a lookup per staged row instead of a scan of the table. Without,
   * a Classic sync looks its keys up once per window of its log (`TableWriter.lookUpKeys`), not
   * once per batch.
   */
  keyIndexes: boolean;
  /**
   * Longest value, in UTF-8 bytes, a string column stores whole (Redshift's VARCHAR(65535), less
   * what the `users` recompute puts in front of a value). A longer value is quarantined with its
   * reason instead of failing its batch on every retry. `Infinity` where text is unbounded.
   */
  maxStringBytes: number;
  /**
   * The bound on a stored row's bytes, where the warehouse has one (PostgreSQL's 8 KB heap tuple);
   * undefined where a row is bounded only by its columns and values.
   */
  rowLimit?: RowLimit;
}

/**
 * What a destination declares that the writer cannot yet honour, each said plainly: loading it
 * anyway would commit a batch's data apart from its ledger row, and a sync killed in between would
 * load it twice. Empty for a destination the core supports.
 */
export function unsupportedCapabilities(type: string, capabilities: Capabilities): string[] {
  const out: string[] = [];
  if (!capabilities.multiStatementTransactions) out.push(`destination "${type}" declares no multi-statement transactions: a batch's rows and its ledger row must commit together`);
  return out;
}
