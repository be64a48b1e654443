import type { IdentifierRules } from '../contract/dialect.js';
import { applyIdentifierRules } from './identifier.js';
import { MAX_FLATTEN_DEPTH } from './flatten.js';
import { snakeCase } from './snake-case.js';
import { exactJsonText } from '../types/exact-json-text.js';

/** A value that lost a naming collision inside one event: two keys that name the same column. */
export interface NameCollision {
  messageId: string;
  table: string;
  column: string;
  value: unknown;
}

/**
 * A key path of user data (`context` → `userAgentData` → `mobile`) and, once asked, its column.
 * Every call of a space repeats the same few paths: walking them through this tree names each
 * leaf with a lookup per key, where flattening first made a path string and a pair per leaf.
 */
interface PathNode {
  path: string;
  column?: string;
  children?: Map<string, PathNode>;
}

/**
 * Puts a value in its column unless a different, non-null value of the same event took it: then
 * it is a collision, reported so the caller can quarantine it.
 */
export function placeValue(row: Record<string, unknown>, column: string, value: unknown, where: { table: string; messageId: string }, collisions: NameCollision[]): void {
  // Own properties only: a key named `constructor` or `toString` is data, not the prototype's.
  const held = Object.hasOwn(row, column) ? row[column] : undefined;
  if (held === undefined || held === null) row[column] = value;
  else if (value !== null && value !== held) collisions.push({ messageId: where.messageId, table: where.table, column, value });
}

/** Paths remembered at most (hostile input may bring endless distinct keys); past it, named afresh. */
const MAX_PATHS = 100_000;

/** Called with each leaf of an object flattened: its column name and value. */
export type LeafVisitor = (column: string, value: unknown) => void;

/**
 * Turns keys of user data (traits, properties, mapped fields) into column names, the same way on
 * both paths: flattened with `_`, snake_case, the warehouse's identifier rules, and a key named
 * like a standard column of its table kept as `_<name>`, never dropped.
 */
export class ColumnNamer {
  /** Final column name per path: a space has few distinct paths and every event repeats them. */
  private readonly names = new Map<string, string>();
  /** `_<name>` per standard column name: apart from `names`, whose keys are any text a call sends. */
  private readonly keptNames = new Map<string, string>();
  /** Path trees by prefix (`''` for traits and properties, `context`). */
  private readonly roots = new Map<string, PathNode>();
  private paths = 0;

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
    let name = this.keptNames.get(column);
    if (name === undefined) this.keptNames.set(column, (name = applyIdentifierRules(`_${column}`, this.rules)));
    return name;
  }

  /**
   * Places user values in a row that already holds the standard columns. A value whose column a
   * different, non-null value of the same event already took is a collision, reported so the
   * caller can quarantine it.
   */
  place(row: Record<string, unknown>, values: Record<string, unknown> | undefined, isStandard: (column: string) => boolean, where: { table: string; messageId: string }, collisions: NameCollision[]): void {
    if (!values) return;
    this.forEachLeaf(values, '', (name, value) => placeValue(row, isStandard(name) ? this.kept(name) : name, value, where, collisions));
  }

  /**
   * Visits the leaves of `values` exactly as `flatten(values, prefix)` lists them, in its order,
   * each with its column name (`column(path)`).
   */
  forEachLeaf(values: Record<string, unknown>, prefix: string, visit: LeafVisitor): void {
    let root = this.roots.get(prefix);
    if (!root) this.roots.set(prefix, (root = { path: prefix }));
    this.walk(values, root, 0, visit);
  }

  private walk(values: Record<string, unknown>, parent: PathNode, depth: number, visit: LeafVisitor): void {
    for (const key of Object.keys(values)) {
      const leaf = values[key];
      // A function is no value: the mapping kit's path through an object's prototype finds one
      // (`constructor` of a context that lacks the key), which a payload sent as JSON would not hold.
      if (leaf === undefined || typeof leaf === 'function') continue;
      const node = this.child(parent, key);
      if (leaf !== null && typeof leaf === 'object') {
        if (Array.isArray(leaf) || depth + 1 >= MAX_FLATTEN_DEPTH) visit(this.columnOf(node), exactJsonText(leaf));
        else this.walk(leaf as Record<string, unknown>, node, depth + 1, visit);
      } else {
        visit(this.columnOf(node), leaf);
      }
    }
  }

  private child(parent: PathNode, key: string): PathNode {
    let node = parent.children?.get(key);
    if (node) return node;
    node = { path: parent.path === '' ? key : `${parent.path}_${key}` };
    if (this.paths < MAX_PATHS) {
      (parent.children ??= new Map()).set(key, node);
      this.paths++;
    }
    return node;
  }

  private columnOf(node: PathNode): string {
    return (node.column ??= this.column(node.path));
  }
}
