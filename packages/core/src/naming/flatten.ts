import { exactJsonText } from '../types/exact-json-text.js';

/** How deep nested objects are flattened; anything deeper is kept whole as a JSON string. */
export const MAX_FLATTEN_DEPTH = 16;

/**
 * Flattens a JSON object into path → leaf value, joining path segments with `_` (naming is
 * applied by the caller to the joined path). Arrays are kept as JSON strings; empty objects
 * produce nothing; `undefined` and functions are skipped; `null` is kept (it fills, but never creates, a column).
 */
export function flatten(value: Record<string, unknown>, prefix = '', out: Array<[string, unknown]> = [], depth = 0): Array<[string, unknown]> {
  for (const key of Object.keys(value)) {
    const leaf = value[key];
    const path = prefix === '' ? key : `${prefix}_${key}`;
    // A function is no value, as `ColumnNamer.forEachLeaf` reads it (a mapping's path through an object's prototype).
    if (leaf === undefined || typeof leaf === 'function') continue;
    if (leaf !== null && typeof leaf === 'object' && !Array.isArray(leaf)) {
      if (depth + 1 >= MAX_FLATTEN_DEPTH) out.push([path, exactJsonText(leaf)]);
      else flatten(leaf as Record<string, unknown>, path, out, depth + 1);
    } else if (Array.isArray(leaf)) {
      out.push([path, exactJsonText(leaf)]);
    } else {
      out.push([path, leaf]);
    }
  }
  return out;
}
