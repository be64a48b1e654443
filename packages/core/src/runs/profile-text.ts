import { canonicalJsonEnd, foundCanonical, plainFrom } from '../types/canonical-json.js';
import { MAX_JSON_DEPTH } from '../types/json-value.js';
import { parseJsonExactly } from '../types/exact-json.js';
import { JsonText } from './json-text.js';
import { RunFormatError } from './parse.js';
import { decodedKeyAt, eachItem, eachMember, LBRACE, LBRACKET, skipSpace, skipValue } from '../types/json-scan.js';

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

/** The keys `walkProfile` looks for a key written twice among: a profile has 13 it knows. */
const FEW_KEYS = 32;

/**
 * One walk over a profile's text, which every line takes: where its `entityContext` object and
 * its entities' `context` objects are, when each is written plainly and its value as Stowage
 * writes JSON (`canonicalJsonEnd`); and the first key it writes twice, in the profile or in an
 * entity or a mobile id, found on the way for the cost of a look among a few keys. `checked` is
 * false where the walk could not tell (a key of an entity spelt with an escape, a list not
 * plainly written, more keys than a profile has): `repeatedProfileKey` then reads it. Undefined where the profile's own keys
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
    // A profile has a dozen keys at most, looked for among those seen. Past a few dozen (keys it
    // does not know, refused later) the careful way looks, with a set: among them, a line of
    // 100,000 keys took 18 s.
    if (keys.length === FEW_KEYS) {
      checked = false;
    } else if (keys.includes(key)) {
      twice = { key };
      return -1;
    } else {
      keys.push(key);
    }
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
