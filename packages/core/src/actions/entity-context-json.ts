import { exactJsonText } from '../types/exact-json-text.js';

/** The column of the presets that holds the whole entity context, as one JSON text. */
export const ENTITY_CONTEXT = 'entity_context';

/**
 * The presets' columns that each hold one whole JSON value as its text: the entity context, and a
 * journey's context and metadata. Mapped by an activation of its own to an object, a journey's
 * context was flattened into a column per key (`journey_context_owner_id`…), as wide as the
 * context, and the `journey_context` column never made.
 */
export const JSON_TEXT_COLUMNS: readonly string[] = [ENTITY_CONTEXT, 'journey_context', 'journey_metadata'];

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
 * Whether a mapping always gives JSON text: a `@json` encode (the presets' own mapping of these
 * columns). Its text is kept as it is, whatever it encodes: the encode of a number (`5`) or a
 * boolean reads like a field's text, and was encoded again as a string's JSON (`"5"`) where the
 * preset's same encode stores `5`.
 */
export function buildsJsonText(mapping: unknown): boolean {
  if (typeof mapping !== 'object' || mapping === null || Array.isArray(mapping)) return false;
  const keys = Object.keys(mapping);
  if (keys.length !== 1 || keys[0] !== '@json') return false;
  const argument = (mapping as Record<string, unknown>)['@json'];
  return typeof argument === 'object' && argument !== null && (argument as Record<string, unknown>).mode === 'encode';
}

/** One JSON text column's value as JSON text (`jsonTextsAsJson`); undefined where it stays as it is. */
function asJsonText(value: unknown): string | undefined {
  if (typeof value === 'string') return isBuiltJson(value) ? undefined : JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return exactJsonText(value);
  return undefined;
}

/**
 * Each of `columns` (of `JSON_TEXT_COLUMNS`) holds one JSON text whatever an activation maps into
 * it: a string its own mapping gives is written as it is where it is built JSON (`isBuiltJson`),
 * else as its JSON (`c1` as `"c1"`); a number or a boolean as its JSON text (never a column of
 * numbers); an object or an array as its JSON by the writer; null leaves the column empty. Only
 * for the columns a mapping other than the presets' may have made (an activation's own, a direct
 * caller's of the definition): the presets' encode gives JSON text, which parsing again would cost
 * a run, and which this would encode again where it is a number's or a boolean's (a journey
 * context of `5`, encoded `"5"`, stored as `"\"5\""`).
 */
export function jsonTextsAsJson<P extends { properties?: unknown }>(payload: P, columns: readonly string[]): P {
  const properties = payload.properties as Record<string, unknown> | undefined;
  if (!properties) return payload;
  let out: Record<string, unknown> | undefined;
  for (const column of columns) {
    const text = asJsonText(properties[column]);
    if (text !== undefined) (out ??= { ...properties })[column] = text;
  }
  return out ? { ...payload, properties: out } : payload;
}
