/**
 * Rows per table (a sync's record, a write's result): a plain object keyed by table name, where an
 * event table may be named `constructor`, whose count a plain object would otherwise read as the
 * inherited `Object` (and add to it as text). Only own counts are read.
 */
export function countOf(counts: Readonly<Record<string, number>>, table: string): number {
  return Object.hasOwn(counts, table) ? counts[table]! : 0;
}

/** Adds `n` to a table's count. */
export function addCount(counts: Record<string, number>, table: string, n: number): void {
  counts[table] = countOf(counts, table) + n;
}
