import { describe, expect, it } from 'vitest';
import { MOST_AHEAD_MS, parseRunHeader, parseRunProfile } from './parse.js';
import { idTextProblem } from '../ids/id-text.js';

describe('parseRunProfile', () => {
  it('refuses an identifier holding half of a character, which UTF-8 would rewrite and merge with others', () => {
    expect(parseRunProfile({ userId: 'u\uD800' })).toMatch(/^userId "u\\ud800" holds half of a character/);
    expect(parseRunProfile({ profileId: 'p1', userId: 'u\uDC00x' })).toMatch(/^userId "u\\udc00x" holds half of a character/);
    expect(parseRunProfile({ userId: 'u1', entities: [{ id: 'c\uD83D', context: {} }] })).toMatch(/^entities\[0\]\.id "c\\ud83d" holds half of a character/);
    // A whole character made of two halves is text like any other.
    expect(parseRunProfile({ userId: 'u😀', entities: [{ id: 'c😀' }] })).toMatchObject({ profileId: 'u😀', userId: 'u😀', entities: [{ id: 'c😀', context: {} }] });
  });

  it('names no problem for well-formed text without U+0000', () => {
    for (const id of ['', 'plain', 'é€😀', '\uFFFD', 'a\uFEFF']) expect(idTextProblem('id', id)).toBeUndefined();
    for (const id of ['\uD800', '\uDFFF', 'a\uDBFFb', '\uDC00\uD800', '\u0000', 'a\u0000b']) expect(idTextProblem('id', id)).toBeDefined();
  });

  it('refuses ids that would make two profiles one: U+0000, which text cannot hold and message ids are joined with, and numbers JSON cannot hold exactly', () => {
    expect(parseRunProfile({ profileId: 'a\u0000b' })).toMatch(/^profileId "a\\u0000b" contains the character U\+0000/);
    // A byte-order mark first, which DuckDB's readers drop: "\ufeffu1" would be read back as "u1".
    expect(parseRunProfile({ userId: '\uFEFFu1' })).toMatch(/^userId "\\ufeffu1" begins with the character U\+FEFF/);
    expect(parseRunProfile({ userId: 'u1', entities: [{ id: '\uFEFFc1', context: {} }] })).toMatch(/^entities\[0\]\.id "\\ufeffc1" begins with the character U\+FEFF/);
    expect(parseRunProfile({ userId: 'u1', entities: [{ id: 'b\u0000c' }] })).toMatch(/^entities\[0\]\.id .* U\+0000/);
    expect(parseRunProfile({ userId: 'u1', anonymousIds: ['a\uD800'] })).toMatch(/^anonymousIds\[0\] .* half of a character/);
    expect(parseRunProfile({ userId: 9007199254740993 })).toMatch(/^userId is a number JSON cannot hold exactly/);
    expect(parseRunProfile({ userId: 1e400 })).toBe('userId is a number JSON cannot hold exactly (read as Infinity: beyond the range of a double); send it as a string');
    // 1e21 is a double's own, but so is what 1000000000000000000001 would read as.
    expect(parseRunProfile({ userId: 1e21 })).toBe('userId is a number JSON cannot hold exactly (read as 1e+21: past 2^53 a double holds only some integers, and ids next to one read as it); send it as a string');
    expect(parseRunProfile({ userId: { id: 1 } })).toBe('userId must be a string or a number');
    expect(parseRunProfile({ userId: 9007199254740991 })).toMatchObject({ userId: '9007199254740991' });
    expect(parseRunProfile({ userId: 12.5 })).toMatchObject({ userId: '12.5' });
  });

  it('refuses identifiers of another shape than their field takes, which were read as none: the profile lost its calls without a word', () => {
    expect(parseRunProfile({ profileId: 'p1', anonymousIds: 'a-1' })).toBe('anonymousIds must be an array of strings, not "a-1"');
    expect(parseRunProfile({ userId: 'u1', anonymousIds: ['a-1', 12] })).toBe('anonymousIds must be an array of strings: anonymousIds[1] is 12');
    expect(parseRunProfile({ userId: 'u1', anonymousId: 12 })).toBe('anonymousId must be a string, not 12');
    expect(parseRunProfile({ userId: 'u1', emails: 'u1@example.com' })).toBe('emails must be an array of strings, not "u1@example.com"');
    expect(parseRunProfile({ userId: 'u1', anonymousId: 'a-0', anonymousIds: ['a-1'] })).toBe('anonymousId "a-0" is not among anonymousIds: give the one or the other, or list it there too');
    expect(parseRunProfile({ userId: 'u1', mobileIds: { id: 'm1' } })).toBe('mobileIds must be an array of { "id": "…", "type": "…" }');
    expect(parseRunProfile({ userId: 'u1', mobileIds: [{ id: 'm1' }, { advertisingId: 'm2' }] })).toMatch(/^mobileIds\[1\] has an unknown key "advertisingId"/);
    expect(parseRunProfile({ userId: 'u1', mobileIds: [{ id: 7, type: 'ios' }] })).toBe('mobileIds[0] needs an "id" (a non-empty string)');
    expect(parseRunProfile({ userId: 'u1', mobileIds: [{ id: 'm1', type: 1 }] })).toBe('mobileIds[0].type must be a string');
    expect(parseRunProfile({ userId: 'u1', mobileIds: [{ id: 'm1', type: 'ios' }, { id: 'm1', type: 'android' }] })).toBe('mobileIds[1]: the id "m1" is listed twice');
    // What the fields take is read as before: one id or a list, nulls and empty strings as none.
    expect(parseRunProfile({ anonymousId: 'a-1', anonymousIds: ['a-2', null, 'a-1', ''], email: null, mobileIds: [{ id: 'm1' }, { id: 'm2', type: 'ios' }] })).toMatchObject({
      profileId: 'a-2', anonymousIds: ['a-2', 'a-1'], emails: [], mobileIds: [{ id: 'm1', type: 'unknown' }, { id: 'm2', type: 'ios' }],
    });
    expect(parseRunProfile({ email: 'e@x', anonymousIds: null })).toMatchObject({ profileId: 'e@x', anonymousIds: [], emails: ['e@x'] });
  });

  it('refuses a key it does not know, in a profile or an entity: misspelt, read as absent, it would change what the run says', () => {
    expect(parseRunProfile({ userId: 'u1', valeu: 3 })).toMatch(/^the profile has an unknown key "valeu" \(its keys: profileId, userId/);
    expect(parseRunProfile({ userId: 'u1', entities: [{ id: 'a', contxt: { cart: 'c9' } }] })).toMatch(/^entities\[0\] has an unknown key "contxt" \(its keys: id, context\)/);
    expect(parseRunProfile({ userId: 'u1', entities: [{ id: 'a', context: { cart: 'c9' } }] })).toMatchObject({ entities: [{ id: 'a', context: { cart: 'c9' } }] });
  });
});

describe('parseRunHeader', () => {
  it('refuses a run id the state or a warehouse would store as another: two such runs were one, and the second was dropped as applied before', () => {
    expect(() => parseRunHeader({ space: 's', computation: 'c', id: 'x\uD800' })).toThrow(/^the run id "x\\ud800" holds half of a character/);
    expect(() => parseRunHeader({ space: 's', computation: 'c', id: 'x\u0000' })).toThrow(/^the run id "x\\u0000" holds a control character/);
    expect(parseRunHeader({ space: 's', computation: 'c', id: 'x😀', completedAt: '2026-11-23T10:00:00Z' })).toMatchObject({ id: 'x😀' });
  });

  it('refuses a run id holding a control character, which every command would print to the terminal as it is', () => {
    expect(() => parseRunHeader({ space: 's', computation: 'c', id: 'r\u001b[2J' })).toThrow('the run id "r\\u001b[2J" holds a control character');
    expect(() => parseRunHeader({ space: 's', computation: 'c', id: 'r\u007f\u009b' })).toThrow('the run id "r\\u007f\\u009b" holds a control character');
  });

  it('refuses a completedAt past tomorrow (a year mistyped), which would make every later run of the computation older than it, refused for good', () => {
    const at = (ms: number) => new Date(Date.now() + ms).toISOString();
    expect(() => parseRunHeader({ space: 's', computation: 'c', id: 'r', completedAt: '9999-01-01T00:00:00Z' })).toThrow(/^completedAt 9999-01-01T00:00:00\.000Z is [\d,]+ days ahead of this machine's clock \(.*\): applied, it would make every later run of the computation older than it/);
    expect(() => parseRunHeader({ space: 's', computation: 'c', id: 'r', completedAt: at(MOST_AHEAD_MS + 3_600_000) })).toThrow(/ is 1 day ahead of this machine's clock/);
    // Another machine's clock, or a local time east of UTC written without its zone, is no mistake.
    expect(parseRunHeader({ space: 's', computation: 'c', id: 'r', completedAt: at(14 * 3_600_000) })).toMatchObject({ id: 'r' });
  });

  it('refuses a null kind, which was read as a snapshot and exited every member the run did not list', () => {
    expect(() => parseRunHeader({ space: 's', computation: 'c', id: 'r', kind: null })).toThrow('kind must be "snapshot" or "delta", not null (leave it out for a snapshot)');
    expect(parseRunHeader({ space: 's', computation: 'c', id: 'r' })).toMatchObject({ kind: 'snapshot' });
  });
});
