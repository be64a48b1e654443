import { describe, expect, it } from 'vitest';
import { outOfBounds } from './bounds.js';

describe('outOfBounds', () => {
  it('counts varchar(n) in characters (PostgreSQL) or UTF-8 bytes (Redshift)', () => {
    const chars = { physical: 'character varying(3)', maxLength: 3, lengthIn: 'characters' as const };
    const bytes = { physical: 'character varying(3)', maxLength: 3, lengthIn: 'bytes' as const };
    expect(outOfBounds('abc', chars)).toBeUndefined();
    expect(outOfBounds('😀😀😀', chars)).toBeUndefined(); // three characters, six UTF-16 units
    expect(outOfBounds('abcd', chars)).toBe("the value has 4 characters, more than the 3 of the column's type character varying(3)");
    expect(outOfBounds('é', bytes)).toBeUndefined();
    expect(outOfBounds('éé', bytes)).toBe("the value takes 4 bytes, more than the 3 of the column's type character varying(3)");
  });

  it('holds an integer type to its range, digits of integers a double cannot hold included', () => {
    const integer = { physical: 'integer', min: -2_147_483_648, max: 2_147_483_647 };
    expect(outOfBounds(2_147_483_647, integer)).toBeUndefined();
    expect(outOfBounds(-2_147_483_649, integer)).toMatch(/outside -2147483648 to 2147483647/);
    expect(outOfBounds('92233720368547758070', integer)).toMatch(/outside/);
  });

  it('holds numeric(p, s) to p − s digits before the point and s after, which the warehouse would otherwise round', () => {
    const numeric = { physical: 'numeric(6,2)', scale: 2, below: 10_000 };
    expect(outOfBounds(9_999.99, numeric)).toBeUndefined();
    expect(outOfBounds(-0.5, numeric)).toBeUndefined();
    expect(outOfBounds(0.1 + 0.2, numeric)).toMatch(/more than 2 digits after the point/);
    expect(outOfBounds(10_000, numeric)).toMatch(/10000 or more in absolute value/);
  });

  it('holds a uuid column to UUIDs and a date column to dates alone (a date-time would lose its time)', () => {
    const uuid = { physical: 'uuid', format: 'uuid' as const };
    const date = { physical: 'date', format: 'date' as const };
    expect(outOfBounds('a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', uuid)).toBeUndefined();
    expect(outOfBounds('{A0EEBC999C0B4EF8BB6D6BB9BD380A11}', uuid)).toBeUndefined();
    expect(outOfBounds('ajs-7c9e6679', uuid)).toBe("the value is not a UUID, which the column's type uuid holds");
    expect(outOfBounds('2026-11-23', date)).toBeUndefined();
    const notADate = "the value is not a date written YYYY-MM-DD, of a day the calendar has in the years 0001 to 9999 (the column keeps no time), which the column's type date holds";
    expect(outOfBounds('2026-11-23T10:00:00.000Z', date)).toBe(notADate);
    // Days no calendar has, which the warehouse refuses (failing the whole call), and year 0000.
    for (const day of ['2026-02-30', '2026-13-01', '2026-00-10', '2026-04-31', '2025-02-29', '0000-01-01']) expect(outOfBounds(day, date)).toBe(notADate);
    expect(outOfBounds('2024-02-29', date)).toBeUndefined();
    expect(outOfBounds('9999-12-31', date)).toBeUndefined();
  });

  it('holds a single-precision float column to the numbers it reads back as sent, rather than rounded', () => {
    const real = { physical: 'real', single: true };
    for (const kept of [0.1, 1.5, -2.25, 16_777_216, 123.456, 1e-10, 3.4e38, 0, -0]) expect(outOfBounds(kept, real), String(kept)).toBeUndefined();
    expect(outOfBounds(16_777_217, real)).toBe("the value is more than the column's type real (a single-precision float) holds: it would read back as 16777216");
    expect(outOfBounds(0.123456789012, real)).toBe("the value is more than the column's type real (a single-precision float) holds: it would read back as 0.12345679");
    expect(outOfBounds(1e39, real)).toMatch(/read back as Infinity$/);
    expect(outOfBounds(1e-50, real)).toMatch(/read back as 0$/);
  });
});

describe('an integer column read as text (DuckDB HUGEINT)', () => {
  const huge = { physical: 'HUGEINT', min: -(2 ** 127), max: 2 ** 127 };
  it("takes an integer's digits alone: not a fraction, an empty text or a hex literal, which Number would read as a number", () => {
    for (const value of ['7', '-12', '123456789012345678901234567890', 7]) expect(outOfBounds(value, huge)).toBeUndefined();
    for (const value of ['-0.5', '', ' ', '0x1F', '1e3', 'abc', -0.5]) expect(outOfBounds(value, huge)).toBe("the value is not an integer, which the column's type HUGEINT holds");
  });
});
