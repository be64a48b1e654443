import { describe, expect, it } from 'vitest';
import { actionsCore } from './actions-core.js';
import { compileMapping } from './compiled-mapping.js';
import { audienceColumns, journeyColumns, sendCustomEventFields } from './fields.js';
import { materializeEvent, type ActionEvent } from './events.js';
import { JsonText } from '../runs/json-text.js';

const defaults = actionsCore().defaultValues(sendCustomEventFields as never) as Record<string, unknown>;

/** Events whose values make mapping-kit's reads take every turn: falsy values on the way, arrays, nulls, missing keys. */
const events: object[] = [
  {
    type: 'track',
    event: 'Audience Entered',
    messageId: 'm1',
    userId: 'u1',
    receivedAt: '2026-11-23T10:00:00.000Z',
    properties: { audience_key: 'carts', data_graph_entity_context: { cart_id: 'c1', total: 0, items: [{ sku: 'a"b', qty: 1 }, null], note: '' } },
    context: { personas: { computation_key: 'carts', computation_id: 'aud_1', computation_run_id: 'r1', event_emitter_id: 'act_1', computation_class: 'linked_audience', space_name: 'default' } },
  },
  // Entity contexts as the profile state hands them over: JSON text.
  {
    type: 'track',
    event: 'Audience Exited',
    messageId: 'm5',
    userId: 'u5',
    properties: { audience_key: 'carts', data_graph_entity_context: new JsonText(JSON.stringify({ cart_id: 'c5', total: 0, items: [{ sku: 'é"\\', qty: 1e21 }], note: '' })) },
    context: { personas: { computation_key: 'carts' } },
  },
  { type: 'track', messageId: 'm6', properties: { data_graph_entity_context: new JsonText('{}') } },
  { type: 'track', event: 'Journey Step Entered', messageId: 'm2', properties: { journey_context: { step: { opened: false } }, journey_metadata: null }, context: { personas: {} } },
  { type: 'track', messageId: 'm3', properties: { data_graph_entity_context: 0, audience_key: '' }, context: null },
  { type: 'track', messageId: 'm4', properties: { data_graph_entity_context: { cart_id: false, total: -0, big: 1e21, when: '2026-11-23' } } },
  {},
];

const mappings: Record<string, Record<string, unknown>> = {
  'the Linked Audience preset': { ...defaults, properties: audienceColumns },
  'the Journeys preset': { ...defaults, properties: journeyColumns },
  'an activation of its own': {
    ...defaults,
    event: 'carts',
    schema: 'default',
    schemaOverride: false,
    maxEntityContextBytes: 32768,
    properties: {
      ...audienceColumns,
      cart_id: { '@path': '$.properties.data_graph_entity_context.cart_id' },
      through_falsy: { '@path': '$.properties.data_graph_entity_context.total.value' },
      through_missing: { '@path': '$.properties.nothing.here' },
      whole_event: { '@path': '$.' },
      whole_properties: { '@path': '$.properties' },
      context_encoded_twice: { '@json': { mode: 'encode', value: { wrapped: { '@path': '$.properties.data_graph_entity_context' } } } },
      items: { '@json': { mode: 'encode', value: { '@path': '$.properties.data_graph_entity_context.items' } } },
      nothing_encoded: { '@json': { mode: 'encode', value: { '@path': '$.properties.absent' } } },
      literal: 'text',
      numbers: [1, { '@path': '$.messageId' }, null],
      nested: { a: { '@path': '$.userId' }, b: { c: false } },
    },
  },
};

describe('compileMapping', () => {
  for (const [name, mapping] of Object.entries(mappings)) {
    it(`gives what mapping-kit gives, for ${name}`, () => {
      const compiled = compileMapping(mapping);
      expect(compiled).toBeDefined();
      for (const event of events) {
        expect(compiled!(event)).toStrictEqual(actionsCore().transform(mapping as never, materializeEvent(event as ActionEvent) as never));
      }
    });
  }

  it('leaves to mapping-kit every mapping it cannot read as plain property reads', () => {
    const leftToKit = [
      { x: { '@template': '{{userId}}' } },
      { x: { '@if': { exists: { '@path': '$.userId' }, then: 1 } } },
      { x: { '@path': '$.properties["a b"]' } },
      { x: { '@path': '$.items[0].sku' } },
      { x: { '@path': { '@template': '$.userId' } } },
      { x: { '@json': { mode: 'decode', value: { '@path': '$.userId' } } } },
      { x: { '@path': '$.userId', _metadata: {} } },
      { x: { '@path': '$.userId', other: 1 } },
      { __segment_internal_directive: { '@path': '$.' } },
    ];
    for (const mapping of leftToKit) expect(compileMapping(mapping)).toBeUndefined();
  });
});
