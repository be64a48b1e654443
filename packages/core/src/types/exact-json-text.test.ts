import { describe, expect, it } from 'vitest';
import { exactJsonText } from './exact-json-text.js';
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

  it('leaves everything else as JSON.stringify writes it: strings of digits, numbers past 2^64, undefined', () => {
    const value = { id: '11529215046068469761152921504606846976', big: 2 ** 70, nested: { s: 'x:1152921504606846976' }, at: 1.5e300 };
    expect(exactJsonText(value)).toBe(JSON.stringify(value));
    expect(exactJsonText(undefined)).toBeUndefined();
    expect(exactJsonText({ a: 1, b: [true, null] })).toBe('{"a":1,"b":[true,null]}');
  });
});
