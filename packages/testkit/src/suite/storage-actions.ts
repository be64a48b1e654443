import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { actionsCore, sendCustomEventFields, audienceColumns } from '@stowage/core';
import { Harness, type DestinationUnderTest } from '../harness.js';
import { expectMembersWrittenAgain, lostTableQueuedWhileDown } from '../lost-table.js';

const computations = {
  carts: { type: 'linked_audience' },
  vip: { type: 'audience' },
  welcome: { type: 'journey_step' },
};

const PRESET_COLUMNS = ['id', 'received_at', 'entity_context', 'user_id', 'audience_key', 'personas_computation_key', 'personas_computation_id', 'personas_computation_run_id', 'personas_activation_id', 'event_name'];
const JOURNEY_COLUMNS = ['id', 'received_at', 'journey_metadata', 'journey_context', 'user_id', 'personas_computation_key', 'personas_computation_id', 'personas_activation_id', 'personas_computation_class', 'event_name'];

const at = (minute: number) => `2026-11-23T10:${String(minute).padStart(2, '0')}:00.000Z`;

/**
 * An activation mapping the entity context's cart_id into the user's own `default.carts`, made
 * beforehand with a cart_id that may not be null: a member without a cart is refused by the
 * warehouse, not by Stowage.
 */
async function strictCarts(dut: DestinationUnderTest): Promise<Harness> {
  const columns = { cart_id: { '@path': '$.properties.data_graph_entity_context.cart_id' } };
  const h = await Harness.create(dut, { computations, activations: { a: { computation: 'carts', table: 'carts', columns } } });
  const { quote, physicalType } = dut.destination.dialect;
  await h.execute(`CREATE SCHEMA ${quote('default')}`);
  await h.execute(`CREATE TABLE ${quote('default')}.${quote('carts')} (${quote('cart_id')} ${physicalType('string')} NOT NULL)`);
  return h;
}

/** The Storage Actions path: activations written right after each run into `<space>.<table>`. */
export function storageActions(dut: DestinationUnderTest): void {
  /**
   * An install whose activation `a` (carts → `carts`) queued u1's entered event in run r1 while
   * its warehouse could not be reached; `good` are the warehouse's settings that reach it.
   */
  async function queuedWhileDown(): Promise<{ first: Harness; good: Record<string, unknown> }> {
    const first = await Harness.create(dut, { computations });
    const good = first.settings;
    await first.close();
    const down = await Harness.create(dut, { computations, activations: { a: { computation: 'carts', table: 'carts' } }, reuse: { dir: first.dir, settings: good }, warehouse: { settings: await dut.unreachable(first.dir) } });
    await down.run({ computation: 'carts', id: 'r1' }, [{ userId: 'u1' }]);
    await down.close();
    return { first, good };
  }

  describe('storage actions', () => {
    it('writes a linked audience run at once into <space>.<table>, with the preset columns', async () => {
      const h = await Harness.create(dut, { computations, activations: { carts_to_wh: { computation: 'carts', table: 'abandoned_carts' } } });
      const result = await h.run({ computation: 'carts', id: 'r1', completedAt: at(0) }, [{ userId: 'u1', entityContext: { cart_id: 'c1', total: 20, items: [{ sku: 'a' }] } }]);
      expect(result.activations).toEqual([{ activation: 'carts_to_wh', warehouse: 'wh', table: 'default.abandoned_carts', written: 1, duplicates: 0, refused: 0, queued: 0, ms: expect.any(Number) }]);
      expect(result.writes[0]).toMatchObject({ path: 'storage-actions', trigger: 'run r1', status: 'Success', rows: { 'default.abandoned_carts': 1 } });
      expect((await h.columns('abandoned_carts', 'wh', 'default'))?.sort()).toEqual([...PRESET_COLUMNS].sort());
      const [row] = await h.rows('abandoned_carts', PRESET_COLUMNS.filter((c) => c !== 'id'), ['user_id'], 'wh', 'default');
      expect({ ...row, entity_context: JSON.parse(row!.entity_context as string) }).toEqual({
        received_at: at(0),
        entity_context: { cart_id: 'c1', total: 20, items: [{ sku: 'a' }] },
        user_id: 'u1',
        audience_key: 'carts',
        personas_computation_key: 'carts',
        personas_computation_id: 'aud_carts',
        personas_computation_run_id: 'r1',
        personas_activation_id: 'act_carts_to_wh',
        event_name: 'Audience Entered',
      });
      await h.close();
    });

    it('puts in the history the writes of a run that has changes, and nothing for a run that has none', async () => {
      const h = await Harness.create(dut, { computations, activations: { a: { computation: 'carts', table: 'carts' } } });
      const members = [{ userId: 'u1', entityContext: { cart_id: 'c1' } }];
      const first = await h.run({ computation: 'carts', id: 'r1', completedAt: at(0) }, members);
      expect(first.writes.map((w) => [w.status, w.rows])).toEqual([['Success', { 'default.carts': 1 }]]);
      // The same members again: no change, so no write, though the warehouse was opened for one.
      const second = await h.run({ computation: 'carts', id: 'r2', completedAt: at(1) }, members);
      expect(second).toMatchObject({ changes: 0, writes: [], activations: [] });
      expect(h.stowage.history.list().filter((r) => r.path === 'storage-actions').map((r) => r.trigger)).toEqual(['run r1']);
      await h.close();
    });

    it('appends, never updates: enter then exit in two runs are two rows', async () => {
      const h = await Harness.create(dut, { computations, activations: { a: { computation: 'carts', table: 'carts' } } });
      await h.run({ computation: 'carts', id: 'r1', completedAt: at(0) }, [{ userId: 'u1', entityContext: { cart_id: 'c1' } }]);
      await h.run({ computation: 'carts', id: 'r2', completedAt: at(5) }, []);
      const rows = await h.rows('carts', ['user_id', 'event_name', 'entity_context', 'personas_computation_run_id'], ['personas_computation_run_id'], 'wh', 'default');
      expect(rows).toEqual([
        { user_id: 'u1', event_name: 'Audience Entered', entity_context: '{"cart_id":"c1"}', personas_computation_run_id: 'r1' },
        { user_id: 'u1', event_name: 'Audience Exited', entity_context: '{"cart_id":"c1"}', personas_computation_run_id: 'r2' },
      ]);
      await h.close();
    });

    it("keeps the presets' ids and names as text, whatever the first run's look like", async () => {
      const h = await Harness.create(dut, { computations, activations: { a: { computation: 'carts', table: 'carts' } } });
      // A run id that reads as a time, a user id that reads as a number.
      await h.run({ computation: 'carts', id: '2026-11-23T10:00:00Z', completedAt: at(0) }, [{ userId: 42, entityContext: { cart_id: 'c1' } }]);
      await h.run({ computation: 'carts', id: 'r2', completedAt: at(5) }, [{ userId: 'u2', entityContext: { cart_id: 'c2' } }]);
      expect(await h.columnTypes('carts', 'wh', 'default')).toMatchObject({ user_id: 'string', personas_computation_run_id: 'string', audience_key: 'string' });
      expect(await h.rows('carts', ['user_id', 'personas_computation_run_id'], ['user_id'], 'wh', 'default')).toEqual([
        { user_id: '42', personas_computation_run_id: '2026-11-23T10:00:00Z' },
        { user_id: '42', personas_computation_run_id: 'r2' },
        { user_id: 'u2', personas_computation_run_id: 'r2' },
      ]);
      await h.close();
    });

    it('copies a mapped field into its own column, and the entity context still holds it', async () => {
      const columns = { cart_id: { '@path': '$.properties.data_graph_entity_context.cart_id' }, 'Cart Total': { '@path': '$.properties.data_graph_entity_context.total' } };
      const h = await Harness.create(dut, { computations, activations: { a: { computation: 'carts', table: 'carts', columns } } });
      await h.run({ computation: 'carts', id: 'r1' }, [{ userId: 'u1', entityContext: { cart_id: 'c9', total: 12.5 } }]);
      const [row] = await h.rows('carts', ['cart_id', 'cart_total', 'entity_context'], ['cart_id'], 'wh', 'default');
      expect(row).toEqual({ cart_id: 'c9', cart_total: 12.5, entity_context: '{"cart_id":"c9","total":12.5}' });
      await h.close();
    });

    it("never fills a preset column left null (an anonymous member's user_id) from a mapped object's leaves: quarantined, as beside a value, compiled or not", async () => {
      for (const owner of [{ '@path': '$.properties.data_graph_entity_context.owner' }, { '@if': { exists: { '@path': '$.properties.data_graph_entity_context.owner' }, then: { '@path': '$.properties.data_graph_entity_context.owner' }, else: null } }]) {
        // Two keys of plain values naming one column, one of them null: the other's value, as anywhere else.
        const columns = { user: owner, 'Cart Ref': { '@path': '$.properties.data_graph_entity_context.nothing' }, cart_ref: { '@path': '$.properties.data_graph_entity_context.cart_id' } };
        const h = await Harness.create(dut, { computations, activations: { a: { computation: 'carts', table: 'carts', columns } } });
        const result = await h.run({ computation: 'carts', id: 'r1', kind: 'delta' }, [
          { anonymousIds: ['anon-1'], entityContext: { cart_id: 'c1', owner: { id: 'u999', name: 'Ann' } } },
          { userId: 'u1', entityContext: { cart_id: 'c2', owner: { id: 'u999', name: 'Bob' } } },
        ]);
        expect(result.writes[0]).toMatchObject({ status: 'Partial', rows: { 'default.carts': 2 } });
        expect(await h.rows('carts', ['user_id', 'user_name', 'cart_ref'], ['user_name'], 'wh', 'default')).toEqual([
          { user_id: null, user_name: 'Ann', cart_ref: 'c1' },
          { user_id: 'u1', user_name: 'Bob', cart_ref: 'c2' },
        ]);
        expect(await h.rows('_stowage_rejects', ['column_name', 'value'], ['column_name'], 'wh', 'default')).toEqual([
          { column_name: 'user_id', value: 'u999' },
          { column_name: 'user_id', value: 'u999' },
        ]);
        await h.close();
      }
    });

    it("never fills a preset column left null from another key that names it (userId, User ID): quarantined, compiled or not", async () => {
      const ownerId = '$.properties.data_graph_entity_context.owner.id';
      for (const columns of [{ userId: { '@path': ownerId } }, { 'User ID': { '@template': '{{properties.data_graph_entity_context.owner.id}}' } }]) {
        const h = await Harness.create(dut, { computations, activations: { a: { computation: 'carts', table: 'carts', columns } } });
        const result = await h.run({ computation: 'carts', id: 'r1', kind: 'delta' }, [
          { anonymousIds: ['anon-1'], entityContext: { cart_id: 'c1', owner: { id: 'o9' } } },
          { userId: 'u1', entityContext: { cart_id: 'c2', owner: { id: 'o8' } } },
        ]);
        expect(result.writes[0]).toMatchObject({ status: 'Partial', rows: { 'default.carts': 2 } });
        expect(await h.rows('carts', ['user_id', 'entity_context'], ['entity_context'], 'wh', 'default')).toEqual([
          { user_id: null, entity_context: '{"cart_id":"c1","owner":{"id":"o9"}}' },
          { user_id: 'u1', entity_context: '{"cart_id":"c2","owner":{"id":"o8"}}' },
        ]);
        expect(await h.rows('_stowage_rejects', ['column_name', 'value'], ['value'], 'wh', 'default')).toEqual([
          { column_name: 'user_id', value: 'o8' },
          { column_name: 'user_id', value: 'o9' },
        ]);
        await h.close();
      }
    });

    it('lands the same rows whether a mapping is compiled or needs mapping-kit itself (@template, @if)', async () => {
      const compiled = { cart_id: { '@path': '$.properties.data_graph_entity_context.cart_id' }, items: { '@json': { mode: 'encode', value: { '@path': '$.properties.data_graph_entity_context.items' } } } };
      // The same columns, through directives only mapping-kit evaluates.
      const kit = {
        cart_id: { '@template': '{{properties.data_graph_entity_context.cart_id}}' },
        items: { '@if': { exists: { '@path': '$.properties.data_graph_entity_context.items' }, then: compiled.items, else: compiled.items } },
      };
      const h = await Harness.create(dut, {
        computations,
        activations: { fast: { computation: 'carts', table: 'fast', columns: compiled }, kit: { computation: 'carts', table: 'kit', columns: kit } },
      });
      const members = [
        { userId: 'u1', entityContext: { cart_id: 'c1', items: [{ sku: 's"1', qty: 2 }, null, 'x\\y'] } },
        { userId: 'u2', entityContext: { cart_id: 'c2', items: { nested: { deep: [1.5, -0, 1e21] } } } },
        { userId: 'u3', entityContext: { cart_id: 'c3' } },
        // 2^60, which JSON.stringify writes as 1152921504606847000: the entity context keeps its digits either way.
        { userId: 'u4', entityContext: { cart_id: 'c4', account: 2 ** 60 } },
      ];
      await h.run({ computation: 'carts', id: 'r1', completedAt: at(0) }, members);
      const columns = ['user_id', 'cart_id', 'items', 'entity_context', 'event_name', 'audience_key', 'personas_computation_run_id'];
      const fast = await h.rows('fast', columns, ['user_id'], 'wh', 'default');
      expect(fast).toHaveLength(4);
      expect(fast[3]).toMatchObject({ user_id: 'u4', entity_context: '{"cart_id":"c4","account":1152921504606846976}' });
      expect(fast[0]).toMatchObject({ user_id: 'u1', cart_id: 'c1', items: JSON.stringify(members[0]!.entityContext.items) });
      expect(fast[2]).toMatchObject({ user_id: 'u3', cart_id: 'c3', items: null });
      expect(await h.rows('kit', columns, ['user_id'], 'wh', 'default')).toEqual(fast);
      await h.close();
    });

    it("finds nothing, and makes no column, where a path names a member every object has (constructor, toString) that the entity context lacks, compiled or not", async () => {
      const team = { '@path': '$.properties.data_graph_entity_context.constructor' };
      for (const columns of [{ team, ts: { '@path': '$.properties.data_graph_entity_context.toString' } }, { team, t: { '@template': '{{userId}}' } }]) {
        const h = await Harness.create(dut, { computations, activations: { a: { computation: 'carts', table: 'drivers', columns } } });
        // Read as the object's own prototype's function, it made a text column and counted a cast for each event.
        const first = await h.run({ computation: 'carts', id: 'r1', completedAt: at(0) }, [{ userId: 'u1', entityContext: { driver: 'x' } }]);
        expect(first.writes[0]).toMatchObject({ status: 'Success', casts: 0 });
        expect(await h.columns('drivers', 'wh', 'default')).not.toEqual(expect.arrayContaining(['team']));
        expect(await h.columns('drivers', 'wh', 'default')).not.toEqual(expect.arrayContaining(['ts']));
        await h.run({ computation: 'carts', id: 'r2', completedAt: at(1) }, [{ userId: 'u1', entityContext: { driver: 'x' } }, { userId: 'u2', entityContext: { constructor: 'Ferrari' } }, { userId: 'u3' }]);
        expect(await h.rows('drivers', ['user_id', 'team'], ['user_id'], 'wh', 'default')).toEqual([
          { user_id: 'u1', team: null },
          { user_id: 'u2', team: 'Ferrari' },
          { user_id: 'u3', team: null },
        ]);
        await h.close();
      }
    });

    it('writes entity added and associated entity removed rows for a member whose entities change', async () => {
      const h = await Harness.create(dut, { computations, activations: { a: { computation: 'carts', table: 'carts' } } });
      await h.run({ computation: 'carts', id: 'r1', completedAt: at(0) }, [{ userId: 'u1', entities: [{ id: 'c1', context: { cart_id: 'c1' } }] }]);
      await h.run({ computation: 'carts', id: 'r2', completedAt: at(1) }, [{ userId: 'u1', entities: [{ id: 'c2', context: { cart_id: 'c2' } }] }]);
      const rows = await h.rows('carts', ['event_name', 'entity_context'], ['event_name'], 'wh', 'default');
      expect(rows).toEqual([
        { event_name: 'Associated Entity Added', entity_context: '{"cart_id":"c2"}' },
        { event_name: 'Associated Entity Removed', entity_context: '{"cart_id":"c1"}' },
        { event_name: 'Audience Entered', entity_context: '{}' },
      ]);
      await h.close();
    });

    it('writes a journey step row with JSON journey_context and journey_metadata', async () => {
      const h = await Harness.create(dut, { computations, activations: { j: { computation: 'welcome', table: 'journey_steps' } } });
      const journeyContext = { 'Welcome Email Sent': { opened: true, at: at(1) } };
      const journeyMetadata = { journey_id: 'jou_1', step_id: 'step_2', epoch: 3 };
      await h.run({ computation: 'welcome', id: 'r1', completedAt: at(2), kind: 'delta' }, [{ userId: 'u1', journeyContext, journeyMetadata }]);
      expect((await h.columns('journey_steps', 'wh', 'default'))?.sort()).toEqual([...JOURNEY_COLUMNS].sort());
      const [row] = await h.rows('journey_steps', ['user_id', 'event_name', 'journey_context', 'journey_metadata', 'personas_computation_class', 'personas_computation_id'], ['user_id'], 'wh', 'default');
      // A profile listed without a context gets NULL, not the text "null".
      await h.run({ computation: 'welcome', id: 'r2', completedAt: at(3), kind: 'delta' }, [{ userId: 'u2' }]);
      expect(await h.rows('journey_steps', ['user_id', 'journey_context', 'journey_metadata'], ['user_id'], 'wh', 'default')).toEqual([
        { user_id: 'u1', journey_context: JSON.stringify(journeyContext), journey_metadata: JSON.stringify(journeyMetadata) },
        { user_id: 'u2', journey_context: null, journey_metadata: null },
      ]);
      expect({ ...row, journey_context: JSON.parse(row!.journey_context as string), journey_metadata: JSON.parse(row!.journey_metadata as string) }).toEqual({
        user_id: 'u1',
        event_name: 'Journey Step Entered',
        journey_context: journeyContext,
        journey_metadata: journeyMetadata,
        personas_computation_class: 'journey_step',
        personas_computation_id: 'journey_welcome',
      });
      await h.close();
    });

    it('writes two activations into one table, whose columns are the union of theirs', async () => {
      const h = await Harness.create(dut, {
        computations,
        activations: {
          carts_shared: { computation: 'carts', table: 'members', columns: { cart_id: { '@path': '$.properties.data_graph_entity_context.cart_id' } } },
          vip_shared: { computation: 'vip', table: 'members', columns: { tier: 'gold' } },
        },
      });
      await h.run({ computation: 'carts', id: 'r1' }, [{ userId: 'u1', entityContext: { cart_id: 'c1' } }]);
      await h.run({ computation: 'vip', id: 'r2' }, [{ userId: 'u2' }]);
      expect(await h.columns('members', 'wh', 'default')).toEqual(expect.arrayContaining(['cart_id', 'tier', 'audience_key', 'entity_context']));
      expect(await h.rows('members', ['personas_activation_id', 'user_id', 'cart_id', 'tier'], ['user_id'], 'wh', 'default')).toEqual([
        { personas_activation_id: 'act_carts_shared', user_id: 'u1', cart_id: 'c1', tier: null },
        { personas_activation_id: 'act_vip_shared', user_id: 'u2', cart_id: null, tier: 'gold' },
      ]);
      await h.close();
    });

    it('creates a table two activations of one run write first, whether or not their mappings compile', async () => {
      const h = await Harness.create(dut, {
        computations,
        activations: {
          // Listed first, and mapped by the mapping kit itself (@template): planned at its turn, before the second.
          kit: { computation: 'carts', table: 'paired', columns: { y: { '@template': '{{properties.data_graph_entity_context.k}}' } } },
          compiled: { computation: 'carts', table: 'paired', columns: { y: { '@path': '$.properties.data_graph_entity_context.k' }, z: { '@path': '$.properties.data_graph_entity_context.k' } } },
        },
      });
      const result = await h.run({ computation: 'carts', id: 'r1' }, [{ userId: 'u1', entityContext: { k: 'v' } }]);
      expect(result.writes).toEqual([expect.objectContaining({ status: 'Success', rows: { 'default.paired': 2 } })]);
      expect(await h.rows('paired', ['personas_activation_id', 'y', 'z'], ['personas_activation_id'], 'wh', 'default')).toEqual([
        { personas_activation_id: 'act_compiled', y: 'v', z: 'v' },
        { personas_activation_id: 'act_kit', y: 'v', z: null },
      ]);
      await h.close();
    });

    it('does not write an event whose entity context is over the limit: it is quarantined with the reason and counted', async () => {
      const h = await Harness.create(dut, { computations, activations: { a: { computation: 'carts', table: 'carts', maxEntityContextBytes: 200 } } });
      const big = { notes: 'é'.repeat(150) };
      const result = await h.run({ computation: 'carts', id: 'r1' }, [{ userId: 'u1', entityContext: big }, { userId: 'u2', entityContext: { ok: true } }]);
      expect(result.activations[0]).toMatchObject({ written: 1, refused: 1 });
      expect(result.writes[0]).toMatchObject({ status: 'Partial', rejects: 1 });
      expect(await h.rows('carts', ['user_id'], ['user_id'], 'wh', 'default')).toEqual([{ user_id: 'u2' }]);
      const [reject] = await h.rows('_stowage_rejects', ['table_name', 'column_name', 'value', 'reason'], ['table_name'], 'wh', 'default');
      expect(reject).toMatchObject({ table_name: 'carts', column_name: 'entity_context' });
      // Kept whole, as the row it would have been: who, which event, which run, and the context.
      expect(JSON.parse(String(reject!.value))).toMatchObject({ user_id: 'u1', event_name: 'Audience Entered', personas_computation_run_id: 'r1', entity_context: JSON.stringify(big) });
      expect(reject!.reason).toMatch(/^the entity context of this event \(user "u1", Audience Entered, run r1\) is 3\d\d bytes, over the limit of 200 \(the activation's maxEntityContextBytes\); the event was not written, and its row is kept whole in value$/);
      await h.close();
    });

    it('keeps an entity context mapped to its object, or to a string, as one column of JSON text, held to the limit, compiled or not', async () => {
      const whole = { '@path': '$.properties.data_graph_entity_context' };
      const activations = {
        compiled: { computation: 'carts', table: 'carts', maxEntityContextBytes: 60, columns: { entity_context: whole } },
        kit: { computation: 'carts', table: 'carts_kit', maxEntityContextBytes: 60, columns: { entity_context: { '@if': { exists: whole, then: whole, else: {} } } } },
        // Mapped to a string (a field's, a template's): that string as JSON text, not a bare word.
        text: { computation: 'carts', table: 'carts_text', columns: { entity_context: { '@path': '$.properties.data_graph_entity_context.cart_id' } } },
        template: { computation: 'carts', table: 'carts_template', columns: { entity_context: { '@template': 'cart {{properties.data_graph_entity_context.cart_id}}' } } },
        // JSON text the mapping builds is kept as it is, not encoded again; null leaves the column empty.
        built: { computation: 'carts', table: 'carts_built', columns: { entity_context: { '@if': { exists: whole, then: { '@json': { mode: 'encode', value: whole } }, else: '{}' } } } },
        // A template's text is a string, written as a string's JSON; decoded, the value it reads as.
        json_template: { computation: 'carts', table: 'carts_json_template', columns: { entity_context: { '@template': '{"cart":"{{properties.data_graph_entity_context.cart_id}}"}' } } },
        decoded_template: { computation: 'carts', table: 'carts_decoded_template', columns: { entity_context: { '@json': { mode: 'decode', value: { '@template': '{"cart":"{{properties.data_graph_entity_context.cart_id}}"}' } } } } },
        dropped: { computation: 'carts', table: 'carts_dropped', columns: { entity_context: null } },
        // A field's text that reads as a number, and a number: JSON text of one type, a string, and a number's JSON.
        digits: { computation: 'carts', table: 'carts_digits', columns: { entity_context: { '@path': '$.properties.data_graph_entity_context.code' } } },
        number: { computation: 'carts', table: 'carts_number', columns: { entity_context: { '@path': '$.properties.data_graph_entity_context.total' } } },
      };
      const h = await Harness.create(dut, { computations, activations });
      const small = { cart_id: 'c1', items: [{ sku: 's1' }] };
      const result = await h.run({ computation: 'carts', id: 'r1' }, [{ userId: 'u1', entityContext: small }, { userId: 'u2', entityContext: { notes: 'x'.repeat(80), code: '12345', total: 2.5 } }]);
      expect(result.activations.slice(0, 2)).toEqual([expect.objectContaining({ activation: 'compiled', written: 1, refused: 1 }), expect.objectContaining({ activation: 'kit', written: 1, refused: 1 })]);
      for (const table of ['carts', 'carts_kit']) {
        expect((await h.columns(table, 'wh', 'default'))?.filter((c) => c.startsWith('entity_context')), table).toEqual(['entity_context']);
        const rows = await h.rows(table, ['user_id', 'entity_context'], ['user_id'], 'wh', 'default');
        expect(rows.map((r) => ({ ...r, entity_context: JSON.parse(String(r.entity_context)) })), table).toEqual([{ user_id: 'u1', entity_context: small }]);
      }
      expect(await h.rows('carts_text', ['user_id', 'entity_context'], ['user_id'], 'wh', 'default')).toEqual([
        { user_id: 'u1', entity_context: '"c1"' },
        // A path that finds nothing leaves the column empty, as before.
        { user_id: 'u2', entity_context: null },
      ]);
      expect(await h.rows('carts_template', ['user_id', 'entity_context'], ['user_id'], 'wh', 'default')).toEqual([
        { user_id: 'u1', entity_context: '"cart c1"' },
        { user_id: 'u2', entity_context: '"cart "' },
      ]);
      expect((await h.rows('carts_built', ['user_id', 'entity_context'], ['user_id'], 'wh', 'default')).map((r) => JSON.parse(String(r.entity_context)))).toEqual([small, { notes: 'x'.repeat(80), code: '12345', total: 2.5 }]);
      expect(await h.rows('carts_json_template', ['user_id', 'entity_context'], ['user_id'], 'wh', 'default')).toEqual([
        { user_id: 'u1', entity_context: '"{\\"cart\\":\\"c1\\"}"' },
        { user_id: 'u2', entity_context: '"{\\"cart\\":\\"\\"}"' },
      ]);
      expect(await h.rows('carts_decoded_template', ['user_id', 'entity_context'], ['user_id'], 'wh', 'default')).toEqual([
        { user_id: 'u1', entity_context: '{"cart":"c1"}' },
        { user_id: 'u2', entity_context: '{"cart":""}' },
      ]);
      expect(result.activations.find((a) => a.activation === 'dropped')).toMatchObject({ written: 2, refused: 0 });
      expect((await h.columns('carts_dropped', 'wh', 'default'))?.includes('entity_context')).toBe(false);
      expect(await h.rows('carts_digits', ['user_id', 'entity_context'], ['user_id'], 'wh', 'default')).toEqual([{ user_id: 'u1', entity_context: null }, { user_id: 'u2', entity_context: '"12345"' }]);
      expect(await h.rows('carts_number', ['user_id', 'entity_context'], ['user_id'], 'wh', 'default')).toEqual([{ user_id: 'u1', entity_context: null }, { user_id: 'u2', entity_context: '2.5' }]);
      await h.close();
    });

    it("keeps a journey's context and metadata mapped to their objects, or to a number, as one column of JSON text each, compiled or not", async () => {
      const context = { '@path': '$.properties.journey_context' };
      const metadata = { '@path': '$.properties.journey_metadata' };
      const activations = {
        compiled: { computation: 'welcome', table: 'steps', columns: { journey_context: context, journey_metadata: metadata } },
        kit: { computation: 'welcome', table: 'steps_kit', columns: { journey_context: { '@if': { exists: context, then: context, else: null } }, journey_metadata: metadata } },
        epoch: { computation: 'welcome', table: 'steps_epoch', columns: { journey_metadata: { '@path': '$.properties.journey_metadata.epoch' } } },
      };
      const h = await Harness.create(dut, { computations, activations });
      const journeyContext = { owner: { id: 'o1', name: 'N' }, items: [1, 2] };
      const journeyMetadata = { journey_id: 'jou_1', epoch: 3 };
      await h.run({ computation: 'welcome', id: 'r1', completedAt: at(2), kind: 'delta' }, [{ userId: 'u1', journeyContext, journeyMetadata }]);
      for (const table of ['steps', 'steps_kit']) {
        expect((await h.columns(table, 'wh', 'default'))?.sort(), table).toEqual([...JOURNEY_COLUMNS].sort());
        const [row] = await h.rows(table, ['journey_context', 'journey_metadata'], ['journey_context'], 'wh', 'default');
        expect({ journey_context: JSON.parse(String(row!.journey_context)), journey_metadata: JSON.parse(String(row!.journey_metadata)) }, table).toEqual({ journey_context: journeyContext, journey_metadata: journeyMetadata });
      }
      expect(await h.rows('steps_epoch', ['user_id', 'journey_metadata'], ['user_id'], 'wh', 'default')).toEqual([{ user_id: 'u1', journey_metadata: '3' }]);
      await h.close();
    });

    it("keeps the presets' journey context as it was where the activation maps only another column itself", async () => {
      // A journey context that is a number or a boolean: the preset's `@json` encode gives its
      // JSON text ("5"), which was taken for a field's text and encoded again ("\\"5\\"") once the
      // activation mapped journey_metadata itself.
      const activations = {
        preset: { computation: 'welcome', table: 'steps' },
        own: { computation: 'welcome', table: 'steps_own', columns: { journey_metadata: { '@path': '$.properties.journey_metadata.epoch' } } },
      };
      const h = await Harness.create(dut, { computations, activations });
      await h.run({ computation: 'welcome', id: 'r1', completedAt: at(2), kind: 'delta' }, [
        { userId: 'u1', journeyContext: 5, journeyMetadata: { epoch: 3 } },
        { userId: 'u2', journeyContext: true, journeyMetadata: { epoch: 4 } },
      ]);
      expect(await h.rows('steps', ['user_id', 'journey_context'], ['user_id'], 'wh', 'default')).toEqual([{ user_id: 'u1', journey_context: '5' }, { user_id: 'u2', journey_context: 'true' }]);
      expect(await h.rows('steps_own', ['user_id', 'journey_context', 'journey_metadata'], ['user_id'], 'wh', 'default')).toEqual([
        { user_id: 'u1', journey_context: '5', journey_metadata: '3' },
        { user_id: 'u2', journey_context: 'true', journey_metadata: '4' },
      ]);
      await h.close();
    });

    it("writes an activation's own @json encode of a number or a boolean as the preset's encode does: as its JSON text", async () => {
      // The same mapping as the preset's, given in `columns`: a journey context of 5 was stored
      // "5" (a string's JSON) where the preset stores 5, and an entity context's encoded total
      // "2.5": the encode's text was taken for a field's and encoded again.
      const encode = (path: string) => ({ '@json': { mode: 'encode', value: { '@path': path } } });
      const activations = {
        preset: { computation: 'welcome', table: 'steps' },
        own: { computation: 'welcome', table: 'steps_own', columns: { journey_context: encode('$.properties.journey_context'), journey_metadata: encode('$.properties.journey_metadata') } },
        total: { computation: 'carts', table: 'carts_total', columns: { entity_context: encode('$.properties.data_graph_entity_context.total') } },
      };
      const h = await Harness.create(dut, { computations, activations });
      await h.run({ computation: 'welcome', id: 'r1', completedAt: at(2), kind: 'delta' }, [
        { userId: 'u1', journeyContext: 5, journeyMetadata: { epoch: 3 } },
        { userId: 'u2', journeyContext: true, journeyMetadata: 2.5 },
        { userId: 'u3', journeyContext: '5', journeyMetadata: 'plain' },
      ]);
      await h.run({ computation: 'carts', id: 'c1', completedAt: at(2) }, [{ userId: 'u1', entityContext: { total: 2.5 } }, { userId: 'u2', entityContext: { total: 'x' } }]);
      const expected = [
        { user_id: 'u1', journey_context: '5', journey_metadata: '{"epoch":3}' },
        { user_id: 'u2', journey_context: 'true', journey_metadata: '2.5' },
        { user_id: 'u3', journey_context: '"5"', journey_metadata: '"plain"' },
      ];
      expect(await h.rows('steps', ['user_id', 'journey_context', 'journey_metadata'], ['user_id'], 'wh', 'default')).toEqual(expected);
      expect(await h.rows('steps_own', ['user_id', 'journey_context', 'journey_metadata'], ['user_id'], 'wh', 'default')).toEqual(expected);
      expect(await h.rows('carts_total', ['user_id', 'entity_context'], ['user_id'], 'wh', 'default')).toEqual([
        { user_id: 'u1', entity_context: '2.5' },
        { user_id: 'u2', entity_context: '"x"' },
      ]);
      await h.close();
    });

    it("writes a JSON text column as the JSON of the value its own mapping gives: a string that reads as JSON as a string, an @if's encode as an encode", async () => {
      // A string mapped by @path was stored as it is where it read as JSON: '{"a":1}' as the object
      // {"a":1}, and '"q"' as the very text that 'q' is stored as. An @if taking a @json encode's
      // branch stored the encode of 5 as "5", where the encode alone stores 5.
      const path = (p: string) => ({ '@path': p });
      const encode = (p: string) => ({ '@json': { mode: 'encode', value: path(p) } });
      const activations = {
        path: { computation: 'welcome', table: 'steps_path', columns: { journey_context: path('$.properties.journey_context'), journey_metadata: path('$.properties.journey_metadata') } },
        branch: {
          computation: 'welcome',
          table: 'steps_branch',
          columns: {
            journey_context: { '@if': { exists: path('$.properties.journey_context'), then: encode('$.properties.journey_context'), else: 'none' } },
            journey_metadata: { '@if': { exists: path('$.properties.journey_context'), then: { '@if': { exists: path('$.userId'), then: encode('$.properties.journey_metadata'), else: null } }, else: path('$.properties.journey_metadata') } },
          },
        },
        // An encode another directive gives as it is: its text, as the encode's alone.
        wrapped: {
          computation: 'welcome',
          table: 'steps_wrapped',
          columns: {
            journey_context: { '@excludeWhenNull': encode('$.properties.journey_context') },
            journey_metadata: { '@transform': { apply: { m: path('$.properties.journey_metadata') }, mapping: encode('$.m') } },
          },
        },
        context: { computation: 'carts', table: 'carts_path', columns: { entity_context: path('$.properties.data_graph_entity_context.note') } },
      };
      const h = await Harness.create(dut, { computations, activations });
      await h.run({ computation: 'welcome', id: 'r1', completedAt: at(2), kind: 'delta' }, [
        { userId: 'u1', journeyContext: '{"a":1}', journeyMetadata: { a: 1 } },
        { userId: 'u2', journeyContext: '"q"', journeyMetadata: 'q' },
        { userId: 'u3', journeyContext: 5, journeyMetadata: '5' },
        { userId: 'u4', journeyMetadata: '[1]' },
      ]);
      await h.run({ computation: 'carts', id: 'c1', completedAt: at(2) }, [{ userId: 'u1', entityContext: { note: '{"a":1}' } }, { userId: 'u2', entityContext: { note: '"q"' } }, { userId: 'u3', entityContext: { note: 'q' } }]);
      expect(await h.rows('steps_path', ['user_id', 'journey_context', 'journey_metadata'], ['user_id'], 'wh', 'default')).toEqual([
        { user_id: 'u1', journey_context: '"{\\"a\\":1}"', journey_metadata: '{"a":1}' },
        { user_id: 'u2', journey_context: '"\\"q\\""', journey_metadata: '"q"' },
        { user_id: 'u3', journey_context: '5', journey_metadata: '"5"' },
        { user_id: 'u4', journey_context: null, journey_metadata: '"[1]"' },
      ]);
      expect(await h.rows('steps_wrapped', ['user_id', 'journey_context', 'journey_metadata'], ['user_id'], 'wh', 'default')).toEqual(await h.rows('steps_path', ['user_id', 'journey_context', 'journey_metadata'], ['user_id'], 'wh', 'default'));
      expect(await h.rows('steps_branch', ['user_id', 'journey_context', 'journey_metadata'], ['user_id'], 'wh', 'default')).toEqual([
        { user_id: 'u1', journey_context: '"{\\"a\\":1}"', journey_metadata: '{"a":1}' },
        { user_id: 'u2', journey_context: '"\\"q\\""', journey_metadata: '"q"' },
        { user_id: 'u3', journey_context: '5', journey_metadata: '"5"' },
        // The other branch: a string, written as its JSON.
        { user_id: 'u4', journey_context: '"none"', journey_metadata: '"[1]"' },
      ]);
      expect(await h.rows('carts_path', ['user_id', 'entity_context'], ['user_id'], 'wh', 'default')).toEqual([
        { user_id: 'u1', entity_context: '"{\\"a\\":1}"' },
        { user_id: 'u2', entity_context: '"\\"q\\""' },
        { user_id: 'u3', entity_context: '"q"' },
      ]);
      await h.close();
    });

    it("writes the JSON text columns a direct caller of perform or performBatch maps itself as an activation's same mapping writes them", async () => {
      // A journey context mapped by @path to a string was written as the bare string by perform
      // and performBatch (only entity_context was held to JSON text there), and '{"a":1}' as the object.
      const path = (p: string) => ({ '@path': p });
      const encode = (p: string) => ({ '@json': { mode: 'encode', value: path(p) } });
      const columns = {
        journey_context: path('$.properties.journey_context'),
        journey_metadata: { '@if': { exists: path('$.properties.journey_context'), then: encode('$.properties.journey_metadata'), else: path('$.properties.journey_metadata') } },
      };
      const h = await Harness.create(dut, { computations, activations: { own: { computation: 'welcome', table: 'steps', columns } } });
      const profiles = [
        { userId: 'u1', journeyContext: 'plain', journeyMetadata: 5 },
        { userId: 'u2', journeyContext: '{"a":1}', journeyMetadata: { a: [null, { b: null }] } },
        { userId: 'u3', journeyContext: { a: null }, journeyMetadata: '"q"' },
        { userId: 'u4', journeyMetadata: '{"a":1}' },
      ];
      await h.run({ computation: 'welcome', id: 'r1', completedAt: at(2), kind: 'delta' }, profiles);
      const expected = await h.rows('steps', ['user_id', 'journey_context', 'journey_metadata'], ['user_id'], 'wh', 'default');
      expect(expected).toEqual([
        { user_id: 'u1', journey_context: '"plain"', journey_metadata: '5' },
        { user_id: 'u2', journey_context: '"{\\"a\\":1}"', journey_metadata: '{"a":[null,{"b":null}]}' },
        { user_id: 'u3', journey_context: '{"a":null}', journey_metadata: '"\\"q\\""' },
        { user_id: 'u4', journey_context: null, journey_metadata: '"{\\"a\\":1}"' },
      ]);
      const destination = new (actionsCore().Destination)(dut.destination.definition as never);
      const events = profiles.map((p, i) => ({
        type: 'track', event: 'Journey Step Entered', messageId: `m${i}`, userId: p.userId, receivedAt: at(0),
        properties: { ...(p.journeyContext !== undefined && { journey_context: p.journeyContext }), journey_metadata: p.journeyMetadata },
        context: { personas: { space_name: 'default' } },
      }));
      const mapping = (table: string) => ({ ...actionsCore().defaultValues(sendCustomEventFields as never), event: table, properties: { user_id: path('$.userId'), ...columns } });
      const batch = await destination.executeBatch('sendCustomEvent', { events: events as never, mapping: mapping('direct_batch') as never, settings: h.settings as never });
      expect(batch.map((r) => r.status)).toEqual([200, 200, 200, 200]);
      // perform, one event a call (executeAction is what onEvent calls for a subscribed event).
      const one = destination as unknown as { executeAction(slug: string, input: object): Promise<unknown> };
      for (const event of events) await one.executeAction('sendCustomEvent', { event, mapping: mapping('direct_one'), settings: h.settings });
      for (const table of ['direct_batch', 'direct_one']) expect(await h.rows(table, ['user_id', 'journey_context', 'journey_metadata'], ['user_id'], 'wh', 'default'), table).toEqual(expected);
      await h.close();
    });

    it("refuses an event its activation's mapping fails on, and writes the others, of every activation, then and later", async () => {
      // Fails on a long value only: liquidjs's memory limit, 13 doublings of the note.
      const doubled = `{% assign a = properties.data_graph_entity_context.note %}${'{% assign a = a | append: a %}'.repeat(13)}{{ a | size }}`;
      const activations = { a: { computation: 'carts', table: 'carts', columns: { note_size: { '@liquid': doubled } } }, b: { computation: 'carts', table: 'carts_b' } };
      const h = await Harness.create(dut, { computations, activations });
      const result = await h.run({ computation: 'carts', id: 'r1' }, [{ userId: 'u1', entityContext: { note: 'x'.repeat(20_000) } }, { userId: 'u2', entityContext: { note: 'abc' } }]);
      expect(result.activations.find((o) => o.activation === 'a')).toMatchObject({ written: 1, refused: 1 });
      expect(result.activations.find((o) => o.activation === 'b')).toMatchObject({ written: 2, refused: 0 });
      expect(result.writes[0]!.status).not.toBe('Failure');
      expect(result.writes[0]!.notices.join('\n')).toMatch(/event \w+ not written: the activation's mapping failed on it: memory alloc limit exceeded/);
      expect(await h.rows('carts', ['user_id', 'note_size'], ['user_id'], 'wh', 'default')).toEqual([{ user_id: 'u2', note_size: '24576' }]);
      // Not known by its id alone once the run is applied: the event is kept whole, with the reason.
      expect(result.writes[0]).toMatchObject({ status: 'Partial', rejects: 1 });
      const [kept, ...more] = await h.rows('_stowage_rejects', ['id', 'table_name', 'column_name', 'value', 'reason'], ['id'], 'wh', 'default');
      expect(more).toEqual([]);
      expect(kept).toMatchObject({ table_name: 'carts', column_name: '' });
      expect(String(kept!.reason)).toMatch(/^the activation's mapping failed on it: memory alloc limit exceeded.*; the event was not written, and is kept whole in value$/s);
      const event = JSON.parse(String(kept!.value)) as { messageId: string; userId: string; properties: { data_graph_entity_context: { note: string } } };
      expect(event).toMatchObject({ messageId: kept!.id, userId: 'u1', event: 'Audience Entered' });
      expect(event.properties.data_graph_entity_context.note).toBe('x'.repeat(20_000));
      const later = await h.run({ computation: 'carts', id: 'r2', kind: 'delta' }, [{ userId: 'u3', entityContext: { note: 'z' } }]);
      expect(later.writes[0]!.status).toBe('Success');
      expect(await h.rows('carts', ['user_id'], ['user_id'], 'wh', 'default')).toEqual([{ user_id: 'u2' }, { user_id: 'u3' }]);
      await h.close();
    });

    it('runs both paths on one run: Storage Actions rows at once, Classic rows at the next sync', async () => {
      const h = await Harness.create(dut, { computations, activations: { a: { computation: 'vip', table: 'vip_members' } } });
      const result = await h.run({ computation: 'vip', id: 'r1' }, [{ userId: 'u1' }]);
      expect(result.calls).toBeGreaterThan(0);
      expect(await h.rows('vip_members', ['user_id', 'event_name'], ['user_id'], 'wh', 'default')).toEqual([{ user_id: 'u1', event_name: 'Audience Entered' }]);
      expect(await h.columns('identifies')).toBeUndefined();
      await h.sync();
      expect(await h.rows('identifies', ['user_id', 'vip'])).toEqual([{ user_id: 'u1', vip: true }]);
      await h.close();
    });

    it("starts a new activation with an entered row for every current member, then the run's changes", async () => {
      const before = await Harness.create(dut, { computations });
      await before.run({ computation: 'carts', id: 'r1', completedAt: at(0) }, [{ userId: 'u1', entityContext: { n: 1 } }, { userId: 'u2', entityContext: { n: 2 } }]);
      await before.close();
      const h = await Harness.create(dut, { computations, activations: { late: { computation: 'carts', table: 'carts' } }, reuse: { dir: before.dir, settings: before.settings } });
      await h.run({ computation: 'carts', id: 'r2', completedAt: at(1) }, [{ userId: 'u1', entityContext: { n: 1 } }, { userId: 'u2', entityContext: { n: 2 } }, { userId: 'u3' }]);
      await h.run({ computation: 'carts', id: 'r3', completedAt: at(2) }, [{ userId: 'u1', entityContext: { n: 1 } }, { userId: 'u2', entityContext: { n: 2 } }, { userId: 'u3' }]);
      expect(await h.rows('carts', ['user_id', 'event_name', 'entity_context', 'personas_computation_run_id'], ['user_id'], 'wh', 'default')).toEqual([
        { user_id: 'u1', event_name: 'Audience Entered', entity_context: '{"n":1}', personas_computation_run_id: 'r1' },
        { user_id: 'u2', event_name: 'Audience Entered', entity_context: '{"n":2}', personas_computation_run_id: 'r1' },
        { user_id: 'u3', event_name: 'Audience Entered', entity_context: '{}', personas_computation_run_id: 'r2' },
      ]);
      await h.close();
    });

    it("takes an earlier version's marker of a started activation for its computation, and starts again with another one's members once pointed at it", async () => {
      const first = await Harness.create(dut, { computations, activations: { a: { computation: 'carts', table: 'members' } } });
      await first.run({ computation: 'vip', id: 'v1', completedAt: at(0) }, [{ userId: 'u7' }, { userId: 'u8' }]);
      await first.run({ computation: 'carts', id: 'r1', completedAt: at(1) }, [{ userId: 'u1' }]);
      await first.close();
      // As an earlier version wrote it: a time alone.
      writeFileSync(join(first.stowage.config.stateDir, 'activated', 'default', 'a'), '2026-11-20T00:00:00.000Z');
      const again = await Harness.create(dut, { computations, activations: { a: { computation: 'carts', table: 'members' } }, reuse: { dir: first.dir, settings: first.settings } });
      await again.run({ computation: 'carts', id: 'r2', completedAt: at(2) }, [{ userId: 'u1' }, { userId: 'u2' }]);
      await again.close();
      const repointed = await Harness.create(dut, { computations, activations: { a: { computation: 'vip', table: 'members' } }, reuse: { dir: first.dir, settings: first.settings } });
      await repointed.run({ computation: 'vip', id: 'v2', completedAt: at(3) }, [{ userId: 'u7' }, { userId: 'u9' }]);
      expect(await repointed.rows('members', ['user_id', 'event_name', 'personas_computation_key', 'personas_computation_run_id'], ['personas_computation_run_id', 'user_id'], 'wh', 'default')).toEqual([
        { user_id: 'u1', event_name: 'Audience Entered', personas_computation_key: 'carts', personas_computation_run_id: 'r1' },
        { user_id: 'u2', event_name: 'Audience Entered', personas_computation_key: 'carts', personas_computation_run_id: 'r2' },
        { user_id: 'u7', event_name: 'Audience Entered', personas_computation_key: 'vip', personas_computation_run_id: 'v1' },
        { user_id: 'u8', event_name: 'Audience Entered', personas_computation_key: 'vip', personas_computation_run_id: 'v1' },
        { user_id: 'u8', event_name: 'Audience Exited', personas_computation_key: 'vip', personas_computation_run_id: 'v2' },
        { user_id: 'u9', event_name: 'Audience Entered', personas_computation_key: 'vip', personas_computation_run_id: 'v2' },
      ]);
      await repointed.close();
    });

    it('starts an activation pointed at another table again there, with the current members, and leaves the old table as it was', async () => {
      const first = await Harness.create(dut, { computations, activations: { a: { computation: 'carts', table: 'carts' } } });
      await first.run({ computation: 'carts', id: 'r1', completedAt: at(0) }, [{ userId: 'u1' }, { userId: 'u2' }]);
      await first.close();
      // A marker as the version before this one wrote it (the computation alone) stands for the table it wrote to.
      writeFileSync(join(first.stowage.config.stateDir, 'activated', 'default', 'a'), JSON.stringify({ computation: 'carts', at: at(0) }));
      const same = await Harness.create(dut, { computations, activations: { a: { computation: 'carts', table: 'carts' } }, reuse: { dir: first.dir, settings: first.settings } });
      await same.run({ computation: 'carts', id: 'r2', completedAt: at(1) }, [{ userId: 'u1' }, { userId: 'u2' }]);
      await same.close();
      const moved = await Harness.create(dut, { computations, activations: { a: { computation: 'carts', table: 'carts_now' } }, reuse: { dir: first.dir, settings: first.settings } });
      await moved.run({ computation: 'carts', id: 'r3', completedAt: at(2) }, [{ userId: 'u1' }, { userId: 'u3' }]);
      expect(await moved.rows('carts_now', ['user_id', 'event_name', 'personas_computation_run_id'], ['personas_computation_run_id', 'user_id', 'event_name'], 'wh', 'default')).toEqual([
        { user_id: 'u1', event_name: 'Audience Entered', personas_computation_run_id: 'r1' },
        { user_id: 'u2', event_name: 'Audience Entered', personas_computation_run_id: 'r1' },
        { user_id: 'u2', event_name: 'Audience Exited', personas_computation_run_id: 'r3' },
        { user_id: 'u3', event_name: 'Audience Entered', personas_computation_run_id: 'r3' },
      ]);
      expect(await moved.rows('carts', ['user_id', 'event_name'], ['user_id'], 'wh', 'default')).toEqual([
        { user_id: 'u1', event_name: 'Audience Entered' },
        { user_id: 'u2', event_name: 'Audience Entered' },
      ]);
      // Started there once: the next run writes its changes alone.
      await moved.run({ computation: 'carts', id: 'r4', completedAt: at(3) }, [{ userId: 'u1' }, { userId: 'u3' }, { userId: 'u4' }]);
      expect(await moved.rows('carts_now', ['user_id'], ['user_id'], 'wh', 'default')).toHaveLength(5);
      await moved.close();
      // Pointed back: u1's entered row is there from r1, and is told apart from the rows written.
      const back = await Harness.create(dut, { computations, activations: { a: { computation: 'carts', table: 'carts' } }, reuse: { dir: first.dir, settings: first.settings } });
      const again = await back.run({ computation: 'carts', id: 'r5', completedAt: at(4) }, [{ userId: 'u1' }, { userId: 'u3' }, { userId: 'u4' }]);
      expect(again.activations).toEqual([expect.objectContaining({ written: 2, duplicates: 1, refused: 0 })]);
      expect(again.writes[0]).toMatchObject({ rows: { 'default.carts': 2 }, duplicates: 1 });
      expect(await back.rows('carts', ['user_id'], ['user_id'], 'wh', 'default')).toEqual([{ user_id: 'u1' }, { user_id: 'u2' }, { user_id: 'u3' }, { user_id: 'u4' }]);
      await back.close();
    });

    it('says it found a lost table even when the run that found it is refused, and the next run writes the members first', async () => {
      const h = await Harness.create(dut, { computations, activations: { a: { computation: 'carts', table: 'carts' } } });
      await h.run({ computation: 'carts', id: 'r1', completedAt: at(0) }, [{ userId: 'u1' }, { userId: 'u2' }]);
      const { quote } = dut.destination.dialect;
      await h.execute(`DROP TABLE ${quote('default')}.${quote('carts')}`);
      // The members are queued again before the run's profiles are read; one of them is refused.
      await expect(h.run({ computation: 'carts', id: 'r2', completedAt: at(1) }, [{ userId: 'u1', bogus: 1 }])).rejects.toThrow(
        /\(before it failed, the run found: activation "a": warehouse "wh" had lost its table default\.carts \(dropped, or the database replaced\): its 2 current members were queued again/,
      );
      await h.stowage.close();
      await h.run({ computation: 'carts', id: 'r2', completedAt: at(1) }, [{ userId: 'u1' }, { userId: 'u3' }]);
      expect(await h.rows('carts', ['user_id', 'event_name', 'personas_computation_run_id'], ['user_id', 'personas_computation_run_id'], 'wh', 'default')).toEqual([
        { user_id: 'u1', event_name: 'Audience Entered', personas_computation_run_id: 'r1' },
        { user_id: 'u2', event_name: 'Audience Entered', personas_computation_run_id: 'r1' },
        { user_id: 'u2', event_name: 'Audience Exited', personas_computation_run_id: 'r2' },
        { user_id: 'u3', event_name: 'Audience Entered', personas_computation_run_id: 'r2' },
      ]);
      await h.close();
    });

    it('starts an activation whose table the warehouse lost again with the current members, and says so', async () => {
      const h = await Harness.create(dut, { computations, activations: { a: { computation: 'carts', table: 'carts' } } });
      await h.run({ computation: 'carts', id: 'r1', completedAt: at(0) }, [{ userId: 'u1', entityContext: { n: 1 } }, { userId: 'u2' }]);
      const { quote } = dut.destination.dialect;
      await h.execute(`DROP TABLE ${quote('default')}.${quote('carts')}`);
      const lost = await h.run({ computation: 'carts', id: 'r2', completedAt: at(1) }, [{ userId: 'u1', entityContext: { n: 1 } }, { userId: 'u3' }]);
      expect(lost.notices.join('\n')).toContain('activation "a": warehouse "wh" had lost its table default.carts (dropped, or the database replaced): its 2 current members were queued again, to be written after the run\'s own rows');
      expect(lost.activations).toEqual([expect.objectContaining({ written: 4, duplicates: 0 })]);
      // u2 exited in r2: its entry from r1 is there again, before its exit.
      expect(await h.rows('carts', ['user_id', 'event_name', 'entity_context', 'personas_computation_run_id'], ['user_id', 'personas_computation_run_id'], 'wh', 'default')).toEqual([
        { user_id: 'u1', event_name: 'Audience Entered', entity_context: '{"n":1}', personas_computation_run_id: 'r1' },
        { user_id: 'u2', event_name: 'Audience Entered', entity_context: '{}', personas_computation_run_id: 'r1' },
        { user_id: 'u2', event_name: 'Audience Exited', entity_context: '{}', personas_computation_run_id: 'r2' },
        { user_id: 'u3', event_name: 'Audience Entered', entity_context: '{}', personas_computation_run_id: 'r2' },
      ]);
      // The table is there again: the next run writes its changes alone.
      const next = await h.run({ computation: 'carts', id: 'r3', completedAt: at(2) }, [{ userId: 'u1', entityContext: { n: 1 } }, { userId: 'u3' }, { userId: 'u4' }]);
      expect(next.notices.join('\n')).not.toContain('had lost');
      expect(next.activations).toEqual([expect.objectContaining({ written: 1, duplicates: 0 })]);
      await h.close();
    });

    it('writes again the members of every activation of a lost table, whichever writes it first', async () => {
      const activations = { a: { computation: 'carts', table: 'members' }, b: { computation: 'vip', table: 'members' }, j: { computation: 'welcome', table: 'steps' } };
      const h = await Harness.create(dut, { computations, activations });
      await h.run({ computation: 'carts', id: 'c1', completedAt: at(0) }, [{ userId: 'u1' }]);
      await h.run({ computation: 'vip', id: 'v1', completedAt: at(1) }, [{ userId: 'v1' }, { userId: 'v2' }]);
      await h.run({ computation: 'welcome', id: 'w1', completedAt: at(2) }, [{ userId: 'u1' }]);
      const { quote } = dut.destination.dialect;
      await h.execute(`DROP TABLE ${quote('default')}.${quote('members')}`);
      await h.execute(`DROP TABLE ${quote('default')}.${quote('steps')}`);
      // carts finds the table missing and makes it again with its members; vip's run then finds it
      // there, made again for other events, and writes its own members again too.
      const carts = await h.run({ computation: 'carts', id: 'c2', completedAt: at(3) }, [{ userId: 'u1' }]);
      expect(carts.notices.join('\n')).toContain('activation "a": warehouse "wh" had lost its table default.members (dropped, or the database replaced): its current member was queued again');
      const vip = await h.run({ computation: 'vip', id: 'v2', completedAt: at(4) }, [{ userId: 'v1' }, { userId: 'v2' }, { userId: 'v3' }]);
      expect(vip.notices.join('\n')).toContain('activation "b": warehouse "wh" had lost its table default.members (dropped, or the database replaced; found when another write made it again): its 2 current members were queued again');
      expect(await h.rows('members', ['user_id', 'personas_computation_run_id'], ['user_id'], 'wh', 'default')).toEqual([
        { user_id: 'u1', personas_computation_run_id: 'c1' },
        { user_id: 'v1', personas_computation_run_id: 'v1' },
        { user_id: 'v2', personas_computation_run_id: 'v1' },
        { user_id: 'v3', personas_computation_run_id: 'v2' },
      ]);
      // A journey step has no members to write again: said, and its table holds the entries from then on.
      const step = await h.run({ computation: 'welcome', id: 'w2', completedAt: at(5) }, [{ userId: 'u2' }]);
      expect(step.notices.join('\n')).toContain('activation "j": warehouse "wh" had lost its table default.steps (dropped, or the database replaced): a journey step has no current members to write again');
      expect(await h.rows('steps', ['user_id'], ['user_id'], 'wh', 'default')).toEqual([{ user_id: 'u2' }]);
      await h.close();
    });

    it('writes again the members of a lost table that the queue, written first, made again', async () => {
      const h = await lostTableQueuedWhileDown(dut);
      const [flushed] = await h.stowage.flush('wh');
      expect(flushed!.record).toMatchObject({ status: 'Success', rows: { 'default.carts': 1 } });
      await expectMembersWrittenAgain(h);
      await h.close();
    });

    it('knows the table of an activation whose rows only the queue wrote, once lost', async () => {
      const { first, good } = await queuedWhileDown();
      const h = await Harness.create(dut, { computations, activations: { a: { computation: 'carts', table: 'carts' } }, reuse: { dir: first.dir, settings: good } });
      const [flushed] = await h.stowage.flush('wh');
      expect(flushed!.record).toMatchObject({ status: 'Success', rows: { 'default.carts': 1 } });
      await h.execute(`DROP TABLE ${dut.destination.dialect.quote('default')}.${dut.destination.dialect.quote('carts')}`);
      const next = await h.run({ computation: 'carts', id: 'r2' }, [{ userId: 'u1' }, { userId: 'u2' }]);
      expect(next.notices.join('\n')).toContain('activation "a": warehouse "wh" had lost its table default.carts');
      expect(await h.rows('carts', ['user_id', 'personas_computation_run_id'], ['user_id'], 'wh', 'default')).toEqual([
        { user_id: 'u1', personas_computation_run_id: 'r1' },
        { user_id: 'u2', personas_computation_run_id: 'r2' },
      ]);
      await h.close();
    });

    it('does not take a table the warehouse never held (its events queued while it was down) for one it lost', async () => {
      const { first, good } = await queuedWhileDown();
      const h = await Harness.create(dut, { computations, activations: { a: { computation: 'carts', table: 'carts' } }, reuse: { dir: first.dir, settings: good } });
      const result = await h.run({ computation: 'carts', id: 'r2' }, [{ userId: 'u1' }, { userId: 'u2' }]);
      expect(result.notices.join('\n')).not.toContain('had lost');
      expect(await h.rows('carts', ['user_id', 'event_name', 'personas_computation_run_id'], ['user_id'], 'wh', 'default')).toEqual([
        { user_id: 'u1', event_name: 'Audience Entered', personas_computation_run_id: 'r1' },
        { user_id: 'u2', event_name: 'Audience Entered', personas_computation_run_id: 'r2' },
      ]);
      await h.close();
    });

    it('writes to an existing schema the activation names, and never creates one: a missing schema keeps its events queued', async () => {
      const h = await Harness.create(dut, {
        computations,
        activations: { there: { computation: 'vip', table: 't', schema: 'analytics' }, missing: { computation: 'vip', table: 't', schema: 'nowhere' } },
      });
      await h.execute(`CREATE SCHEMA ${dut.destination.dialect.quote('analytics')}`);
      const result = await h.run({ computation: 'vip', id: 'r1' }, [{ userId: 'u1' }]);
      // The missing schema holds back its own activation only: the other one is written.
      expect(result.activations.find((a) => a.activation === 'there')).toMatchObject({ written: 1, refused: 0, table: 'analytics.t' });
      expect(result.writes[0]!.status).toBe('Partial');
      expect(result.writes[0]!.notices.join('\n')).toMatch(/1 event stays queued: activation "missing": the schema "nowhere" does not exist/);
      expect(await h.rows('t', ['user_id'], ['user_id'], 'wh', 'analytics')).toEqual([{ user_id: 'u1' }]);
      expect(await h.schemaExists('nowhere')).toBe(false);
      // Stowage's own tables stay out of a schema it does not own unless they are needed.
      expect(await h.columns('_stowage_loads', 'wh', 'analytics')).toBeUndefined();
      // Until it exists, a flush keeps the events queued (Partial), and later runs are not held back.
      const [early] = await h.stowage.flush('wh');
      expect(early!.record.status).toBe('Partial');
      await h.execute(`CREATE SCHEMA ${dut.destination.dialect.quote('nowhere')}`);
      const [retry] = await h.stowage.flush('wh');
      expect(retry!.record).toMatchObject({ status: 'Success', rows: { 'nowhere.t': 1 } });
      const [after] = await h.stowage.flush('wh');
      expect(after!.record).toMatchObject({ status: 'Success', calls: 0 });
      expect(await h.rows('t', ['user_id'], ['user_id'], 'wh', 'nowhere')).toEqual([{ user_id: 'u1' }]);
      expect(await h.rows('t', ['user_id'], ['user_id'], 'wh', 'analytics')).toEqual([{ user_id: 'u1' }]);
      await h.close();
    });

    it('queues the events of a run whose warehouse fails, writes them on retry, and each event once however often the queue is written', async () => {
      const broken = await Harness.create(dut, { computations, activations: { a: { computation: 'carts', table: 'carts' } } });
      const good = broken.settings;
      const down = await Harness.create(dut, {
        computations,
        activations: { a: { computation: 'carts', table: 'carts' } },
        reuse: { dir: broken.dir, settings: good },
        warehouse: { settings: await dut.unreachable(broken.dir) },
      });
      // Contexts go through the queue as JSON and come out as the same text.
      const contexts = { u1: { cart_id: 'c1', note: 'é "quoted" \\ \u2028', total: 1e21 }, u2: { cart_id: 'c2', items: [{ sku: 's', qty: -0 }] } };
      const failed = await down.run({ computation: 'carts', id: 'r1' }, [{ userId: 'u1', entityContext: contexts.u1 }, { userId: 'u2', entityContext: contexts.u2 }]);
      // The run itself goes through: the state moved on, the events wait in the queue.
      expect(failed).toMatchObject({ applied: true, changes: 2, events: 2 });
      expect(failed.writes[0]).toMatchObject({ status: 'Failure', error: expect.stringContaining('stay queued') });
      // The caller is told, per activation, what waits in the queue.
      expect(failed.activations).toEqual([expect.objectContaining({ activation: 'a', written: 0, queued: 2 })]);
      await down.close();
      const [retry] = await broken.stowage.flush('wh');
      expect(retry!.record).toMatchObject({ status: 'Success', calls: 2, rows: { 'default.carts': 2 } });
      rmSync(join(broken.dir, '.stowage', 'actions', 'wh', 'default', 'cursor.json'));
      const [again] = await broken.stowage.flush('wh');
      expect(again!.record).toMatchObject({ status: 'Success', calls: 2, duplicates: 2 });
      expect(await broken.rows('carts', ['user_id', 'entity_context'], ['user_id'], 'wh', 'default')).toEqual([
        { user_id: 'u1', entity_context: JSON.stringify(contexts.u1) },
        { user_id: 'u2', entity_context: JSON.stringify(contexts.u2) },
      ]);
      await broken.close();
    });

    it('writes the queued events a table takes, and keeps queued, with the reason, an event it refuses on its own', async () => {
      const h = await strictCarts(dut);
      const { quote } = dut.destination.dialect;
      const members = [{ userId: 'u1', entityContext: { cart_id: 'c1' } }, { userId: 'u2', entityContext: { note: 'no cart' } }, { userId: 'u3', entityContext: { cart_id: 'c3' } }];
      const run = await h.run({ computation: 'carts', id: 'r1' }, members);
      // The run's write fails; the warehouse still answers, so the run writes its queue at once,
      // split until the refused event is alone: the others land, it stays queued with the warehouse's reason.
      expect(run.writes).toMatchObject([
        { status: 'Failure', error: expect.stringContaining('stay queued') },
        { status: 'Partial', trigger: 'run r1 (its queue, after a failed write)', rows: { 'default.carts': 2 } },
      ]);
      expect(run.writes[1]!.notices.join('\n')).toMatch(/1 event stays queued: activation "a": the warehouse refused event \w+ while it took the other 2 events of their write \(.+\); fix what it names in the table, then `stowage flush`/);
      // Its id is kept, so that the next drain tries it alone, one write, rather than splitting its slice again.
      const refusedIds = () => JSON.parse(readFileSync(join(h.dir, '.stowage', 'actions', 'wh', 'default', 'refused.json'), 'utf8')) as string[];
      expect(refusedIds()).toHaveLength(1);
      // It does not hold back what is queued after it, nor is anything written twice.
      expect(run.activations).toEqual([expect.objectContaining({ activation: 'a', written: 2, queued: 1 })]);
      const [again] = await h.stowage.flush('wh');
      expect(again!.record).toMatchObject({ status: 'Partial', calls: 0 });
      expect(again!.activations).toEqual([expect.objectContaining({ activation: 'a', written: 0, queued: 1 })]);
      expect(refusedIds()).toHaveLength(1);
      // Tried alone, with no other event of its write to take: its notice says so.
      expect(again!.record.notices.join('\n')).toMatch(/1 event stays queued: activation "a": the warehouse refused event \w+ \(.+\); fix what it names/);
      expect(await h.rows('carts', ['user_id', 'cart_id'], ['user_id'], 'wh', 'default')).toEqual([
        { user_id: 'u1', cart_id: 'c1' },
        { user_id: 'u3', cart_id: 'c3' },
      ]);

      // The user moves the strict table aside: the refused event is written into a new one.
      await h.execute(`ALTER TABLE ${quote('default')}.${quote('carts')} RENAME TO ${quote('carts_strict')}`);
      const [fixed] = await h.stowage.flush('wh');
      expect(fixed!.record).toMatchObject({ status: 'Success', rows: { 'default.carts': 1 } });
      expect(refusedIds()).toEqual([]);
      // No cart_id column there: a null never creates one.
      expect(await h.rows('carts', ['user_id'], ['user_id'], 'wh', 'default')).toEqual([{ user_id: 'u2' }]);
      expect(await h.rows('carts_strict', ['user_id', 'cart_id'], ['user_id'], 'wh', 'default')).toEqual([
        { user_id: 'u1', cart_id: 'c1' },
        { user_id: 'u3', cart_id: 'c3' },
      ]);
      await h.close();
    });

    it("never writes an event without its id: a user's table whose id column is an integer refuses each event, which stays queued until the table takes it", async () => {
      const h = await Harness.create(dut, { computations, activations: { a: { computation: 'carts', table: 'carts' } } });
      const { quote, physicalType } = dut.destination.dialect;
      await h.execute(`CREATE SCHEMA ${quote('default')}`);
      await h.execute(`CREATE TABLE ${quote('default')}.${quote('carts')} (${quote('id')} ${physicalType('bigint')})`);
      const run = await h.run({ computation: 'carts', id: 'r1' }, [{ userId: 'u1' }, { userId: 'u2' }]);
      // A message id is no integer: the warehouse refuses each event, and none is written
      // without its id (quarantined, it would be written again whenever it is sent again).
      expect(run.activations).toEqual([expect.objectContaining({ activation: 'a', written: 0, queued: 2 })]);
      expect(await h.rows('carts', ['id'], ['id'], 'wh', 'default')).toEqual([]);
      expect(await h.rows('_stowage_rejects', ['column_name'], ['column_name'], 'wh', 'default').catch(() => [])).not.toContainEqual({ column_name: 'id' });
      await h.execute(`ALTER TABLE ${quote('default')}.${quote('carts')} RENAME TO ${quote('carts_by_number')}`);
      const [fixed] = await h.stowage.flush('wh');
      expect(fixed!.record).toMatchObject({ status: 'Success', rows: { 'default.carts': 2 } });
      const written = await h.rows('carts', ['id', 'user_id'], ['user_id'], 'wh', 'default');
      expect(written.map((r) => r.user_id)).toEqual(['u1', 'u2']);
      expect(written.every((r) => typeof r.id === 'string' && r.id.length > 0)).toBe(true);
      await h.close();
    });

    it("holds back only the activation whose own table refuses its write, and writes the space's other activations", async () => {
      // `a` writes an existing schema's `carts`, which a view stands in place of: the warehouse
      // refuses to add its columns, whatever the events hold. `b` writes the space's own schema.
      const h = await Harness.create(dut, { computations, activations: { a: { computation: 'carts', table: 'carts', schema: 'archive' }, b: { computation: 'carts', table: 'carts_copy' } } });
      const { quote } = dut.destination.dialect;
      await h.execute(`CREATE SCHEMA ${quote('archive')}`);
      await h.execute(`CREATE VIEW ${quote('archive')}.${quote('carts')} AS SELECT 1 AS ${quote('x')}`);
      const run = await h.run({ computation: 'carts', id: 'r1' }, [{ userId: 'u1', entityContext: { cart_id: 'c1' } }, { userId: 'u2', entityContext: { cart_id: 'c2' } }]);
      // The run's session fails on a's table; the warehouse still answers, so the queue is written
      // at once in a session of its own, where a's events are held and b's land.
      expect(run.writes).toMatchObject([
        { status: 'Failure', error: expect.stringContaining('stay queued') },
        { status: 'Partial', trigger: 'run r1 (its queue, after a failed write)', rows: { 'default.carts_copy': 2 } },
      ]);
      expect(run.writes[1]!.notices.join('\n')).toMatch(/^2 events stay queued: activation "a": the warehouse refused its write to archive\.carts \(.+\); fix what it names, then `stowage flush`$/m);
      expect(run.activations).toEqual([expect.objectContaining({ activation: 'a', written: 0, queued: 2 }), expect.objectContaining({ activation: 'b', written: 2, queued: 0 })]);
      expect(await h.rows('carts_copy', ['user_id'], ['user_id'], 'wh', 'default')).toEqual([{ user_id: 'u1' }, { user_id: 'u2' }]);

      // A later run's b events are not held back either, by its own write or by the queue's.
      const second = await h.run({ computation: 'carts', id: 'r2' }, [{ userId: 'u1', entityContext: { cart_id: 'c1' } }, { userId: 'u2', entityContext: { cart_id: 'c2' } }, { userId: 'u3', entityContext: { cart_id: 'c3' } }]);
      expect(second.activations).toEqual([expect.objectContaining({ activation: 'a', written: 0, queued: 3 }), expect.objectContaining({ activation: 'b', written: 1, queued: 0 })]);
      const [again] = await h.stowage.flush('wh');
      expect(again!.record).toMatchObject({ status: 'Partial', calls: 0 });

      // The view moved aside: the held events are written, each once.
      await h.execute(`DROP VIEW ${quote('archive')}.${quote('carts')}`);
      const [fixed] = await h.stowage.flush('wh');
      expect(fixed!.record).toMatchObject({ status: 'Success', rows: { 'archive.carts': 3 } });
      expect(await h.rows('carts', ['user_id'], ['user_id'], 'wh', 'archive')).toEqual([{ user_id: 'u1' }, { user_id: 'u2' }, { user_id: 'u3' }]);
      expect(await h.rows('carts_copy', ['user_id'], ['user_id'], 'wh', 'default')).toEqual([{ user_id: 'u1' }, { user_id: 'u2' }, { user_id: 'u3' }]);
      await h.close();
    });

    it("reports one outcome per activation for a run whose later chunk failed on a row and whose queue was then written", async () => {
      const h = await strictCarts(dut);
      // Chunks of at least 5,000 changes: the first is written by the run's session, the one
      // holding the member without a cart fails it, and the queue's session writes the rest.
      const members = Array.from({ length: 12_000 }, (_, i) => ({ userId: `u${String(i).padStart(5, '0')}`, entityContext: i === 11_999 ? { note: 'no cart' } : { cart_id: `c${i}` } }));
      const run = await h.run({ computation: 'carts', id: 'r1' }, members);
      expect(run.writes.map((w) => w.status)).toEqual(['Failure', 'Partial']);
      const written = Object.values(run.writes[0]!.rows).reduce((a, b) => a + b, 0);
      expect(written).toBeGreaterThan(0);
      expect(run.activations).toEqual([expect.objectContaining({ activation: 'a', written: 11_999, queued: 1 })]);
      expect(await h.rows('carts', ['user_id'], ['user_id'], 'wh', 'default')).toHaveLength(11_999);
      await h.close();
    });

    it('tells a few of the reasons the warehouse refuses events for, and counts the rest', async () => {
      const h = await strictCarts(dut);
      // Eight members without a cart, each refused on its own (PostgreSQL's reason quotes each row).
      const members = Array.from({ length: 10 }, (_, i) => ({ userId: `u${i}`, entityContext: i < 2 ? { cart_id: `c${i}` } : { note: `no cart ${i}` } }));
      const run = await h.run({ computation: 'carts', id: 'r1' }, members);
      const queue = run.writes[1]!;
      expect(queue).toMatchObject({ status: 'Partial', rows: { 'default.carts': 2 } });
      const held = queue.notices.filter((n) => /events? stays? queued/.test(n));
      expect(held.length).toBeLessThanOrEqual(6);
      expect(held.reduce((n, notice) => n + Number(/^(\d+) events? stays? queued/.exec(notice)![1]), 0)).toBe(8);
      await h.close();
    });

    it('keeps the events queued for a warehouse an activation no longer writes to, and writes them there once it does again', async () => {
      const { first, good } = await queuedWhileDown();
      // Moved to another warehouse: no activation of the space writes to wh any more.
      const moved = await Harness.create(dut, { computations, activations: { a: { computation: 'carts', table: 'carts', warehouse: 'w2' } }, reuse: { dir: first.dir, settings: good }, more: ['w2'] });
      const [held] = await moved.stowage.flush('wh');
      expect(held!.record.status).toBe('Partial');
      expect(held!.record.notices.join('\n')).toMatch(/1 event stays queued: activation "a" now writes to warehouse "w2"; these were queued for "wh"/);
      expect(await moved.stowage.flush('w2')).toEqual([expect.objectContaining({ record: expect.objectContaining({ calls: 0 }) })]);
      await moved.close();
      const back = await Harness.create(dut, { computations, activations: { a: { computation: 'carts', table: 'carts' } }, reuse: { dir: first.dir, settings: good } });
      const [written] = await back.stowage.flush('wh');
      expect(written!.record).toMatchObject({ status: 'Success', rows: { 'default.carts': 1 } });
      await back.close();
    });

    it('keeps the events queued for the table an activation named before, and writes them there once it names it again', async () => {
      const { first, good } = await queuedWhileDown();
      // Pointed at another table: that table starts with the current members; an exit queued for
      // the old one would be an exit it never saw enter, and the old one would never see it.
      const moved = await Harness.create(dut, { computations, activations: { a: { computation: 'carts', table: 'carts_v2' } }, reuse: { dir: first.dir, settings: good } });
      const [held] = await moved.stowage.flush('wh');
      expect(held!.record.status).toBe('Partial');
      expect(held!.record.notices).toEqual(['1 event stays queued: activation "a" now writes to default.carts_v2; these were queued for default.carts (point it back at default.carts to write them there)']);
      expect(await moved.stowage.strandedActivations()).toEqual([{ warehouse: 'wh', space: 'default', activation: 'a', events: 1, why: 'now writes to default.carts_v2 (queued for default.carts)', fix: 'point it back at default.carts' }]);
      expect([...(await moved.tables('default')).keys()]).not.toContain('carts_v2');
      // A run there starts carts_v2 with the current members, u1 among them, though u1's entry
      // (the same message id) waits in the queue for carts.
      const run = await moved.run({ computation: 'carts', id: 'r2' }, [{ userId: 'u1' }, { userId: 'u2' }]);
      expect(run.writes.map((w) => w.notices.join('\n')).join('\n')).toContain('1 event stays queued: activation "a" now writes to default.carts_v2; these were queued for default.carts');
      expect(await moved.rows('carts_v2', ['user_id', 'personas_computation_run_id'], ['user_id'], 'wh', 'default')).toEqual([
        { user_id: 'u1', personas_computation_run_id: 'r1' },
        { user_id: 'u2', personas_computation_run_id: 'r2' },
      ]);
      await moved.close();
      // Spelt otherwise, the same table.
      const back = await Harness.create(dut, { computations, activations: { a: { computation: 'carts', table: 'Carts' } }, reuse: { dir: first.dir, settings: good } });
      expect(await back.stowage.strandedActivations()).toEqual([]);
      const [written] = await back.stowage.flush('wh');
      expect(written!.record).toMatchObject({ status: 'Success', rows: { 'default.carts': 1 } });
      expect(await back.rows('carts', ['user_id'], ['user_id'], 'wh', 'default')).toEqual([{ user_id: 'u1' }]);
      await back.close();
    });

    it('keeps the events queued for the computation an activation named before, and writes them once it names it again', async () => {
      const { first, good } = await queuedWhileDown();
      // Pointed at another computation and table: the carts event must not land there as a vip row.
      const repointed = await Harness.create(dut, { computations, activations: { a: { computation: 'vip', table: 'vips' } }, reuse: { dir: first.dir, settings: good } });
      const run = await repointed.run({ computation: 'vip', id: 'v1' }, [{ userId: 'u2' }]);
      expect(run.writes.map((w) => w.notices.join('\n')).join('\n')).toMatch(/1 event stays queued: activation "a" now activates computation "vip"; these were queued for "carts"/);
      expect(await repointed.rows('vips', ['user_id', 'personas_computation_key'], ['user_id'], 'wh', 'default')).toEqual([{ user_id: 'u2', personas_computation_key: 'vip' }]);
      await repointed.close();
      const back = await Harness.create(dut, { computations, activations: { a: { computation: 'carts', table: 'carts' } }, reuse: { dir: first.dir, settings: good } });
      const [written] = await back.stowage.flush('wh');
      expect(written!.record).toMatchObject({ status: 'Success', rows: { 'default.carts': 1 } });
      expect(await back.rows('carts', ['user_id', 'personas_computation_key'], ['user_id'], 'wh', 'default')).toEqual([{ user_id: 'u1', personas_computation_key: 'carts' }]);
      await back.close();
    });

    it('keeps the queued events of an activation that is no longer configured, and writes them once it is again', async () => {
      const { first, good } = await queuedWhileDown();
      const renamed = await Harness.create(dut, { computations, activations: { b: { computation: 'vip', table: 'vips' } }, reuse: { dir: first.dir, settings: good } });
      const [held] = await renamed.stowage.flush('wh');
      expect(held!.record.status).toBe('Partial');
      expect(held!.record.notices.join('\n')).toMatch(/1 event stays queued: activation "a" is not configured/);
      // A run with nothing of its own to write still tries the queue, and the history says so.
      await renamed.run({ computation: 'vip', id: 'v1' }, [{ userId: 'u9' }]);
      const quiet = await renamed.run({ computation: 'vip', id: 'v2' }, [{ userId: 'u9' }]);
      expect(quiet).toMatchObject({ changes: 0, events: 0 });
      expect(quiet.writes).toHaveLength(1);
      expect(quiet.writes[0]!.status).toBe('Partial');
      expect(quiet.writes[0]!.notices.join('\n')).toMatch(/1 event stays queued: activation "a" is not configured/);
      await renamed.close();
      const back = await Harness.create(dut, { computations, activations: { a: { computation: 'carts', table: 'carts' } }, reuse: { dir: first.dir, settings: good } });
      const [written] = await back.stowage.flush('wh');
      expect(written!.record).toMatchObject({ status: 'Success', rows: { 'default.carts': 1 } });
      expect(await back.rows('carts', ['user_id'], ['user_id'], 'wh', 'default')).toEqual([{ user_id: 'u1' }]);
      await back.close();
    });

    it('keeps the queued events of an activation named like a member every object has (constructor) once it is no longer configured, and tells of them as such', async () => {
      // Looked up as `activations[name]`, the name found Object's own constructor: the flush
      // failed with a bare TypeError, and check said the activation now wrote to warehouse "undefined".
      const first = await Harness.create(dut, { computations, activations: { constructor: { computation: 'carts', table: 'carts', schema: 'archive' }, b: { computation: 'carts', table: 'carts' } } });
      const run = await first.run({ computation: 'carts', id: 'r1' }, [{ userId: 'u1' }]);
      expect(run.activations).toEqual(expect.arrayContaining([expect.objectContaining({ activation: 'constructor', queued: 1 }), expect.objectContaining({ activation: 'b', written: 1 })]));
      await first.close();
      const removed = await Harness.create(dut, { computations, activations: { b: { computation: 'carts', table: 'carts' } }, reuse: { dir: first.dir, settings: first.settings } });
      const [held] = await removed.stowage.flush('wh');
      expect(held!.record).toMatchObject({ status: 'Partial', notices: ['1 event stays queued: activation "constructor" is not configured (configure it again, under that name, to write them)'] });
      expect(await removed.stowage.strandedActivations()).toEqual([{ warehouse: 'wh', space: 'default', activation: 'constructor', events: 1, why: 'is no longer configured', fix: 'configure it again under that name' }]);
      await removed.close();
    });

    it('fails the write, and keeps its events queued, when the destination\'s definition lacks the action', async () => {
      const bare = { ...dut, destination: { ...dut.destination, definition: { ...(dut.destination.definition as object), actions: {}, presets: [] } } };
      const h = await Harness.create(bare, { computations, activations: { a: { computation: 'carts', table: 'carts' } } });
      const result = await h.run({ computation: 'carts', id: 'r1' }, [{ userId: 'u1' }]);
      expect(result.writes[0]).toMatchObject({ status: 'Failure', error: expect.stringContaining('wrap it with withStorageActions') });
      expect(await h.columns('carts', 'wh', 'default')).toBeUndefined();
      await h.close();
    });

    it('serves the actions-core definition on its own: presets, and performBatch reporting each event', async () => {
      const h = await Harness.create(dut);
      const definition = dut.destination.definition as { presets: Array<{ name: string }> };
      expect(definition.presets.map((p) => p.name)).toEqual([
        'Linked Audience Profile Entered',
        'Linked Audience Profile Exited',
        'Linked Audience Entity Added',
        'Linked Audience Associated Entity Removed',
        'Journeys Step Entered',
      ]);
      const destination = new (actionsCore().Destination)(definition as never);
      const event = (messageId: string, context: unknown, space = 'default') => ({
        type: 'track', event: 'Audience Entered', messageId, userId: 'u1', receivedAt: at(0),
        properties: { audience_key: 'vip', data_graph_entity_context: context },
        context: { personas: { computation_key: 'vip', computation_id: 'aud_vip', computation_run_id: 'r1', event_emitter_id: 'act_x', space_name: space } },
      });
      const mapping = { ...actionsCore().defaultValues(sendCustomEventFields as never), event: 'direct', maxEntityContextBytes: 50, properties: audienceColumns };
      // A space named as the warehouse's own catalog schema, where the destination names one
      // (`schemaProblem`): that event refused, as the configuration would refuse the space.
      const refusesCatalog = dut.destination.schemaProblem?.('information_schema', h.settings as never) !== undefined;
      const events = [event('m1', { a: 1 }), event('m2', { a: 'x'.repeat(100) }), ...(refusesCatalog ? [event('m3', { a: 3 }, 'information_schema')] : []), event('m4', { a: 4 })];
      const results = await destination.executeBatch('sendCustomEvent', { events: events as never, mapping: mapping as never, settings: h.settings as never });
      expect(results.map((r) => r.status)).toEqual(refusesCatalog ? [200, 413, 400, 200] : [200, 413, 200]);
      if (refusesCatalog) expect((results[2] as { errormessage?: string }).errormessage).toMatch(/^the schema "information_schema" is .* own/);
      expect(await h.rows('direct', ['id', 'user_id', 'entity_context'], ['id'], 'wh', 'default')).toEqual([
        { id: 'm1', user_id: 'u1', entity_context: '{"a":1}' },
        { id: 'm4', user_id: 'u1', entity_context: '{"a":4}' },
      ]);
      // A caller's own mapping of the column to a field's text or number: its JSON, as an activation's.
      const own = { ...mapping, event: 'direct_own', properties: { user_id: { '@path': '$.userId' }, entity_context: { '@path': '$.properties.data_graph_entity_context.a' } } };
      const mine = await destination.executeBatch('sendCustomEvent', { events: [event('m5', { a: 'c1' }), event('m6', { a: 12345 }), event('m7', { a: '{"b":1}' })] as never, mapping: own as never, settings: h.settings as never });
      expect(mine.map((r) => r.status)).toEqual([200, 200, 200]);
      expect(await h.rows('direct_own', ['id', 'entity_context'], ['id'], 'wh', 'default')).toEqual([
        { id: 'm5', entity_context: '"c1"' },
        { id: 'm6', entity_context: '12345' },
        // A string that reads as JSON is a string: '{"b":1}' was stored as the object.
        { id: 'm7', entity_context: '"{\\"b\\":1}"' },
      ]);
      // `unmade` marks an event the engine's own mapping failed on: a caller's mapping cannot set it
      // (the mapping kit keeps only the action's fields).
      const forged = { ...mapping, event: 'direct_forged', unmade: { value: 'forged', reason: 'forged' } };
      expect((await destination.executeBatch('sendCustomEvent', { events: [event('m8', { a: 8 })] as never, mapping: forged as never, settings: h.settings as never })).map((r) => r.status)).toEqual([200]);
      expect(await h.rows('direct_forged', ['id'], ['id'], 'wh', 'default')).toEqual([{ id: 'm8' }]);
      await h.close();
    });
  });
}
