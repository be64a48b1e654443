import { describe, expect, it } from 'vitest';
import { exactJsonText, exactNumberText } from './exact-json-text.js';
import { parseJsonExactly } from './exact-json.js';

describe('exactJsonText', () => {
  it('writes integers past 2^53 that a double holds with their exact digits, where JSON.stringify rounds the text', () => {
    const value = parseJsonExactly('{"account_id":1152921504606846976,"other":9223372036854775808,"neg":-1152921504606846976,"list":[1152921504606846976,1],"safe":9007199254740991,"ratio":0.5}');
    expect(JSON.stringify(value)).toBe('{"account_id":1152921504606847000,"other":9223372036854776000,"neg":-1152921504606847000,"list":[1152921504606847000,1],"safe":9007199254740991,"ratio":0.5}');
    const text = exactJsonText(value);
    expect(text).toBe('{"account_id":1152921504606846976,"other":9223372036854775808,"neg":-1152921504606846976,"list":[1152921504606846976,1],"safe":9007199254740991,"ratio":0.5}');
    // The same doubles for a reader of doubles.
    expect(JSON.parse(text)).toEqual(value);
    expect(exactJsonText(2 ** 60)).toBe('1152921504606846976');
  });

  it('writes integers past 2^64 with their digits too, where JavaScript writes other ones, and keeps what it writes exactly', () => {
    expect(exactJsonText({ a: 2 ** 64, b: 2 ** 70, c: 1e21, d: [-(2 ** 70)] })).toBe('{"a":18446744073709551616,"b":1180591620717411303424,"c":1e+21,"d":[-1180591620717411303424]}');
    expect(exactNumberText(2 ** 70)).toBe('1180591620717411303424');
    expect(exactNumberText(1e21)).toBe('1e+21');
    expect(exactNumberText(2 ** 53)).toBe('9007199254740992');
    expect(exactNumberText(1.5)).toBe('1.5');
    expect(exactNumberText(1e-7)).toBe('1e-7');
  });

  it('leaves everything else as JSON.stringify writes it: strings of digits, fractions, undefined', () => {
    const value = { id: '11529215046068469761152921504606846976', nested: { s: 'x:1152921504606846976', e: '1e+21' }, at: 1.5, small: 1e-7, huge: 1.5e300 };
    expect(exactJsonText(value)).toBe(JSON.stringify(value));
    expect(exactJsonText(undefined)).toBeUndefined();
    expect(exactJsonText({ a: 1, b: [true, null] })).toBe('{"a":1,"b":[true,null]}');
  });
});
