import { canonicalJsonEnd, foundCanonical, plainFrom } from '../types/canonical-json.js';
import { MAX_JSON_DEPTH } from '../types/json-value.js';
import { parseJsonExactly } from '../types/exact-json.js';
import { JsonText } from './json-text.js';

const QUOTE = 34;
const BACKSLASH = 92;
const COMMA = 44;
const COLON = 58;
const LBRACE = 123;
const RBRACE = 125;
const LBRACKET = 91;
const RBRACKET = 93;

const isSpace = (c: number) => c === 32 || c === 9 || c === 10 || c === 13;

function skipSpace(text: string, i: number): number {
  while (isSpace(text.charCodeAt(i))) i++;
  return i;
}

/** At a string's opening quote: the index past its closing one, or -1. */
function skipString(text: string, i: number): number {
  for (let j = i + 1; j < text.length; j++) {
    const c = text.charCodeAt(j);
    if (c === BACKSLASH) j++;
    else if (c === QUOTE) return j + 1;
  }
  return -1;
}

/**
 * At a value: the index past it, or -1. Lenient (a number or a literal runs to the next
 * delimiter): this only finds extents, and JSON.parse reads what it passes over.
 */
function skipValue(text: string, i: number): number {
  const c = text.charCodeAt(i);
  if (c === QUOTE) return skipString(text, i);
  if (c === LBRACE || c === LBRACKET) {
    let depth = 0;
    for (let j = i; j < text.length; j++) {
      const d = text.charCodeAt(j);
      if (d === QUOTE) {
        const end = skipString(text, j);
        if (end < 0) return -1;
        j = end - 1;
      } else if (d === LBRACE || d === LBRACKET) {
        depth++;
      } else if ((d === RBRACE || d === RBRACKET) && --depth === 0) {
        return j + 1;
      }
    }
    return -1;
  }
  let j = i;
  for (let d = text.charCodeAt(j); j < text.length && d !== COMMA && d !== RBRACE && d !== RBRACKET && !isSpace(d); d = text.charCodeAt(++j));
  return j > i ? j : -1;
}

/** Where a value lies in a profile's text. */
interface Span {
  start: number;
  end: number;
}

/** The contexts of a profile's text kept as they are written: its own, and its entities' (by their index). */
interface KeptTexts {
  context?: Span;
  entities: Array<Span & { index: number }>;
}

/** At a key's opening quote: the key and the index past it, or undefined for a key with an escape (it may spell a name another way). */
function keyAt(text: string, i: number): { key: string; end: number } | undefined {
  if (text.charCodeAt(i) !== QUOTE) return undefined;
  const end = skipString(text, i);
  if (end < 0) return undefined;
  const key = text.slice(i + 1, end - 1);
  return key.includes('\\') ? undefined : { key, end };
}

/**
 * At an object's opening brace: gives `value` each member's key and the index of its value, and
 * takes back the index past the value (-1 to give up); returns the index past the closing brace,
 * or -1 where the object is not plainly written (a key with an escape) or not JSON.
 */
function eachMember(text: string, i: number, value: (key: string, at: number) => number): number {
  if (text.charCodeAt(i) !== LBRACE) return -1;
  i = skipSpace(text, i + 1);
  if (text.charCodeAt(i) === RBRACE) return i + 1;
  for (;;) {
    const k = keyAt(text, i);
    if (!k) return -1;
    i = skipSpace(text, k.end);
    if (text.charCodeAt(i) !== COLON) return -1;
    i = value(k.key, skipSpace(text, i + 1));
    if (i < 0) return -1;
    i = skipSpace(text, i);
    const c = text.charCodeAt(i);
    if (c === RBRACE) return i + 1;
    if (c !== COMMA) return -1;
    i = skipSpace(text, i + 1);
  }
}

/**
 * At an `entities` array: where each entity's `context` object lies, when written as Stowage
 * writes JSON, and the index past the array; undefined where the array is not a plain list of
 * objects each naming `context` once (the common way then reads it, and says what is wrong).
 * An entity's context is nested two levels below the `entities` its depth is counted from.
 */
function entityContextsAt(text: string, i: number, plain: boolean): { end: number; spans: KeptTexts['entities'] } | undefined {
  if (text.charCodeAt(i) !== LBRACKET) return undefined;
  const spans: KeptTexts['entities'] = [];
  i = skipSpace(text, i + 1);
  if (text.charCodeAt(i) === RBRACKET) return { end: i + 1, spans };
  for (let index = 0; ; index++) {
    let context = false;
    i = eachMember(text, i, (key, at) => {
      if (key !== 'context') return skipValue(text, at);
      // JSON.parse keeps the last of a key written twice.
      if (context) return -1;
      context = true;
      const end = text.charCodeAt(at) === LBRACE ? canonicalJsonEnd(text, at, MAX_JSON_DEPTH - 2, plain) : -1;
      if (end < 0) return skipValue(text, at);
      spans.push({ index, start: at, end });
      return end;
    });
    if (i < 0) return undefined;
    i = skipSpace(text, i);
    const c = text.charCodeAt(i);
    if (c === RBRACKET) return { end: i + 1, spans };
    if (c !== COMMA) return undefined;
    i = skipSpace(text, i + 1);
  }
}

/**
 * Where a profile's `entityContext` object and its entities' `context` objects are in its text,
 * when each is a key written once and plainly and its value is written as Stowage writes JSON
 * (`canonicalJsonEnd`); undefined when none is.
 */
function keptTextsAt(text: string): KeptTexts | undefined {
  const i = skipSpace(text, 0);
  const plain = plainFrom(text, i);
  const kept: KeptTexts = { entities: [] };
  let entities = false;
  const end = eachMember(text, i, (key, at) => {
    if (key === 'entityContext') {
      // JSON.parse keeps the last of a key written twice.
      if (kept.context || text.charCodeAt(at) !== LBRACE) return -1;
      const end = canonicalJsonEnd(text, at, MAX_JSON_DEPTH, plain);
      if (end >= 0) kept.context = { start: at, end };
      return end;
    }
    if (key === 'entities') {
      if (entities) return -1;
      entities = true;
      const found = entityContextsAt(text, at, plain);
      if (found) kept.entities = found.spans;
      return found ? found.end : skipValue(text, at);
    }
    return skipValue(text, at);
  });
  return end >= 0 && (kept.context || kept.entities.length > 0) ? kept : undefined;
}

/**
 * A run profile's JSON text parsed as `parseJsonExactly` parses it, except that its entity
 * context and its entities' contexts, when written as Stowage would write them (as
 * JSON.stringify writes: a file made by a JavaScript producer, or one that writes compact JSON),
 * are kept as that text (`JsonText`), not parsed: the profile state keeps the text, and the
 * warehouse gets it, byte for byte as the parsed value written again, for ~2 µs a kilobyte
 * where parsing and writing it took ~20 µs and the garbage collector's copies of every object of
 * it. Any other context is parsed.
 */
export function parseProfileText(text: string): unknown {
  const kept = keptTextsAt(text);
  if (!kept) return parseJsonExactly(text);
  const spans: Span[] = [...(kept.context ? [kept.context] : []), ...kept.entities].sort((a, b) => a.start - b.start);
  let parsed: unknown;
  try {
    // Each context's place holds an empty object: valid exactly where the context was.
    let hollow = '';
    let from = 0;
    for (const span of spans) {
      hollow += `${text.slice(from, span.start)}{}`;
      from = span.end;
    }
    parsed = parseJsonExactly(hollow + text.slice(from));
  } catch {
    // Not JSON elsewhere: the error is told about the text as it was sent, its positions too.
    return parseJsonExactly(text);
  }
  const profile = parsed as Record<string, unknown>;
  if (kept.context) profile.entityContext = foundCanonical(new JsonText(text.slice(kept.context.start, kept.context.end)));
  const entities = profile.entities as Array<Record<string, unknown>>;
  for (const { index, start, end } of kept.entities) entities[index]!.context = foundCanonical(new JsonText(text.slice(start, end)));
  return parsed;
}

/**
 * The first key written twice among the members of the JSON object `text` holds (its top level
 * only), or undefined. JSON.parse keeps the last of the two without a word; in a run's header
 * (`"kind": "delta", …, "kind": "snapshot"`) which one the producer meant decides whether every
 * member the run does not list exits. Text that is no plain JSON object names none (the parse
 * says what is wrong with it).
 */
export function repeatedKey(text: string): string | undefined {
  const seen = new Set<string>();
  let repeated: string | undefined;
  let i = skipSpace(text, 0);
  if (text.charCodeAt(i) !== LBRACE) return undefined;
  i = skipSpace(text, i + 1);
  if (text.charCodeAt(i) === RBRACE) return undefined;
  for (;;) {
    if (text.charCodeAt(i) !== QUOTE) return undefined;
    const end = skipString(text, i);
    if (end < 0) return undefined;
    let key: string;
    try {
      // Read as JSON reads it: "kind" and "\u006bind" are one key.
      key = JSON.parse(text.slice(i, end)) as string;
    } catch {
      return undefined;
    }
    if (seen.has(key)) repeated ??= key;
    seen.add(key);
    i = skipSpace(text, end);
    if (text.charCodeAt(i) !== COLON) return undefined;
    i = skipValue(text, skipSpace(text, i + 1));
    if (i < 0) return undefined;
    i = skipSpace(text, i);
    const c = text.charCodeAt(i);
    if (c === RBRACE) return repeated;
    if (c !== COMMA) return undefined;
    i = skipSpace(text, i + 1);
  }
}
