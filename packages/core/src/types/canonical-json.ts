import { MAX_JSON_DEPTH } from './json-value.js';

/**
 * Whether a JSON text is already what Stowage would write of it, so that it can be kept as it
 * is rather than parsed and serialised again (an entity context of a run file: a kilobyte or
 * more, ~10 µs to parse and ~9 µs to write back, where this look takes ~2 µs).
 *
 * "What Stowage would write" is `exactJsonText(parseJsonExactly(text))`: JSON.stringify's
 * output, whose every byte is pinned down by the value (no whitespace; one escape per
 * character; a number's shortest digits; an object's keys in their order, unless they look
 * like array indexes, which JavaScript puts first; the last of two equal keys). A text that
 * passes stores, hashes and compares byte for byte as its parse would, so a run file's context
 * kept as it is never differs from one a library caller hands as an object.
 *
 * The look is cautious: where the check would cost more than it saves, it answers no, and the
 * text takes the common way (parsed, checked, written). No: whitespace, an escape JSON.stringify
 * would not write (`\/`, `\u0041`, an escaped lone surrogate), a number with an exponent, an
 * integer of sixteen digits or more, a fraction JavaScript writes otherwise (`1.50`, `0.0000001`),
 * `-0`, a key of digits only, a key twice in one object, nesting past MAX_JSON_DEPTH (which the
 * common way refuses).
 */
export const isCanonicalJson = (text: string): boolean => canonicalJsonEnd(text, 0) === text.length;

/** Values of JSON text already found canonical (a run file's contexts, as they were read): not looked at again. */
const lookedAt = new WeakSet<object>();

/** Marks a value of JSON text as found canonical (`canonicalJsonEnd`), and gives it back. */
export function foundCanonical<T extends object>(value: T): T {
  lookedAt.add(value);
  return value;
}

/** Whether `foundCanonical` marked the value. */
export const wasFoundCanonical = (value: object): boolean => lookedAt.has(value);

const QUOTE = 34;
const BACKSLASH = 92;
const COMMA = 44;
const COLON = 58;
const MINUS = 45;
const DOT = 46;
const ZERO = 48;
const LBRACE = 123;
const RBRACE = 125;
const LBRACKET = 91;
const RBRACKET = 93;

const isDigit = (c: number) => c >= 48 && c <= 57;

/** Keys of an object compared in a list up to this many, then in a set. */
const KEYS_IN_A_LIST = 16;

type Keys = { list: string[]; set?: Set<string> };

/**
 * Whether `text` holds no backslash, control character or surrogate from `start` on (most
 * contexts): its strings then end at the next quote, found natively, rather than looked at
 * character by character.
 */
export function plainFrom(text: string, start: number): boolean {
  SPECIAL.lastIndex = start;
  return !SPECIAL.test(text);
}

/**
 * The end (exclusive) of the JSON value that starts at `start` of `text`, when it is written as
 * Stowage writes it (see isCanonicalJson) and nested `maxDepth` levels at most; -1 when it is
 * not, or not JSON at all. Iterative, so that no nesting can overflow the stack. `plain`:
 * `plainFrom(text, start)`, when the caller knows it (a look at each of many values of one text).
 */
export function canonicalJsonEnd(text: string, start: number, maxDepth = MAX_JSON_DEPTH, plain = plainFrom(text, start)): number {
  // Per open container: an object's keys so far, or null for an array.
  const open: Array<Keys | null> = [];
  let i = start;
  for (;;) {
    // A value at i.
    const c = text.charCodeAt(i);
    if (c === LBRACE || c === LBRACKET) {
      if (open.length >= maxDepth) return -1;
      if (text.charCodeAt(i + 1) === (c === LBRACE ? RBRACE : RBRACKET)) {
        i += 2;
      } else if (c === LBRACE) {
        const keys: Keys = { list: [] };
        open.push(keys);
        i = keyEnd(text, i + 1, keys, plain);
        if (i < 0) return -1;
        continue;
      } else {
        open.push(null);
        i++;
        continue;
      }
    } else if (c === QUOTE) {
      i = plain ? plainStringEnd(text, i) : stringEnd(text, i);
    } else if (c === MINUS || isDigit(c)) {
      i = numberEnd(text, i);
    } else if (text.startsWith('true', i) || text.startsWith('null', i)) {
      i += 4;
    } else if (text.startsWith('false', i)) {
      i += 5;
    } else {
      return -1;
    }
    if (i < 0) return -1;
    // After a value: the next one of its container, or the container's end.
    for (;;) {
      if (open.length === 0) return i;
      const keys = open[open.length - 1]!;
      const d = text.charCodeAt(i);
      if (d === COMMA) {
        i = keys ? keyEnd(text, i + 1, keys, plain) : i + 1;
        if (i < 0) return -1;
        break;
      }
      if (d !== (keys ? RBRACE : RBRACKET)) return -1;
      open.pop();
      i++;
    }
  }
}

/** At an object's key: the index of its value, past the `:`; -1 for a key JSON.stringify would write otherwise, or put elsewhere. */
function keyEnd(text: string, i: number, keys: Keys, plain: boolean): number {
  if (text.charCodeAt(i) !== QUOTE) return -1;
  const end = plain ? plainStringEnd(text, i) : stringEnd(text, i);
  if (end < 0 || text.charCodeAt(end) !== COLON) return -1;
  // As written: a canonical text has one spelling per string, so equal keys are equal texts.
  const key = text.slice(i + 1, end - 1);
  // Digits only: JavaScript orders array-index keys ("2", "10") before the others.
  if (key.length > 0 && isDigits(key)) return -1;
  if (keys.set) {
    if (keys.set.has(key)) return -1;
    keys.set.add(key);
  } else {
    if (keys.list.includes(key)) return -1;
    keys.list.push(key);
    if (keys.list.length > KEYS_IN_A_LIST) keys.set = new Set(keys.list);
  }
  return end + 1;
}

function isDigits(s: string): boolean {
  for (let j = 0; j < s.length; j++) if (!isDigit(s.charCodeAt(j))) return false;
  return true;
}

/** A character a string may hold only escaped, or in pairs: where none is, every character of a string is written raw. */
const SPECIAL = /[\\\u0000-\u001f\ud800-\udfff]/g;

/** At a string's opening quote, where the text holds no SPECIAL character: the index past its closing quote, or -1. */
function plainStringEnd(text: string, i: number): number {
  const end = text.indexOf('"', i + 1);
  return end === -1 ? -1 : end + 1;
}

/**
 * At a string's opening quote: the index past its closing one; -1 unless every character is
 * written as JSON.stringify writes it: raw, but `"` and `\` escaped, the control characters
 * with a short escape (\b \f \n \r \t) with it and the others as `\u00xx` in lower case, and
 * surrogates only in pairs.
 */
function stringEnd(text: string, i: number): number {
  for (let j = i + 1; j < text.length; j++) {
    const c = text.charCodeAt(j);
    if (c === QUOTE) return j + 1;
    if (c === BACKSLASH) {
      const e = text.charCodeAt(++j);
      // " \ b f n r t
      if (e === QUOTE || e === BACKSLASH || e === 98 || e === 102 || e === 110 || e === 114 || e === 116) continue;
      if (e !== 117 /* u */ || text.charCodeAt(j + 1) !== ZERO || text.charCodeAt(j + 2) !== ZERO) return -1;
      const high = text.charCodeAt(j + 3) - ZERO;
      const l = text.charCodeAt(j + 4);
      const low = isDigit(l) ? l - ZERO : l >= 97 && l <= 102 ? l - 87 : -1;
      if ((high !== 0 && high !== 1) || low < 0) return -1;
      const code = high * 16 + low;
      // Those JSON.stringify writes with a short escape.
      if (code === 8 || code === 9 || code === 10 || code === 12 || code === 13) return -1;
      j += 4;
      continue;
    }
    if (c < 0x20) return -1;
    if (c >= 0xd800 && c <= 0xdfff) {
      const next = text.charCodeAt(j + 1);
      // A high surrogate followed by a low one is one character; anything else is written escaped.
      if (c > 0xdbff || !(next >= 0xdc00 && next <= 0xdfff)) return -1;
      j++;
    }
  }
  return -1;
}

/**
 * At a number: the index past it; -1 unless it is how JavaScript writes the double it reads as.
 * Fifteen significant digits or fewer always are their double's shortest digits; JavaScript
 * writes them so from 10^-6 up to 10^21 (fifteen digits stay below), without a trailing zero
 * in a fraction, and without a sign on zero. A fraction past that rule is written again to
 * compare (a fraction that reads as a double with a fraction is written as JavaScript writes
 * it); an integer of sixteen digits or more is not (`exactJsonText` writes some with their own
 * digits, `parseJsonExactly` reads some as text), nor a number with an exponent.
 */
function numberEnd(text: string, i: number): number {
  let j = i;
  const negative = text.charCodeAt(j) === MINUS;
  if (negative) j++;
  const intStart = j;
  const first = text.charCodeAt(j);
  if (first === ZERO) j++;
  else if (isDigit(first)) while (isDigit(text.charCodeAt(j))) j++;
  else return -1;
  const intDigits = j - intStart;
  const zeroInt = first === ZERO;
  if (text.charCodeAt(j) === DOT) {
    const fracStart = ++j;
    while (isDigit(text.charCodeAt(j))) j++;
    if (j === fracStart || text.charCodeAt(j - 1) === ZERO) return -1;
    let leadingZeros = 0;
    if (zeroInt) while (text.charCodeAt(fracStart + leadingZeros) === ZERO) leadingZeros++;
    const significant = zeroInt ? j - fracStart - leadingZeros : intDigits + (j - fracStart);
    // Past the cheap rule (a sum of prices, 0.30000000000000004, has seventeen): asked of JavaScript.
    if ((significant > 15 || leadingZeros > 5) && String(Number(text.slice(i, j))) !== text.slice(i, j)) return -1;
  } else {
    if (intDigits > 15 || (negative && zeroInt)) return -1;
  }
  const after = text.charCodeAt(j);
  if (after === 101 || after === 69 /* e E */) return -1;
  return j;
}
