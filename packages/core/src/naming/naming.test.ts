import { describe, expect, it } from 'vitest';
import { snakeCase } from './snake-case.js';
import { stableHash } from './stable-hash.js';
import { applyIdentifierRules } from './identifier.js';
import { flatten } from './flatten.js';
import { ColumnNamer } from './column-namer.js';

describe('snakeCase', () => {
  it.each([
    ['Café Visits', 'caf_visits'],
    ['2FA Enabled', '2fa_enabled'],
    ['iOS IDFA', 'i_os_idfa'],
    ['$price', 'price'],
    ['shopping_cart__id', 'shopping_cart_id'],
    ['context_userAgentData_mobile', 'context_user_agent_data_mobile'],
    ['first_time_shopper', 'first_time_shopper'],
    ['Audience Entered', 'audience_entered'],
    ['HTMLParser', 'html_parser'],
    ['"; DROP TABLE users; --', 'drop_table_users'],
  ])('%s → %s', (input, expected) => {
    expect(snakeCase(input)).toBe(expected);
  });

  it('keeps a name with no ASCII letters or digits, under a stable generated name', () => {
    expect(snakeCase('日本語')).toMatch(/^unnamed_[0-9a-f]{8}$/);
    expect(snakeCase('日本語')).toBe(snakeCase('日本語'));
    expect(snakeCase('日本語')).not.toBe(snakeCase('中文'));
  });

  it('keeps names made of different halves of characters (lone surrogates) apart', () => {
    const names = ['\ud800', '\udc00', '\ufffd', '\ud800\ud800'].map(snakeCase);
    expect(new Set(names).size).toBe(4);
    // A name of whole characters keeps the hash it always had.
    expect(snakeCase('日本語')).toBe(`unnamed_${stableHash('日本語')}`);
  });
});

describe('applyIdentifierRules', () => {
  const rules = { maxLength: 63, reservedWords: new Set(['select', 'user']), prefixLeadingDigit: true };

  it('prefixes reserved words and leading digits where the warehouse needs it', () => {
    expect(applyIdentifierRules('select', rules)).toBe('_select');
    expect(applyIdentifierRules('2fa_enabled', rules)).toBe('_2fa_enabled');
    expect(applyIdentifierRules('2fa_enabled', { ...rules, prefixLeadingDigit: false })).toBe('2fa_enabled');
  });

  it('cuts long names with a stable hash suffix so that shared prefixes never collide', () => {
    const a = applyIdentifierRules(`${'x'.repeat(100)}_a`, rules);
    const b = applyIdentifierRules(`${'x'.repeat(100)}_b`, rules);
    expect(a.length).toBeLessThanOrEqual(63);
    expect(b.length).toBeLessThanOrEqual(63);
    expect(a).not.toBe(b);
    expect(applyIdentifierRules(`${'x'.repeat(100)}_a`, rules)).toBe(a);
  });

  it("cuts a name that fits but reads as a longer one's cut, so that it never takes that name's column", () => {
    const long = applyIdentifierRules('a'.repeat(70), rules);
    expect(long).toMatch(/^a{54}_[0-9a-f]{8}$/);
    // The cut name sent as a name of its own (a trait named so): not that column.
    const crafted = applyIdentifierRules(long, rules);
    expect(crafted).toHaveLength(63);
    expect(crafted).not.toBe(long);
    expect(applyIdentifierRules(long, rules)).toBe(crafted);
    // One character shorter (a cut whose prefix ended in `_`) too; shorter names, and other endings, are kept.
    expect(applyIdentifierRules(`${'b'.repeat(53)}_0123abcd`, rules)).not.toBe(`${'b'.repeat(53)}_0123abcd`);
    expect(applyIdentifierRules(`${'b'.repeat(52)}_0123abcd`, rules)).toBe(`${'b'.repeat(52)}_0123abcd`);
    expect(applyIdentifierRules(`${'b'.repeat(54)}_0123abcx`, rules)).toBe(`${'b'.repeat(54)}_0123abcx`);
    expect(applyIdentifierRules('order_deadbeef', rules)).toBe('order_deadbeef');
  });
});

describe('flatten', () => {
  it('joins nested paths with _ and keeps arrays as JSON strings', () => {
    expect(flatten({ context: { userAgentData: { mobile: false } }, tags: ['a', 'b'], empty: {}, gone: undefined, nil: null })).toEqual([
      ['context_userAgentData_mobile', false],
      ['tags', '["a","b"]'],
      ['nil', null],
    ]);
  });

  it('keeps pathologically deep objects whole instead of recursing without end', () => {
    let deep: Record<string, unknown> = { leaf: 1 };
    for (let i = 0; i < 1000; i++) deep = { d: deep };
    const out = flatten(deep);
    expect(out).toHaveLength(1);
    expect(typeof out[0]![1]).toBe('string');
  });
});

describe('ColumnNamer.forEachLeaf', () => {
  const rules = { maxLength: 63, reservedWords: new Set(['select']), prefixLeadingDigit: true };
  const leaves = (namer: ColumnNamer, value: Record<string, unknown>, prefix: string) => {
    const out: Array<[string, unknown]> = [];
    namer.forEachLeaf(value, prefix, (column, v) => out.push([column, v]));
    return out;
  };

  it('names the leaves flatten lists, in its order, the first time and from its tree after', () => {
    let deep: Record<string, unknown> = { leaf: 1 };
    for (let i = 0; i < 40; i++) deep = { d: deep };
    const values = { userAgentData: { mobile: false, brands: [{ brand: 'x' }] }, 'Café Visits': 3, select: 'kw', empty: {}, gone: undefined, nil: null, constructor: 'data', deep, fn: Object, nested: { toString: Object.prototype.toString, kept: 1 } };
    const namer = new ColumnNamer(rules);
    for (const prefix of ['', 'context']) {
      const expected = flatten(values, prefix).map(([path, v]) => [namer.column(path), v]);
      expect(leaves(namer, values, prefix)).toEqual(expected);
      expect(leaves(namer, values, prefix)).toEqual(expected);
    }
  });

  it('keeps naming correctly once it stops remembering paths (endless distinct keys)', () => {
    const namer = new ColumnNamer(rules);
    for (let i = 0; i < 100_050; i++) leaves(namer, { [`k${i}`]: i }, '');
    expect(leaves(namer, { 'New Key': 1, k5: 2 }, '')).toEqual([['new_key', 1], ['k5', 2]]);
  });
});
