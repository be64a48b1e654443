import { describe, expect, it } from 'vitest';
import { identifierProblem, parseRunProfile } from './parse.js';

describe('parseRunProfile', () => {
  it('refuses an identifier holding half of a character, which UTF-8 would rewrite and merge with others', () => {
    expect(parseRunProfile({ userId: 'u\uD800' })).toMatch(/^profileId "u\\ud800" holds half of a character/);
    expect(parseRunProfile({ profileId: 'p1', userId: 'u\uDC00x' })).toMatch(/^userId "u\\udc00x" holds half of a character/);
    expect(parseRunProfile({ userId: 'u1', entities: [{ id: 'c\uD83D', context: {} }] })).toMatch(/^entities\[0\]\.id "c\\ud83d" holds half of a character/);
    // A whole character made of two halves is text like any other.
    expect(parseRunProfile({ userId: 'u😀', entities: [{ id: 'c😀' }] })).toMatchObject({ profileId: 'u😀', userId: 'u😀', entities: [{ id: 'c😀', context: {} }] });
  });

  it('names no problem for well-formed text', () => {
    for (const id of ['', 'plain', 'é€😀', '\uFFFD', '\u0000']) expect(identifierProblem('id', id)).toBeUndefined();
    for (const id of ['\uD800', '\uDFFF', 'a\uDBFFb', '\uDC00\uD800']) expect(identifierProblem('id', id)).toBeDefined();
  });
});
