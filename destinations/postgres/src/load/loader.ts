import type pg from 'pg';
import type { Column, LoadFile, Row } from '@stowage/core';

/**
 * How rows reach a staging table: an encoding written on the client while the previous batch
 * loads, and the statement(s) that move it into the warehouse. PostgreSQL uses COPY FROM STDIN;
 * servers that cannot take COPY over the wire use batched multi-row INSERTs; Redshift plugs in
 * its own (files on S3, COPY from a manifest).
 */
export interface Loader {
  readonly name: string;
  /** Encodes rows into a new file in `dir`. Client work only. */
  write(dir: string, columns: readonly Column[], rows: readonly Row[]): Promise<LoadFile>;
  /** Loads the file's rows into `table` (quoted, existing, with the file's columns). */
  load(client: pg.Client, table: string, file: LoadFile, quote: (identifier: string) => string): Promise<void>;
  /** Optional: what keeps it from loading, found without loading (a staging bucket it cannot write), each saying what to fix; for `stowage check`. */
  probe?(): Promise<string[]>;
}

/**
 * A loader's failure outside the database connection (Redshift's upload to S3): told as it is,
 * never as the connection lost, nor with a SQLSTATE, which it does not have.
 */
export class LoaderError extends Error {
  override name = 'LoaderError';
}
