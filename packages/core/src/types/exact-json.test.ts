import { describe, expect, it } from 'vitest';
import { parseJsonExactly } from './exact-json.js';

describe('parseJsonExactly', () => {
  it('reads an integer a double cannot hold as its exact digits, wherever it is outside a string', () => {
    expect(parseJsonExactly('{"id":12345678901234567891,"n":[-9007199254740993,1],"o":{"x":9223372036854775807}}')).toEqual({
      id: '12345678901234567891',
      n: ['-9007199254740993', 1],
      o: { x: '9223372036854775807' },
    });
    expect(parseJsonExactly('12345678901234567891')).toBe('12345678901234567891');
  });

  it('leaves numbers a double holds, numbers meant as doubles, and digits inside strings as they are', () => {
    expect(parseJsonExactly('{"a":9007199254740992,"b":1234567890123456789.5,"c":12345678901234567891e2,"d":"12345678901234567891","e":"\\"12345678901234567891"}')).toEqual({
      a: 9007199254740992,
      b: 1234567890123456789.5,
      c: 12345678901234567891e2,
      d: '12345678901234567891',
      e: '"12345678901234567891',
    });
    expect(parseJsonExactly('{"a":1,"b":"2026-11-23T10:00:00.000Z"}')).toEqual({ a: 1, b: '2026-11-23T10:00:00.000Z' });
  });

  it('reads a number too small for a double, not zero yet read as 0, as its text; zeros and small doubles stay numbers', () => {
    expect(parseJsonExactly('{"a":1e-400,"b":[-2.5E-500],"c":0e-400,"d":0.0e-999,"e":5e-324,"f":1e-300,"g":"1e-400"}')).toEqual({
      a: '1e-400',
      b: ['-2.5E-500'],
      c: 0,
      d: 0,
      e: 5e-324,
      f: 1e-300,
      g: '1e-400',
    });
  });

  it('reads a number written without an exponent, too small for a double, as its text too', () => {
    const tiny = `0.${'0'.repeat(330)}1`;
    const zeros = `0.${'0'.repeat(400)}`;
    const one = `1.${'0'.repeat(400)}`;
    expect(parseJsonExactly(`{"a":${tiny},"b":-${tiny},"c":${zeros},"d":${one},"e":"${tiny}"}`)).toEqual({ a: tiny, b: `-${tiny}`, c: 0, d: 1, e: tiny });
  });

  it('leaves to JSON.parse what it refuses or holds as Infinity: a leading zero, an integer past a double', () => {
    expect(() => parseJsonExactly('{"a":01234567890123456789}')).toThrow(SyntaxError);
    const huge = `{"a":${'9'.repeat(400)}}`;
    expect(parseJsonExactly(huge)).toEqual(JSON.parse(huge));
  });

  it('fails on text that is not JSON with the error of the text as sent', () => {
    let expected = '';
    try {
      JSON.parse('{"a":12345678901234567891,}');
    } catch (error) {
      expected = (error as Error).message;
    }
    expect(() => parseJsonExactly('{"a":12345678901234567891,}')).toThrow(expected);
  });
});
