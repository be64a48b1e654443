import { describe, expect, it } from 'vitest';
import { canonicalJsonEnd, isCanonicalJson } from './canonical-json.js';
import { exactJsonText } from './exact-json-text.js';
import { parseJsonExactly } from './exact-json.js';
import { jsonValueProblem, MAX_JSON_DEPTH } from './json-value.js';
import { seededRandom } from '../testing/seeded-random.js';

/** What the common way keeps of a text: its parse written again, or undefined where it is refused. */
function keptAs(text: string): string | undefined {
  let value: unknown;
  try {
    value = parseJsonExactly(text);
  } catch {
    return undefined;
  }
  return jsonValueProblem('', value) ? undefined : exactJsonText(value);
}


const NUMBERS = ['0', '-0', '1', '-1', '0.5', '-0.5', '1.0', '1.50', '10', '0.000001', '0.0000001', '0.00000123', '1e3', '1E3', '1e-7', '123456789012345', '1234567890123456', '12345678901234567890', '9007199254740993', '0.1234567890123456', '12345.678901234', '123456.78901234567', '999999999999999', '1e400', '1e-400', '-1.25', '3.14159', '100000000000000000000', '0.30000000000000004', '5e-324'];
const STRINGS = ['', 'a', 'café', '😀', '\\"', '\\\\', '\\n', '\\t', '\\b', '\\f', '\\r', '\\u0000', '\\u001f', '\\u001F', '\\u0041', '\\/', '/', '\\u000a', '\\ud800', '\\ud83d\\ude00', '\u2028', 'x y', '\u007f', '__proto__', '1', '10', '01', '-1', 'a:1,b'];

/** A random JSON text, mostly as JSON.stringify writes it, sometimes with what it would write otherwise. */
function randomText(next: () => number, depth = 0): string {
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)]!;
  const r = next();
  if (depth < 4 && r < 0.25) {
    const n = Math.floor(next() * 5);
    const keys = Array.from({ length: n }, () => (next() < 0.8 ? `k${Math.floor(next() * 6)}` : pick(STRINGS)));
    const sep = next() < 0.9 ? ':' : ': ';
    return `{${keys.map((k) => `"${k}"${sep}${randomText(next, depth + 1)}`).join(next() < 0.95 ? ',' : ', ')}}`;
  }
  if (depth < 4 && r < 0.4) return `[${Array.from({ length: Math.floor(next() * 4) }, () => randomText(next, depth + 1)).join(next() < 0.95 ? ',' : ' ,')}]`;
  if (r < 0.65) return pick(NUMBERS);
  if (r < 0.9) return `"${pick(STRINGS)}${next() < 0.3 ? pick(STRINGS) : ''}"`;
  return pick(['true', 'false', 'null', 'nul', 'tru']);
}

describe('isCanonicalJson', () => {
  it('says yes only to texts the common way keeps byte for byte, over thousands of random texts', () => {
    // The same cases on every machine.
    const next = seededRandom(7);
    let yes = 0;
    for (let n = 0; n < 20_000; n++) {
      const text = randomText(next);
      const kept = keptAs(text);
      if (isCanonicalJson(text)) {
        yes++;
        expect(kept, text).toBe(text);
      }
    }
    // The look must also say yes, or it saves nothing.
    expect(yes).toBeGreaterThan(5_000);
  });

  it('says yes to what JSON.stringify writes of a realistic context, and finds its end inside a longer text', () => {
    const context = { cart_id: 'cart_1', total: 123.45, items: [{ sku: 'sku_1', name: 'Tasse à café "deluxe"\n', price: 0.5, qty: 2 }, { sku: 'sku_2', name: '😀', price: 1999.99, qty: 1, tags: [] }], note: null, gift: false, meta: {} };
    const text = JSON.stringify(context);
    expect(isCanonicalJson(text)).toBe(true);
    const line = `{"profileId":"p1","entityContext":${text},"userId":"u1"}`;
    const start = line.indexOf('{"cart_id"');
    expect(canonicalJsonEnd(line, start)).toBe(start + text.length);
  });

  it('says no to what the common way writes otherwise or refuses', () => {
    for (const text of [
      '{"a": 1}', // whitespace
      '{"a":1.0}', // a trailing zero
      '{"a":1e3}', // an exponent
      '{"a":-0}',
      '{"a":0.0000001}', // written 1e-7
      '{"a":1234567890123456}', // sixteen digits
      '{"a":"\\/"}', // an escape JSON.stringify does not write
      '{"a":"\\u0041"}',
      '{"a":"\\u000a"}', // written \n
      '{"a":"\\u001F"}', // upper case hex
      '{"a":"\\ud800"}', // an escaped lone surrogate
      '{"a":"\ud800"}', // a raw lone surrogate, written escaped
      '{"a":1,"a":2}', // a key twice: the last one is kept
      '{"b":1,"2":2}', // array-index keys come first
      '{"a":"x\ty"}', // a raw control character: not JSON
      '{"a":1,}',
      '{"a":1',
      '{"a":nul}',
    ]) {
      expect(isCanonicalJson(text), text).toBe(false);
    }
  });

  it('says no past the nesting the common way refuses, without overflowing the stack', () => {
    const deep = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`;
    expect(isCanonicalJson(deep(MAX_JSON_DEPTH))).toBe(true);
    expect(keptAs(deep(MAX_JSON_DEPTH))).toBe(deep(MAX_JSON_DEPTH));
    expect(isCanonicalJson(deep(MAX_JSON_DEPTH + 1))).toBe(false);
    expect(keptAs(deep(MAX_JSON_DEPTH + 1))).toBeUndefined();
    expect(isCanonicalJson(deep(200_000))).toBe(false);
  });

  it('tells a key twice apart in objects of many keys', () => {
    const keys = Array.from({ length: 40 }, (_, i) => `"k${i}":${i}`);
    expect(isCanonicalJson(`{${keys.join(',')}}`)).toBe(true);
    expect(isCanonicalJson(`{${keys.join(',')},"k3":0}`)).toBe(false);
  });
});
