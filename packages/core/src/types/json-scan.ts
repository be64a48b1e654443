/**
 * Walks over JSON text without parsing it: the extents of values, the members of an object and
 * the items of an array, by index into the text. For the looks a parse cannot make (a key
 * written twice, which JSON.parse keeps the last of) or need not (a context kept as its text).
 */
export const QUOTE = 34;
export const BACKSLASH = 92;
export const COMMA = 44;
export const COLON = 58;
export const LBRACE = 123;
export const RBRACE = 125;
export const LBRACKET = 91;
export const RBRACKET = 93;

const isSpace = (c: number) => c === 32 || c === 9 || c === 10 || c === 13;

export function skipSpace(text: string, i: number): number {
  while (isSpace(text.charCodeAt(i))) i++;
  return i;
}

/** At a string's opening quote: the index past its closing one, or -1. */
export function skipString(text: string, i: number): number {
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
export function skipValue(text: string, i: number): number {
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

/** At a key's opening quote: the key and the index past it, or undefined for a key with an escape (it may spell a name another way). */
export function keyAt(text: string, i: number): { key: string; end: number } | undefined {
  if (text.charCodeAt(i) !== QUOTE) return undefined;
  const end = skipString(text, i);
  if (end < 0) return undefined;
  const key = text.slice(i + 1, end - 1);
  return key.includes('\\') ? undefined : { key, end };
}

/** At a key's opening quote: the key as JSON reads it (`"\u0069d"` is `id`) and the index past it, or undefined. */
export function decodedKeyAt(text: string, i: number): { key: string; end: number } | undefined {
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
export function eachMember(text: string, i: number, value: (key: string, at: number) => number, key = keyAt): number {
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
export function eachItem(text: string, i: number, item: (index: number, at: number) => number): number {
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
