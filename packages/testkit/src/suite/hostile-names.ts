import { describe, expect, it } from 'vitest';
import { Harness, identify, track, type DestinationUnderTest } from '../harness.js';
import { dialectNames } from './dialect-names.js';

/** Names of tables and columns that are reserved, too long, or special to JavaScript, on both paths. */
export function hostileNames(dut: DestinationUnderTest): void {
  const { dialect } = dut.destination;
  const { name, names, named } = dialectNames(dut);

  describe('hostile names', () => {
    it('gives an event named like a reserved word its table under the name the dialect gives it', async () => {
      const h = await Harness.create(dut);
      await h.calls([track('u1', 'Select', { from: 1 }, { messageId: 't1' }), track('u1', 'Order', { by: 'x' }, { messageId: 't2' })]);
      await h.sync();
      expect(await h.rows(name('select'), ['id', name('from')])).toEqual([{ id: 't1', ...named({ from: 1 }) }]);
      expect(await h.rows(name('order'), ['id', name('by')])).toEqual([{ id: 't2', ...named({ by: 'x' }) }]);
      expect(await h.rows('tracks', ['id', 'event', 'event_text'])).toEqual([
        { id: 't1', event: 'select', event_text: 'Select' },
        { id: 't2', event: 'order', event_text: 'Order' },
      ]);
      await h.close();
    });

    it('quotes any string as an identifier: a double quote, a backtick, a dot and a space inside a name are the name', async () => {
      const h = await Harness.create(dut);
      const { quote, physicalType } = dialect;
      // Lower case: a warehouse that reads names without regard to case must take them as they are.
      const [schema, table, column] = ['q"s.x', 't`"; drop table t; --', 'c "1"'];
      await h.execute(`CREATE SCHEMA ${quote(schema)}`);
      await h.execute(`CREATE TABLE ${quote(schema)}.${quote(table)} (${quote(column)} ${physicalType('string')})`);
      await h.execute(`INSERT INTO ${quote(schema)}.${quote(table)} (${quote(column)}) VALUES (${dialect.literal('v')})`);
      expect(await h.rows(table, [column], [column], 'wh', schema)).toEqual([{ [column]: 'v' }]);
      await h.close();
    });

    it('cuts a very long event name to the dialect\'s limit, the same way in every sync', async () => {
      const h = await Harness.create(dut);
      const event = `Checkout ${'Step Completed With A Very Long Name '.repeat(12)}`;
      await h.calls([track('u1', event, { n: 1 }, { messageId: 't1' })]);
      await h.sync();
      await h.calls([track('u1', event, { n: 2 }, { messageId: 't2' })]);
      await h.sync();
      const table = name(`checkout_${'step_completed_with_a_very_long_name_'.repeat(12)}`.replace(/_$/, ''));
      expect(table.length).toBeLessThanOrEqual(dialect.identifiers.maxLength);
      expect(await h.rows(table, ['id', name('n')])).toEqual([{ id: 't1', ...named({ n: 1 }) }, { id: 't2', ...named({ n: 2 }) }]);
      // `event` is the name in snake_case, whole: a value, not an identifier, so no warehouse's limit cuts it.
      const snake = `checkout_${'step_completed_with_a_very_long_name_'.repeat(12)}`.replace(/_$/, '');
      expect(await h.rows('tracks', ['id', 'event', 'event_text'])).toEqual([
        { id: 't1', event: snake, event_text: event },
        { id: 't2', event: snake, event_text: event },
      ]);
      await h.close();
    });

    it('treats __proto__, toString and hasOwnProperty as ordinary keys: columns, never a prototype', async () => {
      const h = await Harness.create(dut);
      await h.calls(['{"type":"identify","messageId":"p1","userId":"u1","traits":{"__proto__":{"polluted":"yes"},"toString":"t","hasOwnProperty":"h"}}']);
      expect((await h.sync()).status).toBe('Success');
      const expected = named({ proto_polluted: 'yes', to_string: 't', has_own_property: 'h' });
      expect(await h.rows('users', Object.keys(expected))).toEqual([expected]);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      await h.close();
    });

    it('treats __proto__ inside an entity context mapped into columns as an ordinary key, never a prototype', async () => {
      const columns = { ctx: { '@path': '$.properties.data_graph_entity_context' } };
      const h = await Harness.create(dut, { computations: { carts: { type: 'linked_audience' } }, activations: { a: { computation: 'carts', table: 'carts', columns } } });
      // Parsed from JSON, as a run file is: an own key, which an assignment would take for the prototype.
      const entityContext = JSON.parse('{"p":"pv","__proto__":{"k":1}}') as Record<string, unknown>;
      const result = await h.run({ computation: 'carts', id: 'r1' }, [{ userId: 'u1', entityContext }]);
      expect(result.writes.map((w) => w.status)).toEqual(['Success']);
      const [p, k] = [name('ctx_p'), name('ctx_proto_k')];
      expect(await h.rows('carts', ['user_id', p, k], ['user_id'], 'wh', 'default')).toEqual([{ user_id: 'u1', [p]: 'pv', [k]: 1 }]);
      expect(({} as Record<string, unknown>).k).toBeUndefined();
      await h.close();
    });

    // A row is a plain object: a key named like a property of Object.prototype is data all the same.
    it('keeps traits and context keys named constructor or toString as columns', async () => {
      const h = await Harness.create(dut);
      await h.calls([identify('u1', { constructor: 'c' }, { messageId: 'p2', context: { toString: 't' } })]);
      expect(await h.sync()).toMatchObject({ status: 'Success', rejects: 0 });
      expect(await h.rows('users', ['id', name('constructor')])).toEqual([{ id: 'u1', [name('constructor')]: 'c' }]);
      expect(await h.rows('identifies', [name('context_to_string')])).toEqual([{ [name('context_to_string')]: 't' }]);
      await h.close();
    });

    // A row is a plain object: one without its own `constructor` read Object.prototype's, and its
    // load file held `function Object() { [native code] }`, which then was the user's latest value.
    it('leaves a column named constructor null in the rows of calls without it, on both paths, and counts a table so named', async () => {
      const h = await Harness.create(dut, { computations: { carts: { type: 'linked_audience' } }, activations: { a: { computation: 'carts', table: 'carts', columns: { constructor: { '@path': '$.properties.data_graph_entity_context.maker' } } } } });
      const at = (day: number) => ({ timestamp: `2026-11-0${day}T00:00:00.000Z` });
      await h.calls([identify('u1', { constructor: 'c' }, { messageId: 'h1', ...at(1) })]);
      await h.sync();
      await h.calls([
        identify('u7', { constructor: 'Ferrari' }, { messageId: 'h7', ...at(5) }),
        identify('u1', { y: 9 }, { messageId: 'h8', ...at(6) }),
        track('u1', 'Order', { constructor: 'p' }, { messageId: 't1' }),
        track('u1', 'Order', { b: 2 }, { messageId: 't2' }),
        track('u1', 'constructor', { a: 1 }, { messageId: 't3' }),
      ]);
      const record = await h.sync();
      expect(record.rows[name('constructor')]).toBe(1);
      const c = name('constructor');
      expect(await h.rows('identifies', ['id', c], ['id'])).toEqual([{ id: 'h1', [c]: 'c' }, { id: 'h7', [c]: 'Ferrari' }, { id: 'h8', [c]: null }]);
      expect(await h.rows('users', ['id', c], ['id'])).toEqual([{ id: 'u1', [c]: 'c' }, { id: 'u7', [c]: 'Ferrari' }]);
      expect(await h.rows(name('order'), ['id', c], ['id'])).toEqual([{ id: 't1', [c]: 'p' }, { id: 't2', [c]: null }]);
      expect(await h.rows(c, ['id', name('a')])).toEqual([{ id: 't3', [name('a')]: 1 }]);
      await h.run({ computation: 'carts', id: 'r1' }, [{ userId: 'u1', entityContext: { maker: 'm' } }, { userId: 'u2', entityContext: {} }]);
      expect(await h.rows('carts', ['user_id', c], ['user_id'], 'wh', 'default')).toEqual([{ user_id: 'u1', [c]: 'm' }, { user_id: 'u2', [c]: null }]);
      await h.close();
    });

    it('names Storage Actions tables and mapped columns from hostile and reserved words as the dialect does, and stores them as data', async () => {
      const columns = { '"; DROP TABLE carts; --': 'x', Select: 'y', 'Order By': 'z', user: { '@path': '$.userId' } };
      const h = await Harness.create(dut, { computations: { carts: { type: 'linked_audience' } }, activations: { a: { computation: 'carts', table: 'Order', columns } } });
      const result = await h.run({ computation: 'carts', id: 'r1' }, [{ userId: 'u1' }]);
      expect(result.activations[0]).toMatchObject({ written: 1, refused: 0 });
      const mapped = names('drop_table_carts', 'select', 'order_by', 'user');
      expect(await h.rows(name('order'), mapped, [], 'wh', 'default')).toEqual([named({ drop_table_carts: 'x', select: 'y', order_by: 'z', user: 'u1' })]);
      await h.close();
    });

    // PostgreSQL refuses a column named like a system column whatever the quoting, and failed the
    // batch (or the space's write) on every retry: the dialect names such keys as it does reserved words.
    it("lands keys named like a warehouse's system columns (xmin, ctid, oid, rowid…) in columns the dialect gives them, on both paths", async () => {
      const keys = ['xmin', 'xmax', 'cmin', 'cmax', 'ctid', 'tableoid', 'oid', 'rowid'];
      const columns = Object.fromEntries(keys.map((k) => [k, { '@path': '$.userId' }]));
      const h = await Harness.create(dut, { computations: { carts: { type: 'linked_audience' } }, activations: { a: { computation: 'carts', table: 'carts', columns } } });
      const values = Object.fromEntries(keys.map((k, i) => [k, i]));
      await h.calls([identify('u1', values, { messageId: 's1' }), track('u1', 'Viewed', { xmin: 1, ctid: 2 }, { messageId: 's2' })]);
      expect(await h.sync()).toMatchObject({ status: 'Success', rejects: 0 });
      expect(await h.rows('users', names(...keys))).toEqual([named(values)]);
      expect(await h.rows(name('viewed'), names('xmin', 'ctid'))).toEqual([named({ xmin: 1, ctid: 2 })]);
      const result = await h.run({ computation: 'carts', id: 'r1' }, [{ userId: 'u1' }]);
      expect(result.activations[0]).toMatchObject({ written: 1, refused: 0 });
      expect(await h.rows('carts', names(...keys), [], 'wh', 'default')).toEqual([named(Object.fromEntries(keys.map((k) => [k, 'u1'])))]);
      await h.close();
    });
  });
}
