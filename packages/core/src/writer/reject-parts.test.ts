import { describe, expect, it } from 'vitest';
import { fittedId, joinRejectParts, rejectParts, utf8Pieces } from './reject-parts.js';

describe('reject parts', () => {
  it('cuts text into pieces of at most the bytes given, never inside a character', () => {
    const text = 'aé€😀'.repeat(50);
    for (const max of [4, 5, 7, 64]) {
      const pieces = utf8Pieces(text, max);
      expect(pieces.join('')).toBe(text);
      for (const piece of pieces) {
        expect(Buffer.byteLength(piece)).toBeLessThanOrEqual(max);
        // A lone surrogate would be written as U+FFFD: the piece would not round-trip.
        expect(Buffer.from(piece).toString()).toBe(piece);
      }
    }
    expect(utf8Pieces('short', Infinity)).toEqual(['short']);
  });

  it('numbers the parts so that their reasons sort in order, and joins them back', () => {
    const value = 'x'.repeat(1_050);
    const parts = rejectParts(value, 'too long', 100);
    expect(parts).toHaveLength(11);
    expect(parts[0]!.reason).toMatch(/^value [0-9a-f]{8}, part 01 of 11 \(a value longer than the 100 bytes/);
    expect([...parts].sort((a, b) => a.reason.localeCompare(b.reason)).map((p) => p.value).join('')).toBe(value);
    const rows = [{ id: 'a', value: 'whole', reason: 'r' }, ...parts.map((p) => ({ id: 'b', ...p })), { id: 'c', value: 'other', reason: 'r' }];
    expect(joinRejectParts(rows).map((r) => [r.id, r.value])).toEqual([['a', 'whole'], ['b', value], ['c', 'other']]);
    // Two long values of one id, ordered by reason as a reader would: each joined whole; a copy once.
    const other = 'y'.repeat(250);
    const mixed = [...parts, ...rejectParts(other, 'too long', 100), ...parts].map((p) => ({ id: 'b', ...p })).sort((x, y) => x.reason.localeCompare(y.reason));
    expect(joinRejectParts(mixed).map((r) => r.value).sort()).toEqual([value, other].sort());
    // A value missing a part is not given back cut.
    expect(joinRejectParts(rows.filter((r) => !r.reason.includes('part 05')))).toHaveLength(2);
    expect(rejectParts('small', 'too long', 100)).toEqual([{ value: 'small', reason: 'too long' }]);
  });

  it('cuts an id longer than the column, the same way every time, with a hash of the whole', () => {
    const id = 'é'.repeat(100);
    const cut = fittedId(id, 64);
    expect(Buffer.byteLength(cut)).toBeLessThanOrEqual(64);
    expect(cut).toMatch(/^é+…[0-9a-f]{16}$/);
    expect(fittedId(id, 64)).toBe(cut);
    expect(fittedId(`${id}x`, 64)).not.toBe(cut);
    expect(fittedId('short', 64)).toBe('short');
  });
});
