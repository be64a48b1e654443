import { describe, expect, it } from 'vitest';
import { inferType } from './infer.js';
import { castTo, widerTypeFor } from './cast.js';
import { parseJsonExactly } from './exact-json.js';
import { clampToStorable, dateTimeProblem, parseTimestamp, timestampMillis } from './timestamp.js';

describe('inferType', () => {
  it.each([
    [true, 'boolean'],
    [450, 'bigint'],
    [450.5, 'double'],
    [2 ** 60, 'bigint'],
    [2 ** 63, 'double'],
    [1e300, 'double'],
    ['2026-11-23T10:00:00Z', 'timestamp'],
    ['2026-11-23T10:00:00.123+02:00', 'timestamp'],
    ['2026-11-23', 'string'],
    ['u123', 'string'],
    [null, undefined],
  ])('%j → %s', (value, type) => {
    expect(inferType(value)).toBe(type);
  });
});

describe('castTo', () => {
  it('casts without loss', () => {
    expect(castTo('12', 'bigint')).toEqual({ ok: true, value: 12, cast: true });
    expect(castTo(12, 'double')).toEqual({ ok: true, value: 12, cast: false });
    expect(castTo('0.5', 'double')).toEqual({ ok: true, value: 0.5, cast: true });
    expect(castTo('-0.25', 'double')).toEqual({ ok: true, value: -0.25, cast: true });
    expect(castTo(true, 'string')).toEqual({ ok: true, value: 'true', cast: true });
    expect(castTo('false', 'boolean')).toEqual({ ok: true, value: false, cast: true });
    expect(castTo('2026-11-23T12:00:00+02:00', 'timestamp')).toEqual({ ok: true, value: '2026-11-23T10:00:00.000Z', cast: true });
  });

  it('refuses what would lose information, saying why', () => {
    for (const [value, type] of [
      ['abc', 'bigint'],
      ['012', 'bigint'],
      // A leading zero is text's, for a double as for a bigint (a zip code's zeros would go).
      ['012', 'double'],
      ['-007.5', 'double'],
      ['1e-400', 'double'],
      ['1e400', 'double'],
      [1, 'boolean'],
      ['yes', 'boolean'],
      [true, 'double'],
      ['not a date', 'timestamp'],
      [1700000000, 'timestamp'],
    ] as const) {
      const result = castTo(value, type);
      expect(result.ok, `${String(value)} into ${type}`).toBe(false);
      if (!result.ok) expect(result.reason).toContain(type);
    }
  });

  it('asks for a wider column when an integer column meets a fraction, or a number past its range, and for nothing else', () => {
    expect(widerTypeFor(1.5, 'bigint')).toBe('double');
    expect(widerTypeFor(2 ** 63, 'bigint')).toBe('double');
    expect(widerTypeFor(2, 'bigint')).toBeUndefined();
    // Whole, and within the 64-bit range: a double column would round every later integer past 2^53.
    expect(widerTypeFor(2 ** 60, 'bigint')).toBeUndefined();
    expect(widerTypeFor(-(2 ** 63), 'bigint')).toBeUndefined();
  });

  it('says why a date-time is refused: a day or time no calendar has, or a year out of range', () => {
    const reason = (v: string) => {
      const r = castTo(v, 'timestamp');
      return r.ok ? undefined : r.reason;
    };
    for (const v of ['2026-02-29T00:00:00Z', '2026-11-20T24:00:00Z', '2026-04-31T10:00:00Z', '2026-13-01T00:00:00Z']) expect(reason(v), v).toMatch(/is not a day and time the calendar has/);
    expect(reason('2024-02-29T00:00:00Z')).toBeUndefined();
    for (const v of ['9999-12-31T23:59:59-01:00', '0000-01-01T00:00:00Z']) expect(reason(v), v).toMatch(/is not a moment of the years 0001 to 9999/);
  });

  it('takes a number written as text into a double column only where the double gives its digits back', () => {
    for (const [text, value] of [['1.50', 1.5], ['1e22', 1e22], ['1E-7', 1e-7], ['0.0', 0], ['12.3400', 12.34], ['9007199254740992.0', 2 ** 53], ['1.7976931348623157e308', Number.MAX_VALUE]] as const) {
      expect(castTo(text, 'double'), text).toEqual({ ok: true, value, cast: true });
    }
    expect(castTo('9007199254740993.0', 'double')).toEqual({ ok: false, reason: 'the string "9007199254740993.0" has more digits than a double column holds (it would be stored as 9007199254740992)' });
    expect(castTo('90071992547409930e-1', 'double')).toMatchObject({ ok: false });
    expect(castTo('0.12345678901234567890123', 'double')).toEqual({ ok: false, reason: 'the string "0.12345678901234567890123" has more digits than a double column holds (it would be stored as 0.12345678901234568)' });
  });

  // An integer sent as a JSON number that a double cannot hold is read as its digits: a refusal
  // named it "the string", as if the call had sent text.
  it('tells an integer too long for a double as the integer it is, whether the call sent it as a number or as text', () => {
    const big = parseJsonExactly('{"n":12345678901234567890123,"m":9007199254740993}') as { n: string; m: string };
    expect(castTo(big.n, 'bigint')).toEqual({ ok: false, reason: 'the integer 12345678901234567890123 cannot be stored without loss in a bigint column' });
    expect(castTo(big.m, 'double')).toEqual({ ok: false, reason: 'the integer 9007199254740993 is an integer a double column cannot hold exactly (it would be stored as 9007199254740992)' });
    expect(castTo('-12345678901234567890123', 'bigint')).toMatchObject({ reason: 'the integer -12345678901234567890123 cannot be stored without loss in a bigint column' });
    expect(castTo('x12345678901234567890123', 'bigint')).toMatchObject({ reason: 'the string "x12345678901234567890123" cannot be stored without loss in a bigint column' });
    // Leading zeros: text, not an integer sent as a number.
    expect(castTo('00012345678901234567890', 'double')).toMatchObject({ ok: false, reason: expect.stringMatching(/^the string "00012345678901234567890"/) });
  });

  it('stores an integer past 2^53 in an integer column as its exact digits, never through a double', () => {
    // String(2 ** 60) is 1152921504606847000: the double's shortest spelling, another integer.
    expect(castTo(2 ** 60, 'bigint')).toEqual({ ok: true, value: '1152921504606846976', cast: false });
    expect(castTo(-(2 ** 63), 'bigint')).toEqual({ ok: true, value: '-9223372036854775808', cast: false });
    // Digits read as text from a line (a double could not hold them): cast, exactly.
    expect(castTo('9007199254740993', 'bigint')).toEqual({ ok: true, value: '9007199254740993', cast: true });
    expect(castTo('9223372036854775807', 'bigint')).toEqual({ ok: true, value: '9223372036854775807', cast: true });
    for (const value of ['9223372036854775808', '-9223372036854775809', '1234567890123456789012', '09007199254740993', '9007199254740993.0', 2 ** 63]) {
      expect(castTo(value, 'bigint').ok, String(value)).toBe(false);
    }
  });
});

describe('parseTimestamp', () => {
  it('reads zone-less date-times as UTC and normalises offsets', () => {
    expect(parseTimestamp('2026-11-23 10:00:00')).toBe('2026-11-23T10:00:00.000Z');
    expect(parseTimestamp('2026-11-23T10:00:00-05:00')).toBe('2026-11-23T15:00:00.000Z');
    expect(parseTimestamp('2026-13-45T10:00:00Z')).toBeUndefined();
  });

  it('refuses dates that do not exist instead of rolling them over to the next month', () => {
    for (const value of ['2026-02-30T00:00:00.000Z', '2026-02-29T00:00:00Z', '2026-02-31 10:00', '2026-04-31T00:00:00.000Z', '2026-01-01T24:00:00.000Z', '2026-01-01T10:60:00Z']) {
      expect(parseTimestamp(value), value).toBeUndefined();
    }
    expect(parseTimestamp('2028-02-29T00:00:00.000Z')).toBe('2028-02-29T00:00:00.000Z');
    expect(parseTimestamp('2026-12-31T23:59:59+01:00')).toBe('2026-12-31T22:59:59.000Z');
  });

  it('says why a string written as a date-time is none it reads, for errors to name', () => {
    expect(dateTimeProblem('2026-02-29T10:00:00Z')).toBe('2026-02-29T10:00:00 is no day and time of the calendar');
    expect(dateTimeProblem('2026-01-01 24:00')).toBe('2026-01-01T24:00 is no day and time of the calendar');
    expect(dateTimeProblem('0001-01-01T00:30:00+01:00')).toBe('its moment falls outside the years 0001 to 9999');
    for (const value of ['2026-02-28T10:00:00Z', '2026-02-29', 'soon', '']) expect(dateTimeProblem(value), value).toBeUndefined();
  });

  it('reads a zone of hours alone', () => {
    expect(parseTimestamp('2026-11-23T10:00:00+05')).toBe('2026-11-23T05:00:00.000Z');
    expect(parseTimestamp('2026-11-23T10:00:00-0130')).toBe('2026-11-23T11:30:00.000Z');
  });

  it('takes only the years 0001 to 9999, which every warehouse stores, even when a zone moves the moment across', () => {
    for (const value of ['0000-01-01T00:00:00Z', '0000-06-01T00:00:00.000Z', '0001-01-01T00:30:00+01:00', '9999-12-31T23:59:59-01:00', '+010000-01-01T00:00:00.000Z']) {
      expect(parseTimestamp(value), value).toBeUndefined();
      expect(inferType(value), value).toBe('string');
      const cast = castTo(value, 'timestamp');
      expect(cast.ok, value).toBe(false);
      if (!cast.ok) expect(cast.reason).toContain('years 0001 to 9999');
    }
    expect(parseTimestamp('0001-01-01T00:00:00Z')).toBe('0001-01-01T00:00:00.000Z');
    expect(parseTimestamp('9999-12-31T23:59:59.999Z')).toBe('9999-12-31T23:59:59.999Z');
    expect(parseTimestamp('9999-12-31T23:59:59+01:00')).toBe('9999-12-31T22:59:59.000Z');
  });
});

describe('timestampMillis', () => {
  it('agrees with Date.parse on canonical timestamps, including leap days and years before 100', () => {
    for (const value of ['2026-11-23T10:00:00.123Z', '2028-02-29T23:59:59.999Z', '1970-01-01T00:00:00.000Z', '1969-12-31T23:59:59.999Z', '0050-06-15T12:00:00.000Z', '0001-01-01T00:00:00.000Z', '9999-12-31T23:59:59.999Z']) {
      expect(timestampMillis(value), value).toBe(Date.parse(value));
    }
  });

  it('agrees with Date across four centuries, one instant every 37 hours and 17 seconds', () => {
    const step = (37 * 3600 + 17) * 1000 + 123;
    for (let ms = Date.UTC(1800, 0, 1); ms < Date.UTC(2200, 0, 1); ms += step) {
      const value = new Date(ms).toISOString();
      if (timestampMillis(value) !== ms) expect(timestampMillis(value), value).toBe(ms);
    }
  });

  it('reads other ISO-8601 forms through parseTimestamp, and is NaN for what is not a moment', () => {
    expect(timestampMillis('2026-11-23T10:00:00-05:00')).toBe(Date.parse('2026-11-23T15:00:00.000Z'));
    for (const value of ['2026-02-30T00:00:00.000Z', '2026-11-23T10:00:00.000X', '2026-1a-23T10:00:00.000Z', 'yesterday', '', '0000-01-01T00:00:00.000Z']) {
      expect(timestampMillis(value), value).toBeNaN();
    }
  });
});

describe('clampToStorable', () => {
  it('keeps a bound a day past either end of the years a timestamp column holds within them (PostgreSQL refuses year 0000, DuckDB a year past 9999)', () => {
    const day = 86_400_000;
    const first = timestampMillis('0001-01-01T00:00:00.000Z');
    const last = timestampMillis('9999-12-31T23:59:59.999Z');
    expect(new Date(clampToStorable(first - day)).toISOString()).toBe('0001-01-01T00:00:00.000Z');
    expect(new Date(clampToStorable(last + day)).toISOString()).toBe('9999-12-31T23:59:59.999Z');
    expect(clampToStorable(first + day)).toBe(first + day);
  });
});
