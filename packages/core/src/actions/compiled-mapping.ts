/**
 * A field mapping turned into plain property reads, with mapping-kit's semantics: what
 * `transformBatch` returns for the same mapping and event. Only the directives the presets and
 * most activations use are compiled (`@path` with a dotted path, `@json` encode of a compiled
 * value, literals, and objects and arrays of them); a mapping with any other directive is not
 * compiled, and goes through mapping-kit itself. Mapping-kit walks the mapping and parses each
 * path anew for every event, which is most of a Storage Actions write's client time.
 */
import { JsonText, jsonValue } from '../runs/json-text.js';
import { exactJsonText } from '../types/exact-json-text.js';

export type CompiledMapping = (event: object) => Record<string, unknown>;

type Resolver = (event: object) => unknown;

/** mapping-kit's test of an object: a plain one (a Date or a Buffer is a value). */
const isObject = (v: unknown): v is Record<string, unknown> => Object.prototype.toString.call(v) === '[object Object]';

/** A path mapping-kit's `get` splits on dots only: no brackets, no quotes. */
const DOTTED_PATH = /^\$\.[^[\]'"]*$/;

/**
 * A path read. JSON text on the way (an entity context as the state keeps it) is read as its
 * value; `raw` leaves a JSON text found at the end as it is, for an encode to take its text.
 */
function compilePath(path: unknown, raw = false): Resolver | undefined {
  if (typeof path !== 'string' || !DOTTED_PATH.test(path)) return undefined;
  const keys = path.slice(2).split('.').filter((k) => k !== '');
  // `get` stops at the first falsy value and returns it (`prev && prev[key]`), and so does this.
  return (event) => {
    let value: unknown = event;
    for (const key of keys) {
      if (value instanceof JsonText) value = value.value;
      value = value && (value as Record<string, unknown>)[key];
    }
    return raw ? value : jsonValue(value);
  };
}

function compileDirective(name: string, argument: unknown): Resolver | undefined {
  if (name === '@path') return compilePath(argument);
  if (name === '@json') {
    if (!isObject(argument) || argument.mode !== 'encode' || Object.keys(argument).length !== 2 || !argument.value) return undefined;
    const inner = argument.value as Record<string, unknown>;
    const pathOnly = isObject(inner) && Object.keys(inner).length === 1 && Object.hasOwn(inner, '@path');
    const value = pathOnly ? compilePath(inner['@path'], true) : compileValue(inner);
    // JSON text encodes as itself: the stringify of its value would give the same text, at a cost.
    return value && ((event) => {
      const v = value(event);
      return v instanceof JsonText ? v.text : exactJsonText(v);
    });
  }
  return undefined;
}

function compileValue(mapping: unknown): Resolver | undefined {
  if (Array.isArray(mapping)) {
    const items = mapping.map(compileValue);
    if (items.some((item) => item === undefined)) return undefined;
    return (event) => items.map((item) => item!(event));
  }
  if (!isObject(mapping)) return () => mapping;
  const keys = Object.keys(mapping);
  if (keys.some((key) => key.startsWith('@'))) {
    // A directive: exactly one `@` key and nothing else (metadata, or keys mapping-kit rejects, are left to it).
    return keys.length === 1 ? compileDirective(keys[0]!, mapping[keys[0]!]) : undefined;
  }
  const fields: Array<[string, Resolver]> = [];
  for (const key of keys) {
    const resolver = compileValue(mapping[key]);
    if (!resolver) return undefined;
    fields.push([key, resolver]);
  }
  return (event) => {
    const out: Record<string, unknown> = {};
    for (const [key, resolver] of fields) setOwn(out, key, resolver(event));
    return out;
  };
}

/**
 * `out[key] = value`, for `__proto__` too, which an assignment takes for the object's prototype:
 * a context's key like any other, whose value would otherwise vanish with no trace. (The mapping
 * kit's own copy loses it: a mapping it evaluates drops such a key, as Segment's does.)
 */
function setOwn(out: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
  else out[key] = value;
}

/** mapping-kit's `removeUndefined`: a deep copy without undefined object values. */
function removeUndefined(value: unknown): unknown {
  if (value instanceof JsonText) return removeUndefined(value.value);
  if (Array.isArray(value)) return value.map(removeUndefined);
  if (!isObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const v = value[key];
    if (v !== undefined) setOwn(out, key, removeUndefined(v));
  }
  return out;
}

/** The mapping compiled, or undefined when it uses a directive only mapping-kit evaluates. */
export function compileMapping(mapping: Record<string, unknown>): CompiledMapping | undefined {
  // A root directive (mapping-kit's internal key) rearranges the whole mapping: mapping-kit's own.
  if (Object.hasOwn(mapping, '__segment_internal_directive')) return undefined;
  const root = compileValue(mapping);
  return root && ((event) => removeUndefined(root(event)) as Record<string, unknown>);
}
