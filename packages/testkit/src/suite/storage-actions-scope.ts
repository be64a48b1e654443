import { describe, expect, it } from 'vitest';
import { actionsCore, audienceColumns, sendCustomEventFields } from '@stowage/core';
import { Harness, type DestinationUnderTest } from '../harness.js';

const computations = { vip: { type: 'audience' } };

/** Table names a warehouse could read as another schema's table, or as quoting that closes early. */
const OUTSIDE = ['other.t', '"other"."t"', '"other.t"', 'other..t', '..', '`other`.t', '[other].[t]', 'other\\t', "t'; DROP SCHEMA other; --"];

/**
 * The scoping rule of Storage Actions: rows go to `<space>.<table>`, or to an existing schema an
 * activation names. A name that reaches elsewhere is refused with a clear error, never normalised,
 * and Stowage never creates any other schema.
 */
export function storageActionsScope(dut: DestinationUnderTest): void {
  describe('storage actions scope', () => {
    it.each(OUTSIDE)('refuses an activation whose table is %j, at configuration', async (table) => {
      await expect(Harness.create(dut, { computations, activations: { a: { computation: 'vip', table } } })).rejects.toThrow(/activations\/a\/table: .*(schema|quoted)/);
    });

    it('refuses an activation whose existing schema is qualified or quoted, or is the Classic schema', async () => {
      for (const schema of ['other.x', '"other"', 'a..b']) {
        await expect(Harness.create(dut, { computations, activations: { a: { computation: 'vip', table: 't', schema } } })).rejects.toThrow(/activations\/a\/schema: /);
      }
      await expect(Harness.create(dut, { computations, activations: { a: { computation: 'vip', table: 't', schema: 'engage_default' } } })).rejects.toThrow(/is a Classic schema/);
    });

    it('refuses, event by event, a table or schema an event would name outside the space, writes the rest of the batch, and creates no other schema', async () => {
      const h = await Harness.create(dut);
      const destination = new (actionsCore().Destination)(dut.destination.definition as never);
      const event = (messageId: string, table: string, space = 'default') => ({
        type: 'track', event: 'Audience Entered', messageId, userId: 'u1', receivedAt: '2026-11-23T10:00:00.000Z',
        properties: { audience_key: 'vip', table },
        context: { personas: { computation_key: 'vip', computation_id: 'aud_vip', computation_run_id: 'r1', event_emitter_id: 'act_x', space_name: space } },
      });
      const events = [event('ok-1', 'members'), ...OUTSIDE.map((t, i) => event(`bad-${i}`, t)), event('bad-schema', 'members', 'other.x'), event('ok-2', 'members')];
      const mapping = { ...actionsCore().defaultValues(sendCustomEventFields as never), event: { '@path': '$.properties.table' }, properties: audienceColumns };
      const results = await destination.executeBatch('sendCustomEvent', { events: events as never, mapping: mapping as never, settings: h.settings as never });
      expect(results.map((r) => r.status)).toEqual([200, ...OUTSIDE.map(() => 400), 400, 200]);
      for (const r of results.slice(1, -1)) expect((r as { errormessage?: string }).errormessage).toMatch(/the table or schema name .*(schema|quot)/);
      expect(await h.rows('members', ['id'], ['id'], 'wh', 'default')).toEqual([{ id: 'ok-1' }, { id: 'ok-2' }]);
      for (const schema of ['other', 'other.t', 'other.x', 't']) expect(await h.schemaExists(schema)).toBe(false);
      await h.close();
    });

    it('refuses, event by event, a schema longer than the warehouse keeps, which it would cut to another name', async () => {
      const h = await Harness.create(dut);
      const destination = new (actionsCore().Destination)(dut.destination.definition as never);
      const { maxLength } = dut.destination.dialect.identifiers;
      // Cut to its first maxLength bytes (PostgreSQL, Redshift), it is this schema's name.
      const kept = `s${'x'.repeat(maxLength - 1)}`;
      const event = (messageId: string, space: string) => ({
        type: 'track', event: 'Audience Entered', messageId, userId: 'u1', receivedAt: '2026-11-23T10:00:00.000Z',
        properties: { audience_key: 'vip' },
        context: { personas: { computation_key: 'vip', computation_id: 'aud_vip', computation_run_id: 'r1', event_emitter_id: 'act_x', space_name: space } },
      });
      const mapping = { ...actionsCore().defaultValues(sendCustomEventFields as never), event: 'members', properties: audienceColumns };
      const results = await destination.executeBatch('sendCustomEvent', { events: [event('long', `${kept}y`), event('ok', 'default')] as never, mapping: mapping as never, settings: h.settings as never });
      expect(results.map((r) => r.status)).toEqual([400, 200]);
      expect((results[0] as { errormessage?: string }).errormessage).toMatch(new RegExp(`^the schema "${kept}y" is ${maxLength + 1} bytes, longer than the ${maxLength} a schema name holds`));
      expect(await h.schemaExists(kept)).toBe(false);
      expect(await h.rows('members', ['id'], ['id'], 'wh', 'default')).toEqual([{ id: 'ok' }]);
      await h.close();
    });
  });
}
