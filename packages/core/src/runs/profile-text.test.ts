import { describe, expect, it } from 'vitest';
import { exactJsonText } from '../types/exact-json-text.js';
import { parseJsonExactly } from '../types/exact-json.js';
import { jsonValueProblem } from '../types/json-value.js';
import { JsonText } from './json-text.js';
import { RunFormatError } from './parse.js';
import { parseProfileText } from './profile-text.js';

/** What the common way makes of a line: parsed whole. */
const common = (line: string) => parseJsonExactly(line) as Record<string, unknown>;

/** A context as the text the profile state would keep of it. */
const keptText = (context: unknown) => (context instanceof JsonText ? context.text : exactJsonText(context));

/** The profile with its contexts (its own, its entities') as the texts the profile state would keep of them. */
function kept(profile: unknown): Record<string, unknown> {
  const p = { ...(profile as Record<string, unknown>) };
  if (p.entityContext !== undefined) p.entityContext = keptText(p.entityContext);
  if (Array.isArray(p.entities)) p.entities = p.entities.map((e) => (typeof e === 'object' && e !== null && !Array.isArray(e) && 'context' in e ? { ...e, context: keptText(e.context) } : e));
  return p;
}

/** A profile whose one entity's context is nested `levels` deep. */
const deepEntity = (levels: number) => `{"profileId":"p1","entities":[{"id":"e1","context":${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}}]}`;

const context = { cart_id: 'cart_1', total: 0.30000000000000004, items: [{ sku: 'a "}]', price: 12.5, qty: 2 }], note: 'é😀\n' };

describe('parseProfileText', () => {
  it('keeps an entity context written as JSON.stringify writes it as its text, the other fields parsed', () => {
    const text = JSON.stringify(context);
    const line = `{"profileId":"p1","userId":"u1","entityContext":${text},"entities":[{"id":"e1","context":{"a":1}}]}`;
    const profile = parseProfileText(line) as Record<string, unknown>;
    expect(profile.entityContext).toBeInstanceOf(JsonText);
    expect((profile.entityContext as JsonText).text).toBe(text);
    // An entity's context alike.
    const [entity] = profile.entities as Array<{ id: string; context: JsonText }>;
    expect(entity!.context).toBeInstanceOf(JsonText);
    expect(entity!.context.text).toBe('{"a":1}');
    expect({ ...profile, entityContext: undefined, entities: undefined }).toEqual({ ...common(line), entityContext: undefined, entities: undefined });
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
      `{"profileId":"p1","entityContext":[1,2]}`, // not an object: refused later, as it was
      `{"profileId":"p1","entityContext":"{}"}`,
      `{"profileId":"p1","note":"\\"entityContext\\":{}","entityContext":{"a":[{"b":"}"}]}}`,
      `{"profileId":"p1"}`,
      `{"profileId":"p1","entities":[{"id":"e1","context":${text}},{"id":"e2","context":{"b":[1,{"c":"}]"}]}},{"id":"e3"}]}`,
      `{"profileId":"p1","entities":[ { "id" : "e1" , "context" : ${text} } ] ,"entityContext":${text}}`,
      `{"profileId":"p1","entities":[{"id":"e1","context":{"a":1.50}},{"id":"e2","context":${text}}]}`, // the first parsed: a trailing zero
      `{"profileId":"p1","entities":[{"id":"e1","context":null},{"id":"e2","context":[1]},{"id":"e3","context":"{}"}]}`,
      `{"profileId":"p1","entities":[1,{"id":"e1","context":{"a":1}}]}`, // not a list of objects: refused later, as it was
      `{"profileId":"p1","entities":{"id":"e1","context":{"a":1}}}`,
      `{"profileId":"p1","entities":[]}`,
      `{"profileId":"p1","entityContext":{"a": 1},"entities":[{"id":"e1","context":${text}}]}`, // the member's parsed, its entity's kept
      `{"profileId":"p1","entityContext":[1],"mobileIds":[{"id":"m1"},{"type":"ios","id":"m2"}],"entities":[{"id":"e1","context":${text}}]}`,
      `{"profileId":"p1","entities":[{}]}`,
      deepEntity(498),
      deepEntity(499),
      `{"profileId":"p1","entityContext":${'{"a":'.repeat(500)}1${'}'.repeat(500)}}`, // the member's own: 500 levels are parsed
    ]) {
      expect(kept(parseProfileText(line)), line).toEqual(kept(common(line)));
    }
  });

  it('refuses a key written twice, in the profile or in an entity or a mobile id, which JSON.parse would read as the last without a word', () => {
    const text = JSON.stringify(context);
    const twice = (what: string, key: string) => `${what} has the key "${key}" twice; which one is meant cannot be told (JSON readers keep either): write it once`;
    for (const [line, what, key] of [
      ['{"userId":"u1","value":1,"userId":"u2"}', 'the profile', 'userId'],
      ['{"userId":"u1","value":1,"value":2}', 'the profile', 'value'],
      [`{"profileId":"p1","entityContext":{"a":1},"entityContext":${text}}`, 'the profile', 'entityContext'],
      [`{"profileId":"p1","entityContext":{"a": 1},"entityContext":${text}}`, 'the profile', 'entityContext'], // the first not kept as text
      [`{"profileId":"p1","entity\\u0043ontext":{"a":1},"entityContext":${text}}`, 'the profile', 'entityContext'], // one spelt with an escape
      [`{"profileId":"p1","entities":[{"id":"e1","context":{"a":1}}],"entities":[{"id":"e2","context":{"b":2}}]}`, 'the profile', 'entities'],
      ['{"profileId":"p1","entities":[{"id":"e1"},{"id":"e2","id":"e3"}]}', 'entities[1]', 'id'],
      ['{"profileId":"p1","entities":[{"id":"e1","context":{"a":1},"context":{"a":2}}]}', 'entities[0]', 'context'],
      ['{"profileId":"p1","entities":[{"id":"e1","cont\\u0065xt":{"a":1},"context":{"a":2}}]}', 'entities[0]', 'context'],
      ['{"profileId":"p1","mobileIds":[{"id":"m1","type":"ios","id":"m2"}]}', 'mobileIds[0]', 'id'],
    ]) {
      expect(() => parseProfileText(line!), line).toThrow(RunFormatError);
      expect(() => parseProfileText(line!), line).toThrow(twice(what!, key!));
    }
    // A key written once, its name inside a string or in a value's object (a value's own keys are its producer's).
    for (const line of ['{"userId":"u1","note":"\\"userId\\":1","value":{"userId":"u2"}}', `{"userId":"u1","entityContext":{"userId":"x"},"entities":[{"id":"e1","context":{"id":1}},{"id":"e2"}]}`]) {
      expect(kept(parseProfileText(line)), line).toEqual(kept(common(line)));
    }
    // Not JSON after the key written twice: said as for any line.
    expect(() => parseProfileText('{"userId":"u1","userId":"u2",}')).toThrow(SyntaxError);
    // Keys by the hundred thousand (traits written beside the profile's keys, refused later as
    // unknown) are looked through in linear time: each looked for among all before it took 18 s.
    const many = `{"userId":"u1",${Array.from({ length: 100_000 }, (_, i) => `"k${i}":${i}`).join(',')}}`;
    const started = Date.now();
    expect(parseProfileText(many)).toMatchObject({ userId: 'u1', k99999: 99999 });
    expect(Date.now() - started).toBeLessThan(2_000);
    // The one written twice is found among them all the same, however late.
    expect(() => parseProfileText(many.replace('"k99999"', '"userId"'))).toThrow(twice('the profile', 'userId'));
  });

  it("keeps an entity's context as text only as deep as a run's values may be, counted from `entities`", () => {
    const context = (line: string) => ((parseProfileText(line) as { entities: Array<{ context: unknown }> }).entities[0]!.context);
    // entities → [0] → context: 498 levels of it reach the 500 a value may hold (`jsonValueProblem`).
    expect(context(deepEntity(498))).toBeInstanceOf(JsonText);
    // One more is parsed, and refused as the common way refuses it.
    expect(context(deepEntity(499))).not.toBeInstanceOf(JsonText);
    expect(jsonValueProblem('entities', common(deepEntity(498)).entities)).toBeUndefined();
    expect(jsonValueProblem('entities', common(deepEntity(499)).entities)).toBe('entities is nested deeper than 500 levels');
  });

  it('refuses what is not JSON with the error parsing the whole line gives, its position the line\'s', () => {
    for (const line of [`{"profileId":"p1","entities":[{"id":"e1","context":{"a":1}}]`, `{"profileId":"p1","entities":[{"id":"e1","context":{"a":1}},]}`, `{"profileId":"p1","entityContext":{"a":1}`, `{"profileId":"p1","entityContext":{"a":1}} x`, `{"profileId":p1,"entityContext":{"a":1}}`, `{"entityContext":{"a":1},"profileId":"p1",}`]) {
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
