import { describe, expect, it } from 'vitest';
import { activationColumns } from './activation-columns.js';

const rules = { maxLength: 63, reservedWords: new Set<string>(), prefixLeadingDigit: false };

describe('activationColumns', () => {
  it("names the standard columns, the preset's and the activation's own, as the writer places them", () => {
    const columns = activationColumns({ preset: 'linked-audience', columns: { 'Cart ID': { '@path': '$.x' }, id: 'literal' } }, rules);
    expect(columns.slice(0, 2)).toEqual(['id', 'received_at']);
    expect(columns).toEqual(expect.arrayContaining(['user_id', 'audience_key', 'entity_context', 'cart_id', '_id']));
    expect(activationColumns({ preset: 'journey-step', columns: {} }, rules)).toEqual(expect.arrayContaining(['journey_context', 'journey_metadata']));
  });
});
