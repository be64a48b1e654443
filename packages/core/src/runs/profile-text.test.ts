import { describe, expect, it } from 'vitest';
import { exactJsonText } from '../types/exact-json-text.js';
import { parseJsonExactly } from '../types/exact-json.js';
import { JsonText } from './json-text.js';
import { parseProfileText } from './profile-text.js';

/** What the common way makes of a line: parsed whole. */
const common = (line: string) => parseJsonExactly(line) as Record<string, unknown>;

/** The profile with its context as the text the profile state would keep of it. */
function kept(profile: unknown): Record<string, unknown> {
  const p = { ...(profile as Record<string, unknown>) };
  if (p.entityContext !== undefined) p.entityContext = p.entityContext instanceof JsonText ? p.entityContext.text : exactJsonText(p.entityContext);
  return p;
}

const context = { cart_id: 'cart_1', total: 0.30000000000000004, items: [{ sku: 'a "}]', price: 12.5, qty: 2 }], note: 'é😀\n' };

describe('parseProfileText', () => {
  it('keeps an entity context written as JSON.stringify writes it as its text, the other fields parsed', () => {
    const text = JSON.stringify(context);
    const line = `{"profileId":"p1","userId":"u1","entityContext":${text},"entities":[{"id":"e1","context":{"a":1}}]}`;
    const profile = parseProfileText(line) as Record<string, unknown>;
    expect(profile.entityContext).toBeInstanceOf(JsonText);
    expect((profile.entityContext as JsonText).text).toBe(text);
    expect({ ...profile, entityContext: undefined }).toEqual({ ...common(line), entityContext: undefined });
    // Written spaced out around it (a pretty-printed JSON run's profile): the same.
    const spaced = `{ "profileId" : "p1" ,\n "entityContext" :  ${text} }`;
    expect(((parseProfileText(spaced) as Record<string, unknown>).entityContext as JsonText).text).toBe(text);
  });

  it('gives what parsing the whole line gives, to the byte the state keeps, whatever the line', () => {
    const text = JSON.stringify(context);
    for (const line of [
      `{"profileId":"p1","entityContext":${text}}`,
      `{"entityContext":${text},"profileId":"p1"}`,
      `{"profileId":"p1","entityContext":${JSON.stringify(context, null, 2)}}`, // parsed: written with spaces
      `{"profileId":"p1","entityContext":{"b":1,"a":1.50}}`, // parsed: a trailing zero
      `{"profileId":"p1","entityContext":{"id":12345678901234567891}}`, // parsed: an integer read as its digits
      `{"profileId":"p1","entityContext":{"a":1},"entityContext":${text}}`, // parsed: the last of two is kept
      `{"profileId":"p1","entity\\u0043ontext":{"a":1},"entityContext":${text}}`, // a key spelled with an escape
      `{"profileId":"p1","entityContext":[1,2]}`, // not an object: refused later, as it was
      `{"profileId":"p1","entityContext":"{}"}`,
      `{"profileId":"p1","note":"\\"entityContext\\":{}","entityContext":{"a":[{"b":"}"}]}}`,
      `{"profileId":"p1"}`,
    ]) {
      expect(kept(parseProfileText(line)), line).toEqual(kept(common(line)));
    }
  });

  it('refuses what is not JSON with the error parsing the whole line gives, its position the line\'s', () => {
    for (const line of [`{"profileId":"p1","entityContext":{"a":1}`, `{"profileId":"p1","entityContext":{"a":1}} x`, `{"profileId":p1,"entityContext":{"a":1}}`, `{"entityContext":{"a":1},"profileId":"p1",}`]) {
      let expected: string | undefined;
      try {
        common(line);
      } catch (error) {
        expected = (error as Error).message;
      }
      expect(expected, line).toBeDefined();
      expect(() => parseProfileText(line), line).toThrow(expected!);
    }
  });
});
