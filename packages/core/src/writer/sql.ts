import type { Column, LogicalType } from '../contract/logical-type.js';
import type { Dialect } from '../contract/dialect.js';
import { applyIdentifierRules } from '../naming/identifier.js';
import { INTERNAL_PREFIX } from './internal-tables.js';

/**
 * The statements the table writer needs that are standard SQL, rendered once for every
 * warehouse. Identifiers only through the dialect's quoting; values only as parameters.
 */
export class Statements {
  constructor(private readonly dialect: Dialect) {}

  table(schema: string, table: string): string {
    return `${this.dialect.quote(schema)}.${this.dialect.quote(table)}`;
  }

  /**
   * A text constant with its type: a bare literal has none until its context gives it one, and
   * Redshift (whose leader node is PostgreSQL 8.0) refuses to compare or sort one that reaches a
   * DISTINCT untyped (`failed to find conversion function from "unknown" to text`).
   */
  text(value: string): string {
    return `CAST(${this.dialect.literal(value)} AS ${this.dialect.physicalType('string')})`;
  }

  private columnList(columns: readonly { name: string }[], alias?: string): string {
    return columns.map((c) => (alias ? `${alias}.${this.dialect.quote(c.name)}` : this.dialect.quote(c.name))).join(', ');
  }

  /**
   * A staged column as its table takes it. A column of the user's that Stowage reads as text but
   * is another type (`date`, `uuid`: `ColumnBounds.format`) is cast to it: a warehouse has no
   * implicit cast from text to those in an INSERT … SELECT or a comparison, and the plan has held
   * the text to their form.
   */
  private staged(column: Column, alias: string): string {
    const name = `${alias}.${this.dialect.quote(column.name)}`;
    return column.bounds?.format ? `CAST(${name} AS ${column.bounds.physical})` : name;
  }

  private stagedList(columns: readonly Column[], alias: string): string {
    return columns.map((c) => this.staged(c, alias)).join(', ');
  }

  createSchema(schema: string): string {
    return `CREATE SCHEMA IF NOT EXISTS ${this.dialect.quote(schema)}`;
  }

  createTable(schema: string, table: string, columns: readonly Column[]): string {
    const defs = columns.map((c) => `${this.dialect.quote(c.name)} ${this.dialect.physicalType(c.type)}`).join(', ');
    return `CREATE TABLE IF NOT EXISTS ${this.table(schema, table)} (${defs})`;
  }

  /**
   * A plain (not unique) index on a table's key, named `_stowage_key_<table>` within the length
   * limit: snake_case never yields a leading `_stowage_`, so it cannot take a table's name. Only
   * the key's first column is indexed: it tells the rows apart on its own (the message id; in
   * `users`, `id`, which `user_id` repeats), and a hash index takes a single column.
   */
  createKeyIndex(schema: string, table: string, key: readonly string[]): string {
    const name = applyIdentifierRules(`${INTERNAL_PREFIX}key_${table}`, { ...this.dialect.identifiers, reservedWords: new Set() });
    const method = this.dialect.keyIndexMethod ? ` USING ${this.dialect.keyIndexMethod}` : '';
    return `CREATE INDEX IF NOT EXISTS ${this.dialect.quote(name)} ON ${this.table(schema, table)}${method} (${this.dialect.quote(key[0]!)})`;
  }

  addColumn(schema: string, table: string, column: Column): string {
    return `ALTER TABLE ${this.table(schema, table)} ADD COLUMN ${this.dialect.quote(column.name)} ${this.dialect.physicalType(column.type)}`;
  }

  widenColumn(schema: string, table: string, column: string, type: LogicalType): string {
    return this.dialect.alterColumnType(this.table(schema, table), this.dialect.quote(column), type);
  }

  /** Insert every staged row: rows whose keys were looked up beforehand (see `SyncKeys`). */
  insertAll(schema: string, table: string, stage: string, columns: readonly Column[]): string {
    return `INSERT INTO ${this.table(schema, table)} (${this.columnList(columns)}) SELECT ${this.stagedList(columns, 's')} FROM ${stage} s`;
  }

  /**
   * Insert staged rows whose key the table does not hold yet: a replayed or repeated message is a
   * no-op. With `within`, only the table's rows in that range of the column the keys arrive with
   * are looked at: the rows of each of its spans, whose bounds are the statement's parameters
   * (1 and 2 for the first, 3 and 4 for the next…).
   */
  insertNew(schema: string, table: string, stage: string, columns: readonly Column[], keys: readonly string[], within?: { column: string; type: LogicalType; spans: readonly unknown[] }): string {
    const target = this.table(schema, table);
    const match = keys.map((k) => `t.${this.dialect.quote(k)} = ${this.staged(columns.find((c) => c.name === k) ?? { name: k, type: 'string' }, 's')}`).join(' AND ');
    const type = within && this.dialect.physicalType(within.type);
    const column = within && `t.${this.dialect.quote(within.column)}`;
    const between = (i: number) => `${column} BETWEEN CAST(${this.dialect.param(2 * i + 1)} AS ${type}) AND CAST(${this.dialect.param(2 * i + 2)} AS ${type})`;
    const spans = within ? within.spans.map((_, i) => between(i)) : [];
    const range = spans.length === 0 ? '' : spans.length === 1 ? ` AND ${spans[0]}` : ` AND (${spans.join(' OR ')})`;
    return `INSERT INTO ${target} (${this.columnList(columns)}) SELECT ${this.stagedList(columns, 's')} FROM ${stage} s WHERE NOT EXISTS (SELECT 1 FROM ${target} t WHERE ${match}${range})`;
  }
}
