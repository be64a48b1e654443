import { describe, expect, it } from 'vitest';
import { Harness, identify, track, type DestinationUnderTest } from '../harness.js';
import { dialectNames } from './dialect-names.js';

/** Standard columns, the timestamp formula, naming, flattening and collisions. */
export function columns(dut: DestinationUnderTest): void {
  describe('columns', () => {
    it('writes Segment\'s standard columns and timestamp = receivedAt − (sentAt − originalTimestamp)', async () => {
      const h = await Harness.create(dut);
      await h.calls([{
        type: 'track', messageId: 'msg-1', userId: 'u1', anonymousId: 'a1', event: 'Order Completed', properties: { total: 10 },
        originalTimestamp: '2026-11-23T10:00:00.000Z', sentAt: '2026-11-23T10:00:05.000Z', receivedAt: '2026-11-23T10:00:02.000Z',
        context: { ip: '10.0.0.1', userAgentData: { mobile: false }, personas: { computation_key: 'k' } },
      }]);
      await h.sync();
      // 32 characters: cut with its hash where the warehouse's names are shorter.
      const key = dialectNames(dut).name('context_personas_computation_key')!;
      expect(await h.rows('order_completed', ['id', 'user_id', 'anonymous_id', 'event', 'event_text', 'received_at', 'sent_at', 'original_timestamp', 'timestamp', 'total', 'context_ip', 'context_user_agent_data_mobile', key])).toEqual([{
        id: 'msg-1', user_id: 'u1', anonymous_id: 'a1', event: 'order_completed', event_text: 'Order Completed',
        received_at: '2026-11-23T10:00:02.000Z', sent_at: '2026-11-23T10:00:05.000Z', original_timestamp: '2026-11-23T10:00:00.000Z',
        timestamp: '2026-11-23T09:59:57.000Z', total: 10, context_ip: '10.0.0.1', context_user_agent_data_mobile: false, [key]: 'k',
      }]);
      const tracks = await h.columns('tracks');
      expect(tracks).toContain('uuid_ts');
      expect(tracks).not.toContain('total');
      await h.close();
    });

    it('names columns in snake_case, flattening nested objects and keeping arrays as JSON', async () => {
      const h = await Harness.create(dut);
      await h.calls([identify('u1', {
        'Café Visits': 3, '2FA Enabled': true, 'iOS IDFA': 'x', $price: 9.5, shopping_cart__id: 'c1', address: { postCode: 'N1' }, tags: ['a', 'b'],
      })]);
      await h.sync();
      expect(await h.rows('identifies', ['caf_visits', '2fa_enabled', 'i_os_idfa', 'price', 'shopping_cart_id', 'address_post_code', 'tags'])).toEqual([
        { caf_visits: 3, '2fa_enabled': true, i_os_idfa: 'x', price: 9.5, shopping_cart_id: 'c1', address_post_code: 'N1', tags: '["a","b"]' },
      ]);
      await h.close();
    });

    it('keeps a trait named like a standard column as _<name>, never dropping it', async () => {
      const h = await Harness.create(dut);
      await h.calls([identify('u1', { id: 'trait-id', user_id: 'other', context_ip: 'x', received_at: 'whenever' }, { messageId: 'std-1' })]);
      await h.sync();
      expect(await h.rows('identifies', ['id', 'user_id', '_id', '_user_id', '_context_ip', '_received_at'])).toEqual([
        { id: 'std-1', user_id: 'u1', _id: 'trait-id', _user_id: 'other', _context_ip: 'x', _received_at: 'whenever' },
      ]);
      expect(await h.rows('users', ['id', '_id', '_user_id'])).toEqual([{ id: 'u1', _id: 'trait-id', _user_id: 'other' }]);
      await h.close();
    });

    it('keeps a key that only snake_case makes a standard column as _<name> too, in every call, whatever other keys look like', async () => {
      const h = await Harness.create(dut);
      // A key starting with U+0000 is cut to `user_id` by snake_case, like `User ID`.
      await h.calls([
        identify(null, { '\u0000user_id': 'victim' }, { anonymousId: 'a1', messageId: 'k1' }),
        identify(null, { user_id: 'another' }, { anonymousId: 'a2', messageId: 'k2' }),
        identify('u3', { id: 'trait-id' }, { messageId: 'k3' }),
      ]);
      expect(await h.sync()).toMatchObject({ status: 'Success', rejects: 0 });
      expect(await h.rows('identifies', ['id', 'user_id', 'anonymous_id', '_user_id', '_id'], ['id'])).toEqual([
        { id: 'k1', user_id: null, anonymous_id: 'a1', _user_id: 'victim', _id: null },
        { id: 'k2', user_id: null, anonymous_id: 'a2', _user_id: 'another', _id: null },
        { id: 'k3', user_id: 'u3', anonymous_id: null, _user_id: null, _id: 'trait-id' },
      ]);
      expect(await h.rows('users', ['id'])).toEqual([{ id: 'u3' }]);
      await h.close();
    });

    it("fills a track call's event table from its properties and its traits, keeping the properties value where both name a column and quarantining the other", async () => {
      const h = await Harness.create(dut);
      await h.calls([track('u1', 'Order Placed', { total: 10, plan: 'from-props', tier: 'p' }, { messageId: 'o1', traits: { plan: 'from-traits', Tier: 't', note: 'n', total: 10 } })]);
      expect(await h.sync()).toMatchObject({ status: 'Partial', rejects: 2 });
      expect(await h.rows('order_placed', ['id', 'total', 'plan', 'tier', 'note'])).toEqual([{ id: 'o1', total: 10, plan: 'from-props', tier: 'p', note: 'n' }]);
      expect(await h.rows('_stowage_rejects', ['id', 'column_name', 'value'], ['column_name'])).toEqual([
        { id: 'o1', column_name: 'plan', value: 'from-traits' },
        { id: 'o1', column_name: 'tier', value: 't' },
      ]);
      await h.close();
    });

    it('adds columns as new traits arrive in later syncs; a null never creates one', async () => {
      const h = await Harness.create(dut);
      await h.calls([identify('u1', { a: 1, never: null })]);
      await h.sync();
      await h.calls([identify('u2', { b: 'new' })]);
      await h.sync();
      expect(await h.rows('identifies', ['user_id', 'a', 'b'])).toEqual([{ user_id: 'u1', a: 1, b: null }, { user_id: 'u2', a: null, b: 'new' }]);
      expect(await h.columns('identifies')).not.toContain('never');
      expect(await h.rows('users', ['id', 'a', 'b'])).toEqual([{ id: 'u1', a: 1, b: null }, { id: 'u2', a: null, b: 'new' }]);
      await h.close();
    });

    it('gives an event named like a classic table its own `_` table', async () => {
      const h = await Harness.create(dut);
      await h.calls([track('u1', 'Users', { n: 1 })]);
      await h.sync();
      expect(await h.rows('_users', ['user_id', 'n'])).toEqual([{ user_id: 'u1', n: 1 }]);
      expect(await h.columns('users')).toBeUndefined();
      await h.close();
    });
  });
}
