import { describe, expect, it } from 'vitest';
import { Harness, identify, track, type DestinationUnderTest } from '../harness.js';
import { dialectNames } from './dialect-names.js';

const at = (minute: number) => `2026-11-23T10:${String(minute).padStart(2, '0')}:00.000Z`;

/** Nested objects in traits, properties, context and mapped fields flatten with `_`; arrays stay whole, as JSON strings. */
export function flattening(dut: DestinationUnderTest): void {
  const { name, names, named } = dialectNames(dut);

  describe('flattening', () => {
    it('flattens nested track properties into the event table, keeps arrays as JSON, and lets neither an empty object nor a null make a column', async () => {
      const h = await Harness.create(dut);
      await h.calls([track('u1', 'Order Completed', {
        order: { id: 'o1', shipping: { city: 'Paris', express: true, cost: 4.5 } },
        items: [{ sku: 'a', qty: 1 }, { sku: 'b', qty: 2 }],
        matrix: [[1, 2], [3]],
        tags: [],
        empty: {},
        gift: { note: null },
      }, { messageId: 't1' })]);
      await h.sync();
      const expected = named({
        order_id: 'o1', order_shipping_city: 'Paris', order_shipping_express: true, order_shipping_cost: 4.5,
        items: '[{"sku":"a","qty":1},{"sku":"b","qty":2}]', matrix: '[[1,2],[3]]', tags: '[]',
      });
      expect(await h.rows('order_completed', Object.keys(expected))).toEqual([expected]);
      expect(await h.columnTypes('order_completed')).toMatchObject(named({ order_shipping_express: 'boolean', order_shipping_cost: 'double' }));
      const columns = await h.columns('order_completed');
      for (const absent of names('empty', 'gift', 'gift_note', 'order', 'order_shipping')) expect(columns).not.toContain(absent);
      expect(await h.columns('tracks')).not.toContain(name('order_id'));
      await h.close();
    });

    it('flattens nested traits into identifies and users, where each flattened column keeps its own latest value', async () => {
      const h = await Harness.create(dut);
      await h.calls([identify('u1', { address: { city: 'Paris', geo: { lat: 48.85, lng: 2.35 } }, roles: ['admin', 'editor'] }, { messageId: 'i1', timestamp: at(1) })]);
      await h.sync();
      await h.calls([identify('u1', { address: { city: 'Lyon' } }, { messageId: 'i2', timestamp: at(2) })]);
      await h.sync();
      const columns = names('address_city', 'address_geo_lat', 'address_geo_lng', 'roles');
      expect(await h.rows('identifies', ['id', ...columns], ['id'])).toEqual([
        { id: 'i1', ...named({ address_city: 'Paris', address_geo_lat: 48.85, address_geo_lng: 2.35, roles: '["admin","editor"]' }) },
        { id: 'i2', ...named({ address_city: 'Lyon', address_geo_lat: null, address_geo_lng: null, roles: null }) },
      ]);
      expect(await h.rows('users', ['id', ...columns])).toEqual([
        { id: 'u1', ...named({ address_city: 'Lyon', address_geo_lat: 48.85, address_geo_lng: 2.35, roles: '["admin","editor"]' }) },
      ]);
      await h.close();
    });

    it('flattens the context into context_* columns of identifies, tracks and the event table, and keeps it out of users', async () => {
      const h = await Harness.create(dut);
      const context = {
        campaign: { name: 'winter', source: 'mail' },
        device: { advertisingId: 'ad-1', type: 'ios' },
        library: { name: 'analytics.js', version: '4.1' },
        traits: { tags: ['a', 'b'] },
        locale: 'fr-FR',
      };
      await h.calls([
        identify('u1', { plan: 'pro' }, { messageId: 'i1', context }),
        track('u1', 'Signed Up', { plan: 'pro' }, { messageId: 't1', context }),
      ]);
      await h.sync();
      const expected = named({
        context_campaign_name: 'winter', context_campaign_source: 'mail', context_device_advertising_id: 'ad-1', context_device_type: 'ios',
        context_library_name: 'analytics.js', context_library_version: '4.1', context_traits_tags: '["a","b"]', context_locale: 'fr-FR',
      });
      for (const table of ['identifies', 'tracks', 'signed_up']) expect(await h.rows(table, Object.keys(expected))).toEqual([expected]);
      const users = await h.columns('users');
      for (const column of Object.keys(expected)) expect(users).not.toContain(column);
      await h.close();
    });

    it('quarantines a value whose flattened path names the same column as another key of the call; the first one keeps the column', async () => {
      const h = await Harness.create(dut);
      await h.calls([identify('u1', { shipping: { city: 'Paris' }, shipping_city: 'Lyon' }, { messageId: 'i1' })]);
      const record = await h.sync();
      expect(record).toMatchObject({ status: 'Partial', rejects: 1 });
      const column = name('shipping_city');
      expect(await h.rows('identifies', ['id', column])).toEqual([{ id: 'i1', [column]: 'Paris' }]);
      expect(await h.rows('_stowage_rejects', ['id', 'table_name', 'column_name', 'value'])).toEqual([{ id: 'i1', table_name: 'identifies', column_name: column, value: 'Lyon' }]);
      await h.close();
    });

    it('quarantines a context value whose key names the same column as another of its keys, in every table the context goes to', async () => {
      const h = await Harness.create(dut);
      const context = { userAgent: 'first', user_agent: 'second' };
      await h.calls([identify('u1', { a: 1 }, { messageId: 'i1', context }), track('u1', 'Signed Up', { b: 2 }, { messageId: 't1', context })]);
      expect(await h.sync()).toMatchObject({ status: 'Partial', rejects: 3 });
      const column = name('context_user_agent');
      for (const table of ['identifies', 'tracks', 'signed_up']) expect(await h.rows(table, [column])).toEqual([{ [column]: 'first' }]);
      expect(await h.rows('_stowage_rejects', ['id', 'table_name', 'column_name', 'value'], ['id', 'table_name'])).toEqual([
        { id: 'i1', table_name: 'identifies', column_name: column, value: 'second' },
        { id: 't1', table_name: 'signed_up', column_name: column, value: 'second' },
        { id: 't1', table_name: 'tracks', column_name: column, value: 'second' },
      ]);
      await h.close();
    });

    it('flattens a mapped object of a Storage Actions row into columns, keeps a mapped array as JSON, and the entity context whole', async () => {
      const columns = { cart: { '@path': '$.properties.data_graph_entity_context.cart' }, items: { '@path': '$.properties.data_graph_entity_context.items' } };
      const h = await Harness.create(dut, { computations: { carts: { type: 'linked_audience' } }, activations: { a: { computation: 'carts', table: 'carts', columns } } });
      const entityContext = { cart: { id: 'c1', total: { amount: 20, currency: 'EUR' } }, items: [{ sku: 'a' }, { sku: 'b' }] };
      await h.run({ computation: 'carts', id: 'r1' }, [{ userId: 'u1', entityContext }]);
      const expected = named({ cart_id: 'c1', cart_total_amount: 20, cart_total_currency: 'EUR', items: '[{"sku":"a"},{"sku":"b"}]' });
      const [row] = await h.rows('carts', [...Object.keys(expected), 'entity_context'], ['user_id'], 'wh', 'default');
      expect({ ...row, entity_context: JSON.parse(String(row!.entity_context)) }).toEqual({ ...expected, entity_context: entityContext });
      expect(await h.columns('carts', 'wh', 'default')).not.toContain(name('cart'));
      await h.close();
    });
  });
}
