import { exactJsonText } from '../types/exact-json-text.js';

/** The column of the presets that holds the whole entity context, as one JSON text. */
export const ENTITY_CONTEXT = 'entity_context';

/**
 * Whether text is the JSON of an object, an array or a string (`{"a":1}`, `"c1"`): what a mapping
 * that builds JSON gives (a `@json` encode, a template). `12345`, `true` or `null` are taken for
 * a field's text, as `c1` is: the column's JSON would otherwise be of another type row by row.
 */
function isBuiltJson(text: string): boolean {
  const first = text.trimStart()[0];
  if (first !== '{' && first !== '[' && first !== '"') return false;
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/**
 * The column holds one JSON text whatever an activation maps into it: a string its own mapping
 * gives is written as it is where it is built JSON (`isBuiltJson`), else as its JSON (`c1` as
 * `"c1"`); a number or a boolean as its JSON text (never a column of numbers); an object or an
 * array as its JSON by the writer; null leaves the column empty. Looked at only where a mapping
 * other than the presets' may have made the column (an activation's own, a direct caller's of
 * the definition): the presets' encode gives JSON text, and parsing it again would cost a run.
 */
export function entityContextAsJson<P extends { properties?: unknown }>(payload: P): P {
  const properties = payload.properties as Record<string, unknown> | undefined;
  const context = properties?.[ENTITY_CONTEXT];
  let text: string;
  if (typeof context === 'string') {
    if (isBuiltJson(context)) return payload;
    text = JSON.stringify(context);
  } else if (typeof context === 'number' || typeof context === 'boolean') {
    text = exactJsonText(context);
  } else {
    return payload;
  }
  return { ...payload, properties: { ...properties, [ENTITY_CONTEXT]: text } };
}
