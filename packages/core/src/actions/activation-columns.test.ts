import { describe, expect, it } from 'vitest';
import { activationColumns } from './activation-columns.js';

const rules = { maxLength: 63, reservedWords: new Set<string>(), prefixLeadingDigit: false };

describe('activationColumns', () => {
  it("names the standard columns, the preset's, and the activation's own that surely take the key's name", () => {
    const columns = activationColumns(
      {
        preset: 'linked-audience',
        columns: { 'Cart ID': { '@template': '{{properties.cart_id}}' }, id: 'literal', note: { '@json': { mode: 'encode', value: { '@path': '$.x' } } }, owner: { '@path': '$.properties.data_graph_entity_context.owner' } },
      },
      rules,
    );
    expect(columns.slice(0, 2)).toEqual(['id', 'received_at']);
    expect(columns).toEqual(expect.arrayContaining(['user_id', 'audience_key', 'entity_context', 'cart_id', '_id', 'note']));
    // A key whose value may be an object names the columns of its leaves, which only its values tell.
    expect(columns).not.toContain('owner');
    expect(activationColumns({ preset: 'journey-step', columns: {} }, rules)).toEqual(expect.arrayContaining(['journey_context', 'journey_metadata']));
  });
});
