import { canonicalJsonEnd, foundCanonical } from '../types/canonical-json.js';
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

/**
 * Where a profile's `entityContext` object is in its text, when it is a top-level key written
 * once and plainly and its value is written as Stowage writes JSON (`canonicalJsonEnd`);
 * undefined otherwise.
 */
function canonicalContextAt(text: string): { start: number; end: number } | undefined {
  let i = skipSpace(text, 0);
  if (text.charCodeAt(i) !== LBRACE) return undefined;
  i = skipSpace(text, i + 1);
  let found: { start: number; end: number } | undefined;
  for (;;) {
    if (text.charCodeAt(i) !== QUOTE) return undefined;
    const keyEnd = skipString(text, i);
    if (keyEnd < 0) return undefined;
    // A key with an escape may spell `entityContext` another way: JSON.parse would keep the last.
    const key = text.slice(i + 1, keyEnd - 1);
    if (key.includes('\\')) return undefined;
    i = skipSpace(text, keyEnd);
    if (text.charCodeAt(i) !== COLON) return undefined;
    i = skipSpace(text, i + 1);
    if (key === 'entityContext') {
      if (found || text.charCodeAt(i) !== LBRACE) return undefined;
      const end = canonicalJsonEnd(text, i);
      if (end < 0) return undefined;
      found = { start: i, end };
      i = end;
    } else {
      i = skipValue(text, i);
      if (i < 0) return undefined;
    }
    i = skipSpace(text, i);
    const c = text.charCodeAt(i);
    if (c === RBRACE) return found;
    if (c !== COMMA) return undefined;
    i = skipSpace(text, i + 1);
  }
}

/**
 * A run profile's JSON text parsed as `parseJsonExactly` parses it, except that its entity
 * context, when it is written as Stowage would write it (as JSON.stringify writes: a file made by
 * a JavaScript producer, or one that writes compact JSON), is kept as that text (`JsonText`),
 * not parsed: the profile state keeps the text, and the warehouse gets it, byte for byte as
 * the parsed value written again, for ~2 µs a kilobyte where parsing and writing it took
 * ~20 µs and the garbage collector's copies of every object of it. Any other context is parsed.
 */
export function parseProfileText(text: string): unknown {
  const at = canonicalContextAt(text);
  if (!at) return parseJsonExactly(text);
  let parsed: unknown;
  try {
    // The context's place holds an empty object: valid exactly where the context was.
    parsed = parseJsonExactly(`${text.slice(0, at.start)}{}${text.slice(at.end)}`);
  } catch {
    // Not JSON elsewhere: the error is told about the text as it was sent, its positions too.
    return parseJsonExactly(text);
  }
  (parsed as Record<string, unknown>).entityContext = foundCanonical(new JsonText(text.slice(at.start, at.end)));
  return parsed;
}
