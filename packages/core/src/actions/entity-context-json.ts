import { randomUUID } from 'node:crypto';
import { exactJsonText } from '../types/exact-json-text.js';
import { actionsCore } from './actions-core.js';

/** The column of the presets that holds the whole entity context, as one JSON text. */
export const ENTITY_CONTEXT = 'entity_context';

/**
 * The presets' columns that each hold one whole JSON value as its text: the entity context, and a
 * journey's context and metadata. Mapped by an activation of its own to an object, a journey's
 * context was flattened into a column per key (`journey_context_owner_id`…), as wide as the
 * context, and the `journey_context` column never made.
 */
export const JSON_TEXT_COLUMNS: readonly string[] = [ENTITY_CONTEXT, 'journey_context', 'journey_metadata'];

const isObject = (v: unknown): v is Record<string, unknown> => Object.prototype.toString.call(v) === '[object Object]';

/** A `@json` directive's argument that encodes (mapping-kit refuses one without a value). */
function isEncode(argument: unknown): argument is { value: unknown } {
  return isObject(argument) && argument.mode === 'encode' && Boolean(argument.value);
}

/**
 * Whether a mapping always gives JSON text: a `@json` encode (the presets' own mapping of these
 * columns). Its text is kept as it is, whatever it encodes: the encode of a number (`5`) or a
 * boolean reads like a field's text, and was encoded again as a string's JSON (`"5"`) where the
 * preset's same encode stores `5`.
 */
export function buildsJsonText(mapping: unknown): boolean {
  if (!isObject(mapping)) return false;
  const keys = Object.keys(mapping);
  return keys.length === 1 && keys[0] === '@json' && isEncode(mapping['@json']);
}

/** The key of the mark `markEncodes` puts where an encode was: no event's data can hold it. */
const ENCODED = `\u0000stowage:encoded:${randomUUID()}`;

/**
 * The mapping with each `@json` encode whose text is the mapping's value replaced by a mark: one
 * a directive gives as it is, at any depth (an `@if`'s branch, what `@excludeWhenNull` keeps, a
 * `@transform`'s mapping). Undefined where there is none below the top (a top-level encode is
 * known by its shape: `buildsJsonText`). The mark tells only which the mapping kit took; the
 * value is the one the mapping gave.
 */
function markEncodes(mapping: unknown, top = true): unknown {
  if (!isObject(mapping) || Object.keys(mapping).length !== 1) return undefined;
  if (!top && buildsJsonText(mapping)) return { [ENCODED]: true };
  const [directive] = Object.keys(mapping) as [string];
  const argument = mapping[directive];
  if (directive === '@excludeWhenNull') {
    const marked = markEncodes(argument, false);
    return marked === undefined ? undefined : { [directive]: marked };
  }
  if (!isObject(argument)) return undefined;
  const marked: Record<string, unknown> = {};
  for (const key of directive === '@if' ? ['then', 'else'] : directive === '@transform' ? ['mapping'] : []) {
    const inner = markEncodes(argument[key], false);
    if (inner !== undefined) marked[key] = inner;
  }
  return Object.keys(marked).length === 0 ? undefined : { [directive]: { ...argument, ...marked } };
}

/** Whether a mapping has a `@json` encode below the top (`markEncodes`), taken or not event by event. */
export function mayEncodeInBranches(mapping: unknown): boolean {
  return markEncodes(mapping) !== undefined;
}

/**
 * The JSON text columns among `columns` (a mapping's properties) whose value, for this event, is
 * the text of a `@json` encode: a top-level encode's always; an encode below (an `@if`'s branch…)
 * where the mapping kit took it (the column evaluated again, with the encode marked, for those
 * mappings only). Their text is JSON already, whatever it encodes; every other value of these
 * columns is a value, written as its JSON (`jsonTextsAsJson`).
 */
export function encodedColumns(columns: Record<string, unknown>, event: unknown): Set<string> {
  const encoded = new Set<string>();
  for (const column of JSON_TEXT_COLUMNS) {
    if (!Object.hasOwn(columns, column)) continue;
    if (buildsJsonText(columns[column])) {
      encoded.add(column);
      continue;
    }
    const marked = markEncodes(columns[column]);
    if (marked === undefined || event === undefined) continue;
    const value = (actionsCore().transform({ [column]: marked } as never, event as never) as Record<string, unknown>)[column];
    if (isObject(value) && value[ENCODED] === true) encoded.add(column);
  }
  return encoded;
}

/** One JSON text column's value as JSON text (`jsonTextsAsJson`); undefined where it stays as it is. */
function asJsonText(value: unknown): string | undefined {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return exactJsonText(value);
  return undefined;
}

/**
 * Each of `columns` (of `JSON_TEXT_COLUMNS`) holds one JSON text, which decodes to the value the
 * mapping gave: a string as its JSON (`c1` as `"c1"`, and `{"a":1}` as `"{\"a\":1}"`: a string
 * that reads as JSON was stored as the object, and `"q"` as `q`'s JSON, two values on one text);
 * a number or a boolean as its JSON text (never a column of numbers); an object or an array as its
 * JSON by the writer; null leaves the column empty. Not for a column whose value is a `@json`
 * encode's text (`encodedColumns`): that is JSON text already, whatever it encodes, and this would
 * encode it again (a journey context of `5`, encoded `5`, stored as `"5"`).
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
