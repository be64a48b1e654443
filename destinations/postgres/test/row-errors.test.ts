import { describe, expect, it } from 'vitest';
import { PgDriver } from '../src/driver.js';

/** A row error is split out of its write (`Driver.rowError`); a busy one is tried again (`busyError`); any other fails the write whole. */
const rowError = (error: unknown) => PgDriver.prototype.rowError.call(undefined, error);
const busyError = (error: unknown) => PgDriver.prototype.busyError.call(undefined, error);
const pgError = (code: string, message = 'x') => Object.assign(new Error(message), { code });

describe('PgDriver.rowError', () => {
  it("tells a row's data (SQLSTATE classes 22 and 23) from the rest", () => {
    expect(rowError(pgError('23502', 'null value in column "email" violates not-null constraint'))).toBe(true);
    expect(rowError(pgError('23505', 'duplicate key value violates unique constraint "users_email"'))).toBe(true);
    expect(rowError(pgError('23514', 'new row violates check constraint'))).toBe(true);
    expect(rowError(pgError('22001', 'value too long for type character varying(10)'))).toBe(true);
    expect(rowError(pgError('22003', 'integer out of range'))).toBe(true);
    // The warehouse's own trouble: a whole write fails, nothing is set apart.
    expect(rowError(pgError('57P01', 'terminating connection due to administrator command'))).toBe(false);
    expect(rowError(pgError('53100', 'could not extend file: No space left on device'))).toBe(false);
    expect(rowError(pgError('40001', 'could not serialize access'))).toBe(false);
    expect(rowError(pgError('42501', 'permission denied for table identifies'))).toBe(false);
    expect(rowError(new Error('Connection terminated unexpectedly'))).toBe(false);
    expect(rowError(undefined)).toBe(false);
  });

  it("takes Redshift's COPY refusing a row it read (SQLSTATE XX000) for a row's data", () => {
    const copy = pgError('XX000', "Load into table 'identifies' failed.  Check 'stl_load_errors' system table for details.");
    expect(rowError(copy)).toBe(true);
    expect(rowError(pgError('XX000', 'Assert'))).toBe(false);
  });

  it('tells a warehouse busy with other sessions (a lock timeout, a serialization failure, a deadlock) from the rest', () => {
    expect(busyError(pgError('55P03', 'canceling statement due to lock timeout'))).toBe(true);
    expect(busyError(pgError('40001', 'could not serialize access due to concurrent update'))).toBe(true);
    expect(busyError(pgError('40P01', 'deadlock detected'))).toBe(true);
    expect(busyError(pgError('XX000', 'ERROR: 1023 DETAIL: Serializable isolation violation on table - 123456, transactions forming the cycle are: 1, 2'))).toBe(true);
    expect(busyError(pgError('23502', 'null value in column "email"'))).toBe(false);
    expect(busyError(pgError('57014', 'canceling statement due to statement timeout'))).toBe(false);
    expect(busyError(new Error('Connection terminated unexpectedly'))).toBe(false);
  });

  it("takes a schema or table another session made at the same moment for a busy warehouse, not a row's data", () => {
    const schema = pgError('23505', 'duplicate key value violates unique constraint "pg_namespace_nspname_index"');
    const table = pgError('23505', 'duplicate key value violates unique constraint "pg_type_typname_nsp_index"');
    for (const race of [schema, table]) {
      expect(busyError(race)).toBe(true);
      expect(rowError(race)).toBe(false);
    }
    expect(busyError(pgError('23505', 'duplicate key value violates unique constraint "users_email"'))).toBe(false);
  });
});

describe('PgDriver.tableError', () => {
  const tableError = (error: unknown) => PgDriver.prototype.tableError.call(undefined, error);
  it("tells one table's refusal (what stands in its place, a privilege on it) from the warehouse's, which holds back every activation", () => {
    expect(tableError(pgError('42809', 'ALTER action ADD COLUMN cannot be performed on relation "carts"'))).toBe(true);
    expect(tableError(pgError('42P01', 'relation "archive.carts" does not exist'))).toBe(true);
    expect(tableError(pgError('42703', 'column "cart_id" of relation "carts" does not exist'))).toBe(true);
    expect(tableError(pgError('55000', 'cannot insert into view "carts"'))).toBe(true);
    expect(tableError(pgError('42501', 'db: permission denied for table carts (SQLSTATE 42501)'))).toBe(true);
    expect(tableError(pgError('42501', 'must be owner of table carts'))).toBe(true);
    // Privileges on the database or a schema, a function or syntax: every activation's.
    expect(tableError(pgError('42501', 'permission denied to create temporary tables in database "analytics"'))).toBe(false);
    expect(tableError(pgError('42501', 'permission denied for schema archive'))).toBe(false);
    expect(tableError(pgError('42601', 'syntax error at or near "("'))).toBe(false);
    expect(tableError(pgError('42883', 'function md5(integer) does not exist'))).toBe(false);
    expect(tableError(pgError('55000', 'cannot execute INSERT in a read-only transaction'))).toBe(false);
    expect(tableError(pgError('23502', 'null value in column "email"'))).toBe(false);
    expect(tableError(new Error('Connection terminated unexpectedly'))).toBe(false);
    expect(tableError(pgError('23505', 'duplicate key value violates unique constraint "pg_class_relname_nsp_index"'))).toBe(false);
  });
});
