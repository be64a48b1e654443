import { describe, expect, it } from 'vitest';
import { stableHash } from './stable-hash.js';

// Message ids and cut names are these digests: a change of them would load every replayed call,
// and name every long column, anew. Pinned to SHA-256's own test vector and a UTF-8 input.
describe('stableHash', () => {
  it('is the start of the SHA-256 hex digest of the UTF-8 input', () => {
    expect(stableHash('abc')).toBe('ba7816bf');
    expect(stableHash('abc', 32)).toBe('ba7816bf8f01cfea414140de5dae2223');
    expect(stableHash('Café\u0000€', 16)).toBe('31a15c5773a5f565');
  });
});
