import { canonicalJsonEnd, foundCanonical, plainFrom } from '../types/canonical-json.js';
import { MAX_JSON_DEPTH } from '../types/json-value.js';
import { parseJsonExactly } from '../types/exact-json.js';
import { JsonText } from './json-text.js';
import { RunFormatError } from './parse.js';

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

/** At a key's opening quote: the key as JSON reads it (`"\u0069d"` is `id`) and the index past it, or undefined. */
function decodedKeyAt(text: string, i: number): { key: string; end: number } | undefined {
  if (text.charCodeAt(i) !== QUOTE) return undefined;
  const end = skipString(text, i);
  if (end < 0) return undefined;
  const key = text.slice(i + 1, end - 1);
  if (!key.includes('\\')) return { key, end };
  try {
    return { key: JSON.parse(text.slice(i, end)) as string, end };
  } catch {
    return undefined;
  }
}

/**
 * At an object's opening brace: gives `value` each member's key and the index of its value, and
 * takes back the index past the value (-1 to give up); returns the index past the closing brace,
 * or -1 where the object is not plainly written (a key with an escape, unless `key` reads one) or not JSON.
 */
function eachMember(text: string, i: number, value: (key: string, at: number) => number, key = keyAt): number {
  if (text.charCodeAt(i) !== LBRACE) return -1;
  i = skipSpace(text, i + 1);
  if (text.charCodeAt(i) === RBRACE) return i + 1;
  for (;;) {
    const k = key(text, i);
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
 * At an array's opening bracket: gives `item` each item's index and the index where it begins,
 * and takes back the index past it (-1 to give up); returns the index past the closing bracket,
 * or -1.
 */
function eachItem(text: string, i: number, item: (index: number, at: number) => number): number {
  if (text.charCodeAt(i) !== LBRACKET) return -1;
  i = skipSpace(text, i + 1);
  if (text.charCodeAt(i) === RBRACKET) return i + 1;
  for (let index = 0; ; index++) {
    i = item(index, i);
    if (i < 0) return -1;
    i = skipSpace(text, i);
    const c = text.charCodeAt(i);
    if (c === RBRACKET) return i + 1;
    if (c !== COMMA) return -1;
    i = skipSpace(text, i + 1);
  }
}

/** A key a profile's text writes twice: in the profile, or in one of its entities or mobile ids (`where`: `entities[1]`). */
interface KeyTwice {
  key: string;
  where?: string;
}

/** The error of a key written twice: JSON.parse keeps the last without a word (`"userId":"u1", …, "userId":"u2"` went to u2). */
const keyTwice = ({ key, where }: KeyTwice) => `${where ?? 'the profile'} has the key ${JSON.stringify(key)} twice; which one is meant cannot be told (JSON readers keep either): write it once`;

/**
 * At an `entities` array: where each entity's `context` object lies, when written as Stowage
 * writes JSON, and the index past the array, or the first entity naming `id` or `context` twice
 * (`twice`, the array then left); undefined where the array is not a plain list of objects (the
 * common way then reads it, and says what is wrong). An entity's context is nested two levels
 * below the `entities` its depth is counted from.
 */
function entityContextsAt(text: string, i: number, plain: boolean): { end: number; spans: KeptTexts['entities']; twice?: KeyTwice } | undefined {
  const spans: KeptTexts['entities'] = [];
  let twice: KeyTwice | undefined;
  const end = eachItem(text, i, (index, at) => {
    let id = false;
    let context = false;
    return eachMember(text, at, (key, at) => {
      // Any other key is refused as unknown (`parseRunProfile`).
      if ((key === 'id' && id) || (key === 'context' && context)) {
        twice = { key, where: `entities[${index}]` };
        return -1;
      }
      if (key === 'id') id = true;
      if (key !== 'context') return skipValue(text, at);
      context = true;
      const end = text.charCodeAt(at) === LBRACE ? canonicalJsonEnd(text, at, MAX_JSON_DEPTH - 2, plain) : -1;
      if (end < 0) return skipValue(text, at);
      spans.push({ index, start: at, end });
      return end;
    });
  });
  if (twice) return { end: -1, spans, twice };
  return end < 0 ? undefined : { end, spans };
}

/** At a `mobileIds` array: the index past it, or the first mobile id naming `id` or `type` twice (`twice`); undefined where it is not a plain list of objects. */
function mobileIdsAt(text: string, i: number): { end: number; twice?: KeyTwice } | undefined {
  let twice: KeyTwice | undefined;
  const end = eachItem(text, i, (index, at) => {
    let id = false;
    let type = false;
    return eachMember(text, at, (key, at) => {
      if ((key === 'id' && id) || (key === 'type' && type)) {
        twice = { key, where: `mobileIds[${index}]` };
        return -1;
      }
      if (key === 'id') id = true;
      if (key === 'type') type = true;
      return skipValue(text, at);
    });
  });
  if (twice) return { end: -1, twice };
  return end < 0 ? undefined : { end };
}

/**
 * One walk over a profile's text, which every line takes: where its `entityContext` object and
 * its entities' `context` objects are, when each is written plainly and its value as Stowage
 * writes JSON (`canonicalJsonEnd`); and the first key it writes twice, in the profile or in an
 * entity or a mobile id, found on the way for the cost of a look among a few keys. `checked` is
 * false where the walk could not tell (a key of an entity spelt with an escape, a list not
 * plainly written): `repeatedProfileKey` then reads it. Undefined where the profile's own keys
 * are not plainly written (a key with an escape) or the text is not JSON.
 */
function walkProfile(text: string): { kept?: KeptTexts; twice?: KeyTwice; checked: boolean } | undefined {
  const i = skipSpace(text, 0);
  const plain = plainFrom(text, i);
  const kept: KeptTexts = { entities: [] };
  const keys: string[] = [];
  let twice: KeyTwice | undefined;
  let checked = true;
  const end = eachMember(text, i, (key, at) => {
    if (keys.includes(key)) {
      twice = { key };
      return -1;
    }
    keys.push(key);
    if (key === 'entityContext') {
      const end = text.charCodeAt(at) === LBRACE ? canonicalJsonEnd(text, at, MAX_JSON_DEPTH, plain) : -1;
      if (end < 0) return skipValue(text, at);
      kept.context = { start: at, end };
      return end;
    }
    if (key !== 'entities' && key !== 'mobileIds') return skipValue(text, at);
    const found: { end: number; spans?: KeptTexts['entities']; twice?: KeyTwice } | undefined = key === 'entities' ? entityContextsAt(text, at, plain) : mobileIdsAt(text, at);
    if (!found) {
      checked = false;
      return skipValue(text, at);
    }
    twice = found.twice;
    if (found.spans) kept.entities = found.spans;
    return found.end;
  });
  if (twice) return { twice, checked: true };
  if (end < 0) return undefined;
  return { kept: kept.context || kept.entities.length > 0 ? kept : undefined, checked };
}

/**
 * The first key written twice among the members of the object at `i`, keys read as JSON reads
 * them ("kind" and "\u006bind" are one key), each member's value given to `value` (passed over
 * by default), and the index past the object (-1 where it is no JSON object).
 */
function repeatAt(text: string, i: number, value = (_key: string, at: number) => skipValue(text, at)): { key?: string; end: number } {
  const seen = new Set<string>();
  let key: string | undefined;
  const end = eachMember(
    text,
    i,
    (k, at) => {
      if (seen.has(k)) key ??= k;
      seen.add(k);
      return value(k, at);
    },
    decodedKeyAt,
  );
  return { key, end };
}

/**
 * The first key a profile's text writes twice, in it or in an entity or a mobile id, every key
 * read as JSON reads it: the careful way, for the few texts `walkProfile` cannot tell of.
 * Undefined for none, or for text that is no plain JSON object (the parse says what is wrong).
 */
function repeatedProfileKey(text: string): KeyTwice | undefined {
  let inner: KeyTwice | undefined;
  const top = repeatAt(text, skipSpace(text, 0), (key, at) => {
    if ((key !== 'entities' && key !== 'mobileIds') || text.charCodeAt(at) !== LBRACKET) return skipValue(text, at);
    return eachItem(text, at, (index, at) => {
      if (text.charCodeAt(at) !== LBRACE) return skipValue(text, at);
      const found = repeatAt(text, at);
      if (found.key !== undefined) inner ??= { key: found.key, where: `${key}[${index}]` };
      return found.end;
    });
  });
  if (top.end < 0) return undefined;
  return top.key !== undefined ? { key: top.key } : inner;
}

/**
 * A run profile's JSON text parsed as `parseJsonExactly` parses it, except that its entity
 * context and its entities' contexts, when written as Stowage would write them (as
 * JSON.stringify writes: a file made by a JavaScript producer, or one that writes compact JSON),
 * are kept as that text (`JsonText`), not parsed: the profile state keeps the text, and the
 * warehouse gets it, byte for byte as the parsed value written again, for ~2 µs a kilobyte
 * where parsing and writing it took ~20 µs and the garbage collector's copies of every object of
 * it. Any other context is parsed. A key written twice, in the profile or in one of its entities
 * or mobile ids, is refused (`RunFormatError`), where JSON.parse would keep the last.
 */
export function parseProfileText(text: string): unknown {
  const walked = walkProfile(text);
  const twice = walked?.twice ?? (walked?.checked ? undefined : repeatedProfileKey(text));
  if (twice) {
    // Text that is not JSON elsewhere is refused as such first, as any line is.
    parseJsonExactly(text);
    throw new RunFormatError(keyTwice(twice));
  }
  const kept = walked?.kept;
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
  const { key, end } = repeatAt(text, skipSpace(text, 0));
  return end < 0 ? undefined : key;
}
