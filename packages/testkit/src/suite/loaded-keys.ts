import { cpSync, existsSync, rmSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadedKeysDir } from '@stowage/core';
import { Harness, identify, track, type DestinationUnderTest } from '../harness.js';

const at = (minute: number) => `2026-11-23T11:${String(minute).padStart(2, '0')}:00.000Z`;

/** The index of a space's loaded message ids, beside the log, where the warehouse's tables have no key index. */
export function loadedKeys(dut: DestinationUnderTest): void {
  const indexDir = (h: Harness) => loadedKeysDir(h.stowage.config.stateDir, 'wh', 'default');

  describe('the index of loaded message ids', () => {
    if (dut.destination.capabilities.keyIndexes) {
      it('is not kept: the warehouse looks message ids up in its own key indexes', async () => {
        const h = await Harness.create(dut);
        await h.calls([identify('u1', { plan: 'pro' })]);
        await h.sync();
        expect(existsSync(indexDir(h))).toBe(false);
        expect(await h.stowage.rebuildLoadedKeys('wh')).toEqual([]);
        await h.close();
      });
      return;
    }

    it('finds a call sent again in a later sync, and lets every new call in', async () => {
      const h = await Harness.create(dut, { batchSize: 2 });
      await h.calls([identify('u1', { plan: 'pro' }, { messageId: 'k1', timestamp: at(1) }), identify('u2', { plan: 'free' }, { messageId: 'k2', timestamp: at(2) })]);
      await h.sync();
      expect(existsSync(indexDir(h))).toBe(true);
      await h.calls([identify('u1', { plan: 'lost' }, { messageId: 'k1', timestamp: at(3) }), identify('u3', { plan: 'team' }, { messageId: 'k3', timestamp: at(4) })]);
      expect(await h.sync()).toMatchObject({ status: 'Success', calls: 2, duplicates: 1, rows: { identifies: 1 } });
      expect(await h.rows('identifies', ['id'])).toEqual([{ id: 'k1' }, { id: 'k2' }, { id: 'k3' }]);
      await h.close();
    });

    it('sets a copy of a loaded call aside before planning: its new keys add no column, its values change no type', async () => {
      const h = await Harness.create(dut, { batchSize: 2 });
      await h.calls([identify('u1', { plan: 'pro' }, { messageId: 'k1', timestamp: at(1) }), track('u1', 'Signed Up', { plan: 'pro', seats: 3 }, { messageId: 't1', timestamp: at(1) })]);
      await h.sync();
      const seats = (await h.columnTypes('signed_up')).seats;
      // The same ids sent again with keys the first calls did not have, and a value the column does not hold.
      await h.calls([
        identify('u1', { plan: 'pro', coupon: 'SPRING' }, { messageId: 'k1', timestamp: at(2) }),
        track('u1', 'Signed Up', { plan: 'pro', seats: 'many', coupon: 'SPRING' }, { messageId: 't1', timestamp: at(2) }),
        identify('u2', { plan: 'free' }, { messageId: 'k2', timestamp: at(3) }),
      ]);
      expect(await h.sync()).toMatchObject({ status: 'Success', duplicates: 3, casts: 0, rejects: 0, rows: { identifies: 1 } });
      expect(await h.columns('identifies')).not.toContain('coupon');
      expect(await h.columns('users')).not.toContain('coupon');
      expect(await h.columns('signed_up')).not.toContain('coupon');
      expect((await h.columnTypes('signed_up')).seats).toBe(seats);
      expect(await h.rows('users', ['id', 'plan'])).toEqual([{ id: 'u1', plan: 'pro' }, { id: 'u2', plan: 'free' }]);
      await h.close();
    });

    it('lost, is rebuilt from the tables by the next sync; behind the ledger, catches up from the log', async () => {
      const h = await Harness.create(dut);
      await h.calls([identify('u1', { plan: 'pro' }, { messageId: 'r1', timestamp: at(1) })]);
      await h.sync();
      const before = `${indexDir(h)}.before`;
      cpSync(indexDir(h), before, { recursive: true });
      await h.calls([identify('u2', { plan: 'free' }, { messageId: 'r2', timestamp: at(2) })]);
      await h.sync();
      // Behind: it knows r1, not r2, which the log still holds.
      rmSync(indexDir(h), { recursive: true });
      cpSync(before, indexDir(h), { recursive: true });
      await h.calls([identify('u2', { plan: 'lost' }, { messageId: 'r2', timestamp: at(3) })]);
      expect(await h.sync()).toMatchObject({ status: 'Success', calls: 1, duplicates: 1 });
      // Lost: made again from the ids the tables hold.
      rmSync(indexDir(h), { recursive: true });
      await h.calls([identify('u1', { plan: 'lost' }, { messageId: 'r1', timestamp: at(4) }), identify('u3', { plan: 'team' }, { messageId: 'r3', timestamp: at(5) })]);
      expect(await h.sync()).toMatchObject({ status: 'Success', calls: 2, duplicates: 1, rows: { identifies: 1 } });
      expect(await h.rows('identifies', ['id'])).toEqual([{ id: 'r1' }, { id: 'r2' }, { id: 'r3' }]);
      await h.close();
    });

    it('rebuilt from the tables, leaves alone a table of the user\'s named like its temporary ones', async () => {
      const h = await Harness.create(dut);
      await h.calls([identify('u1', { plan: 'pro' }, { messageId: 'first', timestamp: at(1) })]);
      await h.sync();
      // Temporary tables are named unqualified: a DROP of one not made yet found this one on the search path.
      const { quote: q, physicalType } = dut.destination.dialect;
      await h.execute(`CREATE TABLE ${q('_stowage_key_hashes')} (${q('x')} ${physicalType('string')})`);
      await h.execute(`CREATE TABLE ${q('_stowage_key_hashes_unsorted')} (${q('x')} ${physicalType('string')})`);
      expect(await h.stowage.rebuildLoadedKeys('wh')).toEqual([{ space: 'default', schema: 'engage_default', keys: 1 }]);
      await h.execute(`INSERT INTO ${q('_stowage_key_hashes')} (${q('x')}) SELECT ${q('x')} FROM ${q('_stowage_key_hashes_unsorted')}`);
      await h.close();
    });

    it('rebuilt by `rebuildLoadedKeys` after rows were added by hand, hashes their ids as a sync hashes a call’s: the warehouse’s MD5 is the client’s', async () => {
      const h = await Harness.create(dut);
      await h.calls([identify('u1', { plan: 'pro' }, { messageId: 'first', timestamp: at(1) })]);
      await h.sync();
      // Trailing blanks, capitals, letters and symbols beyond ASCII: the id as it is, hashed on both sides.
      // A no-break space at the end is not a blank: DuckDB's one-argument RTRIM would cut it, the client's hash does not.
      const byHand = ['Hand-Made  ', 'ÉTÉ-ünïcödé-1', 'emoji-🎉', "quote'd", 'nbsp\u00a0', 'ideographic\u3000'];
      const q = dut.destination.dialect.quote;
      for (const id of byHand) await h.execute(`INSERT INTO ${q('engage_default')}.${q('identifies')} (${q('id')}) VALUES (${dut.destination.dialect.literal(id)})`);
      expect(await h.stowage.rebuildLoadedKeys('wh')).toEqual([{ space: 'default', schema: 'engage_default', keys: 7 }]);
      await h.calls([...byHand.map((id, i) => identify('u9', { plan: 'again' }, { messageId: id, timestamp: at(10 + i) })), identify('u9', { plan: 'new' }, { messageId: 'hand-made', timestamp: at(20) })]);
      // Each id added by hand is found; `hand-made` is new, whatever the index's hash of the others.
      expect(await h.sync()).toMatchObject({ status: 'Success', calls: 7, duplicates: 6, rows: { identifies: 1 } });
      expect((await h.rows('identifies', ['id'], [])).map((r) => r.id).sort()).toEqual([...byHand, 'first', 'hand-made'].sort());
      await h.close();
    });
  });
}
