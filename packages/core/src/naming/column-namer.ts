import type { IdentifierRules } from '../contract/dialect.js';
import { applyIdentifierRules } from './identifier.js';
import { flatten } from './flatten.js';
import { snakeCase } from './snake-case.js';

/** A value that lost a naming collision inside one event: two keys that name the same column. */
export interface NameCollision {
  messageId: string;
  table: string;
  column: string;
  value: unknown;
}

/**
 * Turns keys of user data (traits, properties, mapped fields) into column names, the same way on
 * both paths: flattened with `_`, snake_case, the warehouse's identifier rules, and a key named
 * like a standard column of its table kept as `_<name>`, never dropped.
 */
export class ColumnNamer {
  /** Final column name per path: a space has few distinct paths and every event repeats them. */
  private readonly names = new Map<string, string>();

  constructor(private readonly rules: IdentifierRules) {}

  column(path: string): string {
    let name = this.names.get(path);
    if (name === undefined) {
      name = applyIdentifierRules(snakeCase(path), this.rules);
      if (this.names.size < 100_000) this.names.set(path, name);
    }
    return name;
  }

  /** The name a key named like a standard column is kept under: `_<name>`. */
  kept(column: string): string {
    const key = `\u0000${column}`;
    let name = this.names.get(key);
    if (name === undefined) this.names.set(key, (name = applyIdentifierRules(`_${column}`, this.rules)));
    return name;
  }

  /**
   * Places user values in a row that already holds the standard columns. A value whose column a
   * different, non-null value of the same event already took is a collision, reported so the
   * caller can quarantine it.
   */
  place(row: Record<string, unknown>, values: Record<string, unknown> | undefined, isStandard: (column: string) => boolean, where: { table: string; messageId: string }, collisions: NameCollision[]): void {
    if (!values) return;
    for (const [path, value] of flatten(values)) {
      let column = this.column(path);
      if (isStandard(column)) column = this.kept(column);
      // Own properties only: a key named `constructor` or `toString` is data, not the prototype's.
      const held = Object.hasOwn(row, column) ? row[column] : undefined;
      if (held === undefined || held === null) row[column] = value;
      else if (value !== null && value !== held) collisions.push({ messageId: where.messageId, table: where.table, column, value });
    }
  }
}
