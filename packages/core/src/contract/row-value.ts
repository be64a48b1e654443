import type { Row, SqlValue } from './driver.js';

/**
 * Whether a plain object inherits a property of this name from `Object.prototype` (`constructor`,
 * `toString`, …). A row is a plain object, so a row with no value for a column of such a name
 * would read the inherited one: `row.constructor` is `Object`, and a load file would hold
 * `function Object() { [native code] }`. The naming rules leave `constructor` alone of them as a
 * column name (`toString` becomes `to_string`), but every reader of rows checks them all.
 */
export function inheritedName(name: string): boolean {
  return name in Object.prototype;
}

/** A row's value of a column: its own, never one it inherits (`inheritedName`). */
export function rowValue(row: Readonly<Record<string, unknown>>, name: string): unknown {
  return inheritedName(name) && !Object.hasOwn(row, name) ? undefined : row[name];
}

/**
 * Per column, in order, whether its name is inherited (`inheritedName`): for a line encoder, which
 * reads every value of every row, so that a column of a plain name costs one look at an array.
 */
export function inheritedNames(names: readonly string[]): boolean[] {
  return names.map(inheritedName);
}

/** `rowValue` for a row of a load file, where the column's `inherited` flag is known (`inheritedNames`). */
export function loadValue(row: Row, name: string, inherited: boolean): SqlValue | undefined {
  return inherited && !Object.hasOwn(row, name) ? undefined : row[name];
}
