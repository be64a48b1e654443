import { describe, expect, it } from 'vitest';
import { Harness, identify, track, type DestinationUnderTest } from '../harness.js';
import { textBounded } from './text-limit.js';

/**
 * The user's own `engage_default.<table>`, made beforehand with an `email` that may not be null: a
 * call (or a user) without one is refused by the warehouse, not by Stowage.
 */
export async function strictTable(h: Harness, table: 'identifies' | 'users'): Promise<void> {
  const { quote, physicalType } = h.dut.destination.dialect;
  await h.execute(`CREATE SCHEMA ${quote('engage_default')}`);
  await h.execute(`CREATE TABLE ${quote('engage_default')}.${quote(table)} (${quote('id')} ${physicalType('string')}, ${quote('email')} ${physicalType('string')} NOT NULL)`);
}

/**
 * The user fixes `strictTable`: its `email` takes nulls. Redshift has no `ALTER COLUMN … DROP NOT
 * NULL`, so the column is made again beside its values, a set-up every warehouse accepts.
 */
async function allowMissingEmail(h: Harness): Promise<void> {
  const { quote, physicalType } = h.dut.destination.dialect;
  const table = `${quote('engage_default')}.${quote('identifies')}`;
  await h.execute(`ALTER TABLE ${table} ADD COLUMN ${quote('email_fixed')} ${physicalType('string')}`);
  await h.execute(`UPDATE ${table} SET ${quote('email_fixed')} = ${quote('email')}`);
  await h.execute(`ALTER TABLE ${table} DROP COLUMN ${quote('email')}`);
  await h.execute(`ALTER TABLE ${table} RENAME COLUMN ${quote('email_fixed')} TO ${quote('email')}`);
}

async function strictIdentifies(dut: DestinationUnderTest, batchSize: number): Promise<Harness> {
  const h = await Harness.create(dut, { batchSize });
  await strictTable(h, 'identifies');
  return h;
}

/** A Classic batch the warehouse fails on one call's data: the call is set apart, not the sync stopped for good. */
export function refusedCalls(dut: DestinationUnderTest): void {
  describe('calls the warehouse refuses', () => {
    it('loads the other calls of the batch and of the batches after it, and quarantines the refused call whole', async () => {
      const h = await strictIdentifies(dut, 4);
      const identifies = Array.from({ length: 10 }, (_, i) => identify(`u${i}`, i === 5 ? { plan: 'pro', seats: 0 } : { email: `u${i}@example.com`, plan: 'pro' }));
      // u5's seats as sent: 2^60, which a double holds, and JavaScript writes as 1152921504606847000.
      const u5 = JSON.stringify(identifies[5]).replace('"seats":0', '"seats":1152921504606846976');
      // A track call in the refused call's batch: its tables are not the refused one's, and it lands.
      const calls: Array<Record<string, unknown> | string> = [...identifies.slice(0, 5), u5, track('u6', 'Signed Up', { plan: 'pro' }), ...identifies.slice(6)];
      await h.calls(calls);
      const record = await h.sync();
      expect(record).toMatchObject({ status: 'Partial', calls: 11, rejects: 1 });
      expect(record.notices.join('\n')).toMatch(/the warehouse refused call m\d+ \(identifies\) while it took the other 3 calls of its batch \(.+\); it is in _stowage_rejects whole: fix what the warehouse names, then ingest it again \(`stowage refused` prints it\)/);
      const expected = identifies.filter((c) => c.userId !== 'u5').map((c) => ({ user_id: c.userId }));
      expect(await h.rows('identifies', ['user_id'])).toEqual(expected);
      expect(await h.rows('users', ['id'])).toEqual(expected.map((r) => ({ id: r.user_id })));
      expect(await h.rows('signed_up', ['user_id'])).toEqual([{ user_id: 'u6' }]);
      const [reject, ...more] = await h.rows('_stowage_rejects', ['id', 'table_name', 'column_name', 'value', 'reason']);
      expect(more).toEqual([]);
      expect(reject).toMatchObject({ id: identifies[5]!.messageId, table_name: 'identifies', column_name: '' });
      expect(JSON.parse(String(reject!.value))).toMatchObject({ type: 'identify', userId: 'u5', messageId: identifies[5]!.messageId, traits: { plan: 'pro' } });
      expect(String(reject!.reason)).toMatch(/^the warehouse refused the call: .+/);
      // With its own digits: ingested again (`stowage refused`), it is the integer it was.
      expect(String(reject!.value)).toContain('"seats":1152921504606846976');

      // The ledger moved past it: the next sync loads nothing again and quarantines nothing twice.
      expect(await h.sync()).toMatchObject({ status: 'Success', calls: 0, rejects: 0 });
      await h.calls([identify('u10', { email: 'u10@example.com' })]);
      expect(await h.sync()).toMatchObject({ status: 'Success', calls: 1 });
      expect(await h.rows('_stowage_rejects', ['id'])).toEqual([{ id: identifies[5]!.messageId }]);
      expect(await h.rows('identifies', ['user_id'])).toEqual([...expected, { user_id: 'u10' }].sort((a, b) => a.user_id!.localeCompare(b.user_id!)));
      await h.close();
    });

    it("sets apart whole a call whose message id the user's id column cannot hold (an integer), rather than load it without its id", async () => {
      const h = await Harness.create(dut);
      const { quote, physicalType } = dut.destination.dialect;
      await h.execute(`CREATE SCHEMA ${quote('engage_default')}`);
      await h.execute(`CREATE TABLE ${quote('engage_default')}.${quote('identifies')} (${quote('id')} ${physicalType('bigint')})`);
      await h.calls([identify('u1', { plan: 'pro' }, { messageId: '17' }), identify('u2', { plan: 'pro' }, { messageId: 'm-not-a-number' })]);
      const record = await h.sync();
      expect(record).toMatchObject({ status: 'Partial', rejects: 1 });
      expect(await h.rows('identifies', ['id', 'user_id'])).toEqual([{ id: 17, user_id: 'u1' }]);
      expect(await h.rows('_stowage_rejects', ['id', 'column_name'])).toEqual([{ id: 'm-not-a-number', column_name: '' }]);
      // Sent again, the id found in the table (compared as an integer) loads nothing twice.
      await h.calls([identify('u1', { plan: 'pro' }, { messageId: '17' })]);
      expect(await h.sync()).toMatchObject({ status: 'Success', rows: { identifies: 0 } });
      await h.close();
    });

    it('calls a sync Partial each time it sets a call apart, a call ingested again and refused again included, its quarantine kept once', async () => {
      const h = await strictIdentifies(dut, 4);
      const { quote, physicalType } = dut.destination.dialect;
      // A quarantined value of a call that loads, in the refused call's batch: its row carries the sync.
      const calls = [identify('u0', { email: 'u0@example.com', score: 1 }), identify('u1', { plan: 'pro' }, { messageId: 'again' }), identify('u2', { email: 'u2@example.com', score: 'high' })];
      await h.calls(calls);
      const first = await h.sync();
      expect(first).toMatchObject({ status: 'Partial', rejects: 2 });
      const syncIds = await h.rows('_stowage_rejects', ['id', 'sync_id'], ['id']);
      expect(syncIds).toEqual([{ id: 'again', sync_id: first.id }, { id: calls[2]!.messageId, sync_id: first.id }]);
      // Ingested again as it was: refused again, for the same reason.
      await h.calls([calls[1]!]);
      const second = await h.sync();
      expect(second).toMatchObject({ status: 'Partial', calls: 1, rejects: 1 });
      // Alone in its batch, it is told so: no other call was taken.
      expect(second.notices.join('\n')).toMatch(/the warehouse refused call again \(identifies\) \(.+\); it is in _stowage_rejects whole/);
      expect(await h.rows('_stowage_rejects', ['id'], ['id'])).toEqual([{ id: 'again' }, { id: calls[2]!.messageId }]);
      // The table changed so that another rule refuses it (a NOT NULL of another column: Redshift
      // has no CHECK): that reason is kept beside the first.
      await h.execute(`ALTER TABLE ${quote('engage_default')}.${quote('identifies')} RENAME TO ${quote('identifies_was')}`);
      await h.execute(`CREATE TABLE ${quote('engage_default')}.${quote('identifies')} (${quote('id')} ${physicalType('string')}, ${quote('seat')} ${physicalType('string')} NOT NULL)`);
      await h.calls([calls[1]!]);
      const third = await h.sync();
      expect(third).toMatchObject({ status: 'Partial', calls: 1, rejects: 1 });
      // Its quarantine is kept once; the sync's notice gives the reason it was refused for now.
      expect((await h.rows('_stowage_rejects', ['id'], ['id'])).filter((r) => r.id === 'again')).toHaveLength(1);
      expect(third.notices.join('\n')).toMatch(/the warehouse refused call again \(identifies\)/);
      await h.close();
    });

    it('keeps a refused call longer than a text column holds whole, and `refused` gives it back whole', async () => {
      const { maxStringBytes } = dut.destination.capabilities;
      const h = await strictIdentifies(dut, 4);
      // Its note is quarantined for its length (where text is bounded); the call, without an email, is refused whole.
      // Mostly one-byte characters: a test server's VARCHAR may count characters, not bytes.
      const note = `é€😀${'x'.repeat(textBounded(dut) ? Math.ceil(1.5 * maxStringBytes) : 200_000)}é€😀`;
      const refused = identify('u1', { note }, { messageId: 'big' });
      await h.calls([identify('u0', { email: 'u0@example.com' }), refused]);
      expect(await h.sync()).toMatchObject({ status: 'Partial', calls: 2 });
      expect(await h.rows('identifies', ['user_id'])).toEqual([{ user_id: 'u0' }]);
      const calls = await h.stowage.refusedCalls('wh', 'default');
      expect(calls).toHaveLength(1);
      expect(JSON.parse(calls[0]!)).toMatchObject({ messageId: 'big', userId: 'u1', traits: { note } });
      await h.close();
    });

    it('sets apart every call it refuses among many, each once, the others loaded once', async () => {
      const h = await strictIdentifies(dut, 1000);
      const calls = Array.from({ length: 300 }, (_, i) => identify(`u${String(i).padStart(3, '0')}`, i % 97 === 3 ? { plan: 'free' } : { email: `u${i}@example.com` }));
      await h.calls(calls);
      const record = await h.sync();
      const refused = calls.filter((c) => !('email' in c.traits));
      expect(record).toMatchObject({ status: 'Partial', calls: 300, rejects: refused.length });
      expect((await h.rows('identifies', ['id'])).length).toBe(300 - refused.length);
      expect((await h.rows('_stowage_rejects', ['id'])).map((r) => r.id)).toEqual(refused.map((c) => c.messageId).sort());
      await h.close();
    });

    it('fails the sync, moving nothing past, when more calls are refused than writes in parts can set apart; loads each once when the table is fixed', async () => {
      const h = await strictIdentifies(dut, 1000);
      // Every other call refused: a table to fix, not calls to set apart.
      const calls = Array.from({ length: 100 }, (_, i) => identify(`u${String(i).padStart(3, '0')}`, i % 2 === 1 ? { plan: 'free' } : { email: `u${i}@example.com` }));
      await h.calls(calls);
      const failed = await h.stowage.sync('wh');
      expect(failed.status).toBe('Failure');
      expect(failed.error).toMatch(/the warehouse refused calls of a batch of 100 \(.+\): (\d+ set apart, and )?more among (\d+) calls that 64 writes in parts could not sort out \(at least (\d+)\); the batch stays in the log \(its parts written meanwhile are not loaded twice\): fix what the warehouse names, then sync again/);
      // Never more set apart and unsorted than the 50 refused calls there are, however many calls the unsorted parts hold.
      const [, found, , least] = /(?:(\d+) set apart, and )?more among (\d+) calls .*at least (\d+)/.exec(failed.error!)!;
      expect(Number(found ?? 0) + Number(least)).toBeLessThanOrEqual(50);
      expect((await h.tables()).has('_stowage_rejects')).toBe(false);
      // The parts written before the budget was spent are in the table, and in the sync's record.
      const written = (await h.rows('identifies', ['id'])).length;
      expect(written).toBeGreaterThan(0);
      expect(failed.rows.identifies).toBe(written);
      expect(failed.calls).toBe(written);

      await allowMissingEmail(h);
      expect(await h.sync()).toMatchObject({ status: 'Success', calls: 100, rejects: 0 });
      const ids = (await h.rows('identifies', ['id'])).map((r) => r.id);
      expect(ids.sort()).toEqual(calls.map((c) => c.messageId).sort());
      expect((await h.rows('users', ['id'])).length).toBe(100);
      await h.close();
    });

    it('loads each call once when a later batch of a first sync fails that way after writing some of its parts, once the table is fixed', async () => {
      // The first batch commits; the second's parts commit until their budget is spent.
      const h = await strictIdentifies(dut, 100);
      const calls = Array.from({ length: 200 }, (_, i) => identify(`u${String(i).padStart(3, '0')}`, i >= 100 && i % 2 === 1 ? { plan: 'free' } : { email: `u${i}@example.com` }));
      await h.calls(calls);
      expect((await h.stowage.sync('wh')).status).toBe('Failure');
      expect((await h.rows('identifies', ['id'])).length).toBeGreaterThan(100);
      await allowMissingEmail(h);
      expect(await h.sync()).toMatchObject({ status: 'Success', rejects: 0 });
      const ids = (await h.rows('identifies', ['id'])).map((r) => r.id);
      expect(ids.sort()).toEqual(calls.map((c) => c.messageId).sort());
      await h.close();
    });

    it("keeps the users rows of the other keys when the warehouse refuses one key's row, and quarantines that key", async () => {
      // The user's own users table, whose email may not be null: a user who never sent one is refused there, not in identifies.
      const h = await Harness.create(dut);
      await strictTable(h, 'users');
      await h.calls(Array.from({ length: 40 }, (_, i) => identify(`u${String(i).padStart(2, '0')}`, i === 17 ? { plan: 'pro' } : { email: `u${i}@example.com`, plan: 'pro' })));
      const record = await h.sync();
      expect(record).toMatchObject({ status: 'Partial', calls: 40, rejects: 1, rows: { identifies: 40, users: 39 } });
      expect(record.notices.join('\n')).toMatch(/the warehouse refused the users rows of 1 key while it took the other 39 \(.+\); each is in _stowage_rejects, its row as it was until its next call/);
      expect((await h.rows('identifies', ['id'])).length).toBe(40);
      const users = (await h.rows('users', ['id'])).map((r) => r.id);
      expect(users).toHaveLength(39);
      expect(users).not.toContain('u17');
      expect(await h.rows('_stowage_rejects', ['id', 'table_name', 'column_name', 'value'])).toEqual([{ id: 'u17', table_name: 'users', column_name: '', value: '' }]);
      expect(String((await h.rows('_stowage_rejects', ['reason']))[0]!.reason)).toMatch(/^the warehouse refused the key's users row: .+/);

      // Its mark is cleared: the next sync has nothing to redo. Its next call with an email brings its row.
      expect(await h.sync()).toMatchObject({ status: 'Success', calls: 0, rejects: 0 });
      await h.calls([identify('u17', { email: 'u17@example.com' })]);
      expect(await h.sync()).toMatchObject({ status: 'Success', calls: 1 });
      expect(await h.rows('users', ['id', 'email', 'plan'], ['id'])).toContainEqual({ id: 'u17', email: 'u17@example.com', plan: 'pro' });
      expect((await h.rows('users', ['id'])).length).toBe(40);
      await h.close();
    });
  });
}
