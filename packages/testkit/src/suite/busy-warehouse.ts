import { describe, expect, it } from 'vitest';
import { Harness, identify, type DestinationUnderTest } from '../harness.js';

/** Short pauses: the tests wait for another session, not for the default minute. */
const DELAYS = [100, 200, 400, 800];

/**
 * Another session of the warehouse holds a table: an ALTER of it in a transaction it has not
 * committed (PostgreSQL: its lock; DuckDB: a catalog change the sync's own conflicts with).
 * Returns the call that rolls it back.
 */
async function hold(dut: DestinationUnderTest, h: Harness, table: string, schema = 'engage_default'): Promise<() => Promise<void>> {
  const other = await dut.destination.connect(h.settings, { root: h.dir });
  const { quote, physicalType } = dut.destination.dialect;
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let altered!: () => void;
  const holding = new Promise<void>((resolve) => (altered = resolve));
  const held = other
    .transaction(async () => {
      await other.execute(`ALTER TABLE ${quote(schema)}.${quote(table)} ADD COLUMN ${quote('held_by_another')} ${physicalType('string')}`);
      altered();
      await released;
      throw new Error('rolled back by the test');
    })
    .catch(() => undefined);
  await holding;
  return async () => {
    release();
    await held;
    await other.close();
  };
}

/** A warehouse busy with another session's work: the sync waits its turn a few times, then fails for the next one to go on. */
export function busyWarehouse(dut: DestinationUnderTest): void {
  const wait = dut.lockWait ?? { settings: {} };
  const lacks = 'lacks' in wait ? wait.lacks : undefined;
  const settings = 'settings' in wait ? wait.settings : {};
  describe('a warehouse busy with other sessions', () => {
    it.skipIf(lacks)(`waits its turn at the ledger too, when another session holds it at the sync's start${lacks ? ` (not here: ${lacks})` : ''}`, async () => {
      const h = await Harness.create(dut, { settings, busyDelaysMs: DELAYS });
      await h.calls([identify('u1', { plan: 'pro' })]);
      await h.sync();
      await h.calls([identify('u2', { plan: 'free' })]);
      const release = await hold(dut, h, '_stowage_loads');
      const sync = h.stowage.sync('wh');
      await new Promise((resolve) => setTimeout(resolve, 600));
      await release();
      expect(await sync).toMatchObject({ status: 'Success', calls: 1, rows: { identifies: 1 } });
      await h.close();
    });

    it.skipIf(lacks)(`tries a batch again when another session holds its table, and loads it once${lacks ? ` (not here: ${lacks})` : ''}`, async () => {
      const h = await Harness.create(dut, { settings, busyDelaysMs: DELAYS });
      await h.calls([identify('u1', { plan: 'pro' })]);
      await h.sync();
      // A new trait: the batch alters identifies, which the other session holds for a while.
      await h.calls([identify('u2', { plan: 'free', seats: 3 })]);
      const release = await hold(dut, h, 'identifies');
      const sync = h.stowage.sync('wh');
      await new Promise((resolve) => setTimeout(resolve, 600));
      await release();
      const record = await sync;
      expect(record).toMatchObject({ status: 'Success', calls: 1, rows: { identifies: 1 } });
      expect(record.notices.join('\n')).toMatch(/the warehouse was busy with other sessions' work \(.+\)(; locks on the schema's tables: .+)?; the batch was tried again after a pause/);
      const driver = await dut.destination.connect(h.settings, { root: h.dir });
      if (driver.lockHolders) expect(record.notices.join('\n')).toMatch(/; locks on the schema's tables: pid \d+ \(role \w+, application "stowage", idle in transaction for \d+ s\) holds AccessExclusiveLock on engage_default\.identifies \(its statement: ALTER …\)/);
      // Only its first word: the statement's text may hold another user's data.
      expect(record.notices.join('\n')).not.toContain('ADD COLUMN');
      await driver.close();
      expect(await h.rows('identifies', ['user_id', 'seats'], ['user_id'])).toEqual([
        { user_id: 'u1', seats: null },
        { user_id: 'u2', seats: 3 },
      ]);
      expect(await h.columns('identifies')).not.toContain('held_by_another');
      await h.close();
    });

    it.skipIf(lacks)(`tries a batch again when the look at its table, before a column widens, waits on another session${lacks ? ` (not here: ${lacks})` : ''}`, async () => {
      const h = await Harness.create(dut, { settings, busyDelaysMs: DELAYS });
      await h.calls([identify('u1', { ltv: 100 })]);
      await h.sync();
      // A fraction for a bigint column: the batch reads identifies (does it hold integers past 2^53?) while preparing.
      await h.calls([identify('u2', { ltv: 99.5 })]);
      const release = await hold(dut, h, 'identifies');
      const sync = h.stowage.sync('wh');
      await new Promise((resolve) => setTimeout(resolve, 600));
      await release();
      const record = await sync;
      const widens = dut.destination.capabilities.inPlaceWidening.some(([from, to]) => from === 'bigint' && to === 'double');
      // Without the widening, the fraction is set apart in the quarantine.
      expect(record).toMatchObject({ status: widens ? 'Success' : 'Partial', calls: 1 });
      expect(await h.rows('identifies', ['user_id', 'ltv'], ['user_id'])).toEqual([
        { user_id: 'u1', ltv: 100 },
        { user_id: 'u2', ltv: widens ? 99.5 : null },
      ]);
      await h.close();
    });

    it.skipIf(lacks)(`tries the users refresh again when another session holds users, and counts its rows once${lacks ? ` (not here: ${lacks})` : ''}`, async () => {
      const h = await Harness.create(dut, { settings, busyDelaysMs: DELAYS });
      await h.calls([identify('u1', { plan: 'pro' })]);
      await h.sync();
      // identifies takes the new trait; users, held by the other session, must take it too.
      await h.calls([identify('u2', { plan: 'free', seats: 3 })]);
      const release = await hold(dut, h, 'users');
      const sync = h.stowage.sync('wh');
      await new Promise((resolve) => setTimeout(resolve, 600));
      await release();
      const record = await sync;
      expect(record).toMatchObject({ status: 'Success', calls: 1, rows: { identifies: 1, users: 1 } });
      expect(record.notices.join('\n')).toMatch(/the warehouse was busy with other sessions' work \(.+\)(; locks on the schema's tables: .+)?; the users refresh was tried again after a pause/);
      expect(await h.rows('users', ['id', 'seats'], ['id'])).toEqual([
        { id: 'u1', seats: null },
        { id: 'u2', seats: 3 },
      ]);
      await h.close();
    });

    it.skipIf(lacks)(`fails a Storage Actions write that waited too long for another session's lock, naming it where the warehouse can, and keeps its events queued${lacks ? ` (not here: ${lacks})` : ''}`, async () => {
      const computations = { carts: { type: 'linked_audience' } };
      const h = await Harness.create(dut, { settings, computations, activations: { a: { computation: 'carts', table: 'carts' } } });
      await h.run({ computation: 'carts', id: 'r1' }, [{ userId: 'u1' }]);
      const release = await hold(dut, h, 'carts', 'default');
      const run = await h.run({ computation: 'carts', id: 'r2' }, [{ userId: 'u1' }, { userId: 'u2' }]);
      await release();
      expect(run.activations).toEqual([expect.objectContaining({ activation: 'a', written: 0, queued: 1 })]);
      expect(run.writes[0]).toMatchObject({ status: 'Failure', error: expect.stringContaining('stay queued') });
      const driver = await dut.destination.connect(h.settings, { root: h.dir });
      if (driver.lockHolders) expect(run.writes[0]!.error).toMatch(/; locks on the schema's tables: pid \d+ \(.+\) holds AccessExclusiveLock on default\.carts/);
      await driver.close();
      const [flushed] = await h.stowage.flush('wh');
      expect(flushed!.record).toMatchObject({ status: 'Success', rows: { 'default.carts': 1 } });
      expect(await h.rows('carts', ['user_id'], ['user_id'], 'wh', 'default')).toEqual([{ user_id: 'u1' }, { user_id: 'u2' }]);
      await h.close();
    });

    it.skipIf(lacks)(`fails the sync once its tries are spent, moving nothing past, and the next sync loads it${lacks ? ` (not here: ${lacks})` : ''}`, async () => {
      const h = await Harness.create(dut, { settings, busyDelaysMs: [50, 50] });
      await h.calls([identify('u1', { plan: 'pro' })]);
      await h.sync();
      await h.calls([identify('u2', { plan: 'free', seats: 3 })]);
      const release = await hold(dut, h, 'identifies');
      const failed = await h.stowage.sync('wh');
      await release();
      expect(failed.status).toBe('Failure');
      expect(failed.error).toMatch(/^the warehouse stayed busy with other sessions' work through 3 tries over ~\d+ s \(.+\): a lock Stowage needs is held, or another writer touches the same tables(; locks on the schema's tables: .+)?; what is loaded stays, and the next sync goes on from there/);
      // Where the warehouse can say who holds the lock, the error names that session.
      const driver = await dut.destination.connect(h.settings, { root: h.dir });
      if (driver.lockHolders) expect(failed.error).toMatch(/; locks on the schema's tables: pid \d+ \(.+\) holds AccessExclusiveLock on engage_default\.identifies/);
      await driver.close();
      expect(await h.sync()).toMatchObject({ status: 'Success', calls: 1 });
      expect(await h.rows('identifies', ['user_id', 'seats'], ['user_id'])).toEqual([
        { user_id: 'u1', seats: null },
        { user_id: 'u2', seats: 3 },
      ]);
      expect(await h.rows('users', ['id', 'seats'], ['id'])).toEqual([
        { id: 'u1', seats: null },
        { id: 'u2', seats: 3 },
      ]);
      await h.close();
    });
  });
}
