import { cpSync, mkdtempSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Harness, identify, track, type DestinationUnderTest } from '../harness.js';
import { dialectNames } from './dialect-names.js';
import { STATES_TABLE, TableWriter } from '@stowage/core';
import { DuckDBInstance } from '@duckdb/node-api';

/** Dedup by message id, the ledger, selective sync and the backfill of a new warehouse. */
export function loads(dut: DestinationUnderTest): void {
  describe('loads', () => {
    it('loads a message id at most once per table, within a sync and across syncs', async () => {
      const h = await Harness.create(dut);
      const call = track('u1', 'Signed Up', { plan: 'pro' }, { messageId: 'dup-1' });
      await h.calls([call, call]);
      const first = await h.sync();
      expect(first.duplicates).toBeGreaterThan(0);
      await h.calls([call]);
      await h.sync();
      expect(await h.rows('signed_up', ['id'])).toEqual([{ id: 'dup-1' }]);
      expect(await h.rows('tracks', ['id'])).toEqual([{ id: 'dup-1' }]);
      await h.close();
    });

    it('loads the new message ids of a batch that also holds one already loaded, and not that one', async () => {
      const h = await Harness.create(dut);
      const old = track('u1', 'Signed Up', { plan: 'pro' }, { messageId: 'old-1' });
      await h.calls([old]);
      await h.sync();
      // The loaded id comes last, among new ones: a look that stops early would miss it.
      await h.calls([...Array.from({ length: 50 }, (_, i) => track(`u${i}`, 'Signed Up', { plan: 'free' }, { messageId: `new-${i}` })), old]);
      const second = await h.sync();
      expect(second.duplicates).toBe(2);
      const rows = await h.rows('signed_up', ['id', 'plan']);
      expect(rows).toHaveLength(51);
      expect(new Set(rows.map((r) => r.id)).size).toBe(51);
      expect(rows.filter((r) => r.id === 'old-1')).toEqual([{ id: 'old-1', plan: 'pro' }]);
      expect((await h.rows('tracks', ['id'])).length).toBe(51);
      // The same with identifies: the new user of such a batch gets a users row.
      await h.calls([identify('u1', { plan: 'pro' }, { messageId: 'old-i' })]);
      await h.sync();
      await h.calls([identify('u2', { plan: 'free' }, { messageId: 'new-i' }), identify('u1', { plan: 'pro' }, { messageId: 'old-i' })]);
      await h.sync();
      expect(await h.rows('identifies', ['id', 'user_id'])).toEqual([{ id: 'new-i', user_id: 'u2' }, { id: 'old-i', user_id: 'u1' }]);
      expect(await h.rows('users', ['id', 'plan'])).toEqual([{ id: 'u1', plan: 'pro' }, { id: 'u2', plan: 'free' }]);
      await h.close();
    });

    it("refuses a log begun anew (its state folder lost) until its state claims the schema; then loads it from its start, never from the old log's position in the ledger, each call once", async () => {
      const h = await Harness.create(dut);
      await h.calls(Array.from({ length: 40 }, (_, i) => identify(`u${i}`, { plan: 'pro', note: 'x'.repeat(200) }, { messageId: `old-${i}` })));
      await h.sync();
      await h.close();
      rmSync(h.stowage.config.stateDir, { recursive: true, force: true });
      // As a version before claims left the schema: only the ledger tells that another log loaded it.
      await h.execute(`DROP TABLE ${dut.destination.dialect.quote('engage_default')}.${dut.destination.dialect.quote(STATES_TABLE)}`);
      const again = await Harness.create(dut, { reuse: { dir: h.dir, settings: h.settings } });
      // Fewer bytes than the old log held before its cursor: read from that position, they would be skipped.
      await again.calls([identify('u100', { plan: 'new' }, { messageId: 'new-1' }), identify('u0', { plan: 'pro' }, { messageId: 'old-0' })]);
      const refused = await again.stowage.sync('wh');
      expect(refused).toMatchObject({ status: 'Failure', rows: {} });
      expect(refused.error).toMatch(/^engage_default was loaded from another state's call log \(classic\/wh\/default\/.+ in its ledger, and this state's log is new\); this state is .*\.stowage\. .*set stateDir .*run `stowage claim wh` first .*Nothing was written to engage_default$/);
      expect(await again.stowage.claimWarehouse('wh')).toEqual([{ schema: 'engage_default', already: false }]);
      expect(await again.sync()).toMatchObject({ status: 'Success', calls: 2, duplicates: 1, rows: { identifies: 1 } });
      const ids = (await again.rows('identifies', ['id'])).map((r) => r.id);
      expect(ids).toHaveLength(41);
      expect(ids).toContain('new-1');
      await again.close();
    });

    it('resumes from the ledger: a second sync with nothing new loads nothing', async () => {
      const h = await Harness.create(dut);
      await h.calls([identify('u1', { a: 1 })]);
      expect((await h.sync()).calls).toBe(1);
      expect((await h.sync()).calls).toBe(0);
      expect(await h.rows('identifies', ['user_id'])).toEqual([{ user_id: 'u1' }]);
      await h.close();
    });

    it("adds last_id to a ledger made before it, at the next sync, and tells by it a state folder restored from an older backup whose new calls end where the ledger's cursor is", async () => {
      const h = await Harness.create(dut);
      const q = (s: string) => dut.destination.dialect.quote(s);
      const call = (i: number) => identify(`u${i}`, { plan: 'pro' }, { messageId: `restore-${i}` });
      await h.calls([call(1)]);
      await h.sync();
      await h.execute(`ALTER TABLE ${q('engage_default')}.${q('_stowage_loads')} DROP COLUMN ${q('last_id')}`);
      const state = join(h.dir, '.stowage');
      const backup = mkdtempSync(join(tmpdir(), 'stowage-kit-backup-'));
      cpSync(state, backup, { recursive: true });
      await h.calls([call(2), call(3)]);
      expect(await h.sync()).toMatchObject({ status: 'Success', calls: 2 });
      expect(await h.columns('_stowage_loads')).toContain('last_id');
      rmSync(state, { recursive: true });
      cpSync(backup, state, { recursive: true });
      rmSync(backup, { recursive: true });
      // Calls of the same length as those the restored log lacks: the log ends where the ledger's cursor is.
      await h.calls([call(4), call(5)]);
      const refused = await h.stowage.sync('wh');
      expect(refused).toMatchObject({ status: 'Failure', calls: 0 });
      expect(refused.error).toContain(`where the log's call "restore-5" ends, not the call the ledger loaded last ("restore-3")`);
      expect(await h.rows('identifies', ['user_id'])).toEqual([{ user_id: 'u1' }, { user_id: 'u2' }, { user_id: 'u3' }]);
      await h.close();
    });

    it('skips disabled tables and columns; re-enabling does not backfill', async () => {
      const disabled = { tables: ['tracks'], columns: { identifies: ['secret'], audience_entered: ['context_ip'] } };
      const before = await Harness.create(dut);
      await before.calls([identify('u0', { secret: 'old' })]);
      await before.sync();
      await before.close();
      const h = await Harness.create(dut, { warehouse: { disabled }, reuse: { dir: before.dir, settings: before.settings } });
      await h.calls([
        identify('u1', { secret: 's', shown: 1 }),
        track('u1', 'Audience Entered', { audience_key: 'k' }, { context: { ip: '1.2.3.4' } }),
      ]);
      await h.sync();
      expect(await h.columns('tracks')).toBeUndefined();
      expect(await h.rows('identifies', ['user_id', 'secret'])).toEqual([{ user_id: 'u0', secret: 'old' }, { user_id: 'u1', secret: null }]);
      expect(await h.columns('audience_entered')).not.toContain('context_ip');
      expect(await h.rows('users', ['id', 'shown', 'secret'])).toEqual([{ id: 'u0', shown: null, secret: 'old' }, { id: 'u1', shown: 1, secret: null }]);
      await h.close();

      const again = await Harness.create(dut, { reuse: { dir: h.dir, settings: h.settings } });
      await again.calls([identify('u2', { secret: 't' })]);
      await again.sync();
      expect(await again.rows('identifies', ['user_id', 'secret'])).toEqual([{ user_id: 'u0', secret: 'old' }, { user_id: 'u1', secret: null }, { user_id: 'u2', secret: 't' }]);
      expect(await again.columns('tracks')).toBeUndefined();
      await again.close();
    });

    it('quarantines nothing of a copy it skips, where two keys of the copy name one column; a copy that lands in a table of its own keeps its quarantine there', async () => {
      const { name } = dialectNames(dut);
      const h = await Harness.create(dut);
      const collide = { 'Foo Bar': 'a', fooBar: 'd' };
      const context = { ip: '1', Ip: '2' };
      await h.calls([
        identify('u1', { plan: 'gold' }, { messageId: 'm1' }),
        identify('u1', collide, { messageId: 'm1' }),
        // A copy in tracks (skipped there), but the first row of m2 in beta: its context collision is beta's.
        track('u1', 'Alpha', {}, { messageId: 'm2' }),
        track('u1', 'Beta', {}, { messageId: 'm2', context }),
      ]);
      const first = await h.sync();
      expect(await h.rows('_stowage_rejects', ['id', 'table_name', 'column_name', 'value'], ['id'])).toEqual([{ id: 'm2', table_name: 'beta', column_name: name('context_ip'), value: '2' }]);
      expect(first.rejects).toBe(1);
      expect(await h.columns('identifies')).not.toContain(name('foo_bar'));
      // A copy of an id an earlier sync loaded: where the look sets copies aside (no key indexes), nothing of it is planned.
      await h.calls([identify('u1', collide, { messageId: 'm1' }), track('u1', 'Alpha', {}, { messageId: 'm2', context })]);
      const second = await h.sync();
      if (!dut.destination.capabilities.keyIndexes) {
        expect(second).toMatchObject({ status: 'Success', rejects: 0 });
        expect((await h.rows('_stowage_rejects', ['id'])).length).toBe(1);
      }
      await h.close();
    });

    it("keeps a disabled table's or column's values out of the quarantine too, where two keys of a call name the column", async () => {
      // Selective sync is how values (PII) are kept out of the warehouse: a collision's value
      // quarantined into _stowage_rejects would put them there anyway.
      const disabled = { tables: ['secret_event'], columns: { identifies: ['email', 'context_ip'], tracks: ['context_ip'] } };
      const h = await Harness.create(dut, { warehouse: { disabled } });
      const context = { ip: '10.0.0.1', IP: '10.0.0.2' };
      await h.calls([
        identify('u1', { email: 'a@example.com', Email: 'A@EXAMPLE.COM', name: 'A', Name: 'B' }, { messageId: 'i1', context }),
        track('u1', 'Secret Event', { ssn: '123', SSN: '987' }, { messageId: 't1', context }),
      ]);
      const record = await h.sync();
      // The collision in a column that is loaded is still quarantined.
      expect(await h.rows('_stowage_rejects', ['id', 'table_name', 'column_name', 'value'], ['id'])).toEqual([{ id: 'i1', table_name: 'identifies', column_name: 'name', value: 'B' }]);
      expect(record.rejects).toBe(1);
      expect(await h.columns('secret_event')).toBeUndefined();
      await h.close();
    });

    it('builds users from all of identifies when users is enabled again after it was disabled from the start', async () => {
      const off = await Harness.create(dut, { warehouse: { disabled: { tables: ['users'] } } });
      await off.calls([identify('u1', { plan: 'a' }, { messageId: 'i1' }), identify('u2', { plan: 'b' }, { messageId: 'i2' })]);
      await off.sync();
      expect(await off.columns('users')).toBeUndefined();
      await off.close();
      // Enabled again: the next sync builds it, though it carries no identify itself.
      const on = await Harness.create(dut, { reuse: { dir: off.dir, settings: off.settings } });
      await on.calls([track('u3', 'Order Completed', { total: 1 }, { messageId: 't1' })]);
      const record = await on.sync();
      expect(record.notices.join('\n')).toContain('users was missing or empty while identifies held 2 keys this sync did not touch');
      expect(await on.rows('users', ['id', 'plan'])).toEqual([{ id: 'u1', plan: 'a' }, { id: 'u2', plan: 'b' }]);
      await on.close();
    });

    it('lands a trait value set again after the trait was removed (a new change, never a duplicate)', async () => {
      const h = await Harness.create(dut, { computations: { ltv: { type: 'trait' } } });
      await h.run({ computation: 'ltv', id: 'r1', completedAt: '2026-11-21T10:00:00Z' }, [{ userId: 'u1', value: 10 }]);
      await h.run({ computation: 'ltv', id: 'r2', completedAt: '2026-11-22T10:00:00Z' }, []);
      await h.run({ computation: 'ltv', id: 'r3', completedAt: '2026-11-23T10:00:00Z' }, [{ userId: 'u1', value: 10 }]);
      await h.run({ computation: 'ltv', id: 'r4', completedAt: '2026-11-24T10:00:00Z' }, [{ userId: 'u1', value: 99 }]);
      const record = await h.sync();
      expect(record.duplicates).toBe(0);
      expect(await h.rows('users', ['id', 'ltv'])).toEqual([{ id: 'u1', ltv: 99 }]);
      expect((await h.rows('trait_computed', ['ltv'], ['timestamp'])).map((r) => r.ltv)).toEqual([10, 10, 99]);
      await h.close();
    });

    it('refuses a profile state begun anew (its folder moved or lost) where another wrote, until it claims the warehouse; then lands its changes, none taken for a copy of the old state\'s', async () => {
      const computations = { ltv: { type: 'trait' }, carts: { type: 'linked_audience' } };
      const activations = { a: { computation: 'carts', table: 'carts' } };
      const old = await Harness.create(dut, { computations, activations });
      await old.run({ computation: 'ltv', id: 'r1', completedAt: '2026-11-21T10:00:00Z' }, [{ userId: 'u1', value: 10 }]);
      await old.run({ computation: 'ltv', id: 'r2', completedAt: '2026-11-22T10:00:00Z' }, [{ userId: 'u1', value: 42 }]);
      await old.run({ computation: 'carts', id: 'c1', completedAt: '2026-11-22T10:00:00Z' }, [{ userId: 'u1', entityContext: { cart_id: 'k1' } }]);
      await old.sync();
      await old.close();
      // The same warehouse, a new state folder: each membership's version counts from 1 again.
      const anew = await Harness.create(dut, { computations, activations, reuse: { dir: mkdtempSync(join(tmpdir(), 'stowage-kit-anew-')), settings: old.settings } });
      const oldDir = old.stowage.config.stateDir;
      const refusal = (schema: string) => new RegExp(`^${schema} is written by another Stowage state, kept in ${oldDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(state [0-9a-f-]{36}, since .+\\); this state is .+ run \`stowage claim wh\` first \\(the rows there stay as they are\\)\\. Nothing was written to ${schema}\\b`);
      const queued = await anew.run({ computation: 'ltv', id: 'n1', completedAt: '2026-11-23T10:00:00Z' }, [{ userId: 'u1', value: 42 }]);
      expect(queued.writes).toEqual([]);
      const refusedRun = await anew.run({ computation: 'carts', id: 'c1', completedAt: '2026-11-23T10:00:00Z' }, [{ userId: 'u1', entityContext: { cart_id: 'k2' } }]);
      expect(refusedRun.writes[0]).toMatchObject({ status: 'Failure' });
      expect(refusedRun.writes[0]!.error).toMatch(refusal('default'));
      const refusedSync = await anew.stowage.sync('wh');
      expect(refusedSync.status).toBe('Failure');
      expect(refusedSync.error).toMatch(refusal('engage_default'));
      expect(await anew.rows('users', ['id', 'ltv'])).toEqual([{ id: 'u1', ltv: 42 }]);
      expect(await anew.rows('carts', ['id'], [], 'wh', 'default')).toHaveLength(1);

      // The old state is gone for good: this one carries on.
      expect((await anew.stowage.claimWarehouse('wh')).map((c) => [c.schema, c.already, c.before?.dir]).sort()).toEqual([
        ['default', false, oldDir],
        ['engage_default', false, oldDir],
      ]);
      await anew.stowage.flush('wh');
      await anew.run({ computation: 'ltv', id: 'n2', completedAt: '2026-11-24T10:00:00Z' }, [{ userId: 'u1', value: 50 }]);
      const record = await anew.sync();
      expect(record.duplicates).toBe(0);
      expect(await anew.rows('users', ['id', 'ltv'])).toEqual([{ id: 'u1', ltv: 50 }]);
      expect((await anew.rows('trait_computed', ['ltv'], ['timestamp'])).map((r) => r.ltv)).toEqual([10, 42, 42, 50]);
      const carts = await anew.rows('carts', ['id', 'entity_context'], ['received_at'], 'wh', 'default');
      expect(carts.map((r) => JSON.parse(r.entity_context as string).cart_id)).toEqual(['k1', 'k2']);
      expect(new Set(carts.map((r) => r.id)).size).toBe(2);
      // A claim replaces every other: one row, this state's, whatever either machine's clock said.
      expect(await anew.rows(STATES_TABLE, ['state_dir'], [], 'wh', 'engage_default')).toEqual([{ state_dir: anew.stowage.config.stateDir }]);
      // Claimed, the schemas refuse the old state in turn.
      const back = await Harness.create(dut, { computations, activations, reuse: { dir: old.dir, settings: old.settings } });
      await back.calls([identify('u9', { plan: 'x' })]);
      expect((await back.stowage.sync('wh')).error).toMatch(/^engage_default is written by another Stowage state, kept in .*stowage-kit-anew-/);
      await back.close();
      await anew.close();
      rmSync(anew.dir, { recursive: true, force: true });
    });

    it("refuses, after an upgrade, a state begun anew on a space's schema of activations' rows from before claims; the state from before takes it", async () => {
      const computations = { carts: { type: 'linked_audience' } };
      const activations = { a: { computation: 'carts', table: 'carts' } };
      const old = await Harness.create(dut, { computations, activations });
      await old.run({ computation: 'carts', id: 'c1', completedAt: '2026-11-22T10:00:00Z' }, [{ userId: 'u1', entityContext: { cart_id: 'k1' } }]);
      await old.close();
      // As a version before claims and epochs left them.
      await old.execute(`DROP TABLE ${dut.destination.dialect.quote('default')}.${dut.destination.dialect.quote(STATES_TABLE)}`);
      await forgetEpoch(join(old.dir, '.stowage', 'state.duckdb'));
      const anew = await Harness.create(dut, { computations, activations, reuse: { dir: mkdtempSync(join(tmpdir(), 'stowage-kit-anew-')), settings: old.settings } });
      const refused = await anew.run({ computation: 'carts', id: 'c1', completedAt: '2026-11-23T10:00:00Z' }, [{ userId: 'u1', entityContext: { cart_id: 'k1' } }]);
      expect(refused.writes[0]!.error).toMatch(/^default holds rows of activations written before _stowage_states, by a state from before this one \(this one began since\); this state is .*run `stowage claim wh` first/);
      expect(await anew.rows('carts', ['id'], [], 'wh', 'default')).toHaveLength(1);
      await anew.close();
      rmSync(anew.dir, { recursive: true, force: true });
      // The state that wrote them, upgraded, takes the schema and writes on.
      const back = await Harness.create(dut, { computations, activations, reuse: { dir: old.dir, settings: old.settings } });
      const result = await back.run({ computation: 'carts', id: 'c2', completedAt: '2026-11-24T10:00:00Z' }, [{ userId: 'u2', entityContext: { cart_id: 'k2' } }]);
      expect(result.writes[0]).toMatchObject({ status: 'Success' });
      expect(await back.rows(STATES_TABLE, ['state_dir'], [], 'wh', 'default')).toEqual([{ state_dir: back.stowage.config.stateDir }]);
      await back.close();
    });

    it('lets one of two states that take a new schema at once write it, never both', async () => {
      const h = await Harness.create(dut);
      const settings = h.settings;
      await h.close();
      const writers = await Promise.all(['a', 'b'].map(async (name) => {
        const driver = await dut.destination.connect(settings, { root: h.dir });
        const writer = new TableWriter(driver, dut.destination.dialect, dut.destination.capabilities);
        writer.claimFor({ id: `state-${name}`, dir: `/states/${name}`, warehouse: 'wh' });
        return { driver, writer };
      }));
      // Both find the schema unclaimed, then each takes it: the second finds the first's claim once its own is in.
      for (const { writer } of writers) expect(await writer.claimProblem('engage_race')).toBeUndefined();
      const taken = [];
      for (const { writer } of writers) taken.push(await writer.takeClaim('engage_race').then(() => 'took', (error: Error) => error.message));
      expect(taken[0]).toBe('took');
      expect(taken[1]).toMatch(/^engage_race is written by another Stowage state, kept in \/states\/a /);
      // And at the same moment, where the warehouse lets two sessions try it.
      const raced = await Promise.allSettled(writers.map(({ writer }) => writer.takeClaim('engage_race_2')));
      for (const { driver } of writers) await driver.close();
      expect(raced.filter((t) => t.status === 'fulfilled').length).toBeLessThanOrEqual(1);
      const won = ['state-a'];
      // The second withdrew its claim: the first is not locked out.
      const again = await dut.destination.connect(settings, { root: h.dir });
      const writer = new TableWriter(again, dut.destination.dialect, dut.destination.capabilities);
      writer.claimFor({ id: won[0]!, dir: '/states/again', warehouse: 'wh' });
      await writer.takeClaim('engage_race');
      const q = dut.destination.dialect.quote;
      expect((await again.query(`SELECT ${q('state_id')} FROM ${q('engage_race')}.${q(STATES_TABLE)}`)).map((r) => r.state_id)).toEqual([won[0]]);
      await again.close();
    });

    it("refuses another state's sync before it touches the schema, though it has nothing to load (no users refresh)", async () => {
      const old = await Harness.create(dut, { computations: { ltv: { type: 'trait' } } });
      await old.run({ computation: 'ltv', id: 'r1', completedAt: '2026-11-21T10:00:00Z' }, [{ userId: 'u1', value: 10 }]);
      await old.sync();
      await old.close();
      // users lost: a sync of the state that wrote the schema would rebuild it from identifies.
      await old.execute(`DELETE FROM ${dut.destination.dialect.quote('engage_default')}.${dut.destination.dialect.quote('users')}`);
      const anew = await Harness.create(dut, { computations: { ltv: { type: 'trait' } }, reuse: { dir: mkdtempSync(join(tmpdir(), 'stowage-kit-anew-')), settings: old.settings } });
      const refused = await anew.stowage.sync('wh');
      expect(refused).toMatchObject({ status: 'Failure', rows: {} });
      expect(refused.error).toMatch(/^engage_default is written by another Stowage state/);
      expect(await anew.rows('users', ['id'])).toEqual([]);
      await anew.close();
      rmSync(anew.dir, { recursive: true, force: true });
    });

    it("writes a new state's activations into a space's schema that already holds tables of the user's", async () => {
      const h = await Harness.create(dut, { computations: { carts: { type: 'linked_audience' } }, activations: { a: { computation: 'carts', table: 'carts' } } });
      const q = dut.destination.dialect.quote;
      await h.execute(`CREATE SCHEMA ${q('default')}`);
      await h.execute(`CREATE TABLE ${q('default')}.${q('orders')} (${q('id')} ${dut.destination.dialect.physicalType('bigint')})`);
      await h.execute(`INSERT INTO ${q('default')}.${q('orders')} VALUES (1)`);
      const result = await h.run({ computation: 'carts', id: 'c1', completedAt: '2026-11-23T10:00:00Z' }, [{ userId: 'u1', entityContext: { cart_id: 'k1' } }]);
      expect(result.writes[0]).toMatchObject({ status: 'Success' });
      await h.close();
    });

    it('disables names as given in snake_case, on a warehouse that spells them otherwise (reserved words, long names)', async () => {
      // `order` is `_order` on PostgreSQL, `select` its table `_select`, and a long key is cut to
      // the warehouse's limit: named as DuckDB writes them, they must still be kept out.
      const { name } = dialectNames(dut);
      const long = 'customer_lifetime_value_over_the_last_three_hundred_sixty_five_days_in_euros';
      const disabled = { tables: ['select'], columns: { identifies: ['order', long], order_placed: ['order'] } };
      const h = await Harness.create(dut, { warehouse: { disabled } });
      await h.calls([
        identify('u1', { order: 'secret', [long]: 1, plan: 'pro' }, { messageId: 'i1' }),
        track('u1', 'Select', { x: 1 }, { messageId: 's1' }),
        track('u1', 'Order Placed', { order: 'secret', total: 3 }, { messageId: 'o1' }),
      ]);
      expect(await h.sync()).toMatchObject({ status: 'Success' });
      const identifies = await h.columns('identifies');
      expect(identifies).toContain(name('plan'));
      expect(identifies).not.toContain(name('order'));
      expect(identifies).not.toContain(name(long));
      expect(await h.columns('users')).not.toContain(name('order'));
      expect(await h.columns('order_placed')).not.toContain(name('order'));
      expect(await h.columns(name('select'))).toBeUndefined();
      expect(await h.rows('tracks', ['id'])).toEqual([{ id: 'o1' }, { id: 's1' }]);
      await h.close();
    });

    it("keeps the values of a column disabled later in a user's users row, when a later sync rewrites it", async () => {
      const { name } = dialectNames(dut);
      const h = await Harness.create(dut);
      await h.calls([identify('u1', { visits: 1, ltv: 10, plan: 'free' }, { messageId: 'i1' }), identify('u2', { visits: 2, ltv: 20, plan: 'free' }, { messageId: 'i2' })]);
      await h.sync();
      await h.close();
      // visits disabled on users alone, ltv on identifies (and so on users): u1 changes plan.
      const disabled = { columns: { users: ['visits'], identifies: ['ltv'] } };
      const later = await Harness.create(dut, { warehouse: { disabled }, reuse: { dir: h.dir, settings: h.settings } });
      await later.calls([identify('u1', { plan: 'pro', visits: 5, ltv: 50 }, { messageId: 'i3' })]);
      expect(await later.sync()).toMatchObject({ status: 'Success' });
      const [visits, ltv, plan] = [name('visits'), name('ltv'), name('plan')];
      expect(await later.rows('users', ['id', visits, ltv, plan], ['id'])).toEqual([
        { id: 'u1', [visits]: 1, [ltv]: 10, [plan]: 'pro' },
        { id: 'u2', [visits]: 2, [ltv]: 20, [plan]: 'free' },
      ]);
      await later.close();
    });

    it('leaves a disabled standard column out of users', async () => {
      const h = await Harness.create(dut, { warehouse: { disabled: { columns: { users: ['uuid_ts'] } } } });
      await h.calls([identify('u1', { a: 1 })]);
      await h.sync();
      expect(await h.columns('users')).toEqual(['id', 'user_id', 'received_at', 'a']);
      expect(await h.columns('identifies')).toContain('uuid_ts');
      await h.close();
    });

    it('sends the current state again, and says so, to a schema that lost its tables after the log let go of the calls they held', async () => {
      const computations = { vip: { type: 'audience', warehouses: { wh: {} } } };
      const h = await Harness.create(dut, { computations });
      await h.run({ computation: 'vip', id: 'r1', completedAt: '2026-11-22T10:00:00Z' }, [{ userId: 'u1' }, { userId: 'u2' }]);
      await h.sync();
      // The log moves on to a new segment (it does at 64 MB), and the next sync prunes the one loaded.
      const logDir = join(h.dir, '.stowage', 'log', 'wh', 'default');
      writeFileSync(join(logDir, '0000000001.ndjson'), '');
      await h.run({ computation: 'vip', id: 'r2', completedAt: '2026-11-23T10:00:00Z' }, [{ userId: 'u1' }, { userId: 'u3' }]);
      await h.sync();
      expect(readdirSync(logDir).filter((f) => f.endsWith('.ndjson'))).toEqual(['0000000001.ndjson']);
      // The warehouse is pointed at a new database, or its schema dropped: what is left of the log is r2 alone.
      await h.execute('DROP SCHEMA engage_default CASCADE');
      const record = await h.sync();
      expect(record.status).toBe('Success');
      expect(record.notices.join('\n')).toMatch(/engage_default holds no record of the calls loaded into it before .* the current state of every computation of space "default" was sent again/);
      expect(await h.rows('users', ['id', 'vip'], ['id'])).toEqual([{ id: 'u1', vip: true }, { id: 'u2', vip: false }, { id: 'u3', vip: true }]);
      await h.close();
    });

    it("sends the current state again, and says so, where this state's call log was deleted by hand before its calls were loaded", async () => {
      const computations = { vip: { type: 'audience', warehouses: { wh: {} } } };
      const h = await Harness.create(dut, { computations });
      await h.run({ computation: 'vip', id: 'r1', completedAt: '2026-11-22T10:00:00Z' }, [{ userId: 'u1' }, { userId: 'u2' }]);
      await h.sync();
      // u3 enters, and u2 leaves; the log is deleted (taken for a folder of debug logs) before a sync loads it.
      await h.run({ computation: 'vip', id: 'r2', completedAt: '2026-11-23T10:00:00Z' }, [{ userId: 'u1' }, { userId: 'u3' }]);
      rmSync(join(h.dir, '.stowage', 'log'), { recursive: true });
      const record = await h.sync();
      expect(record.status).toBe('Success');
      expect(record.notices.join('\n')).toMatch(/this state's call log for warehouse "wh" and space "default" began anew \(.*log\/wh\/default deleted\), while engage_default's ledger loaded another one: the calls it held that no sync loaded are gone: the current state of every computation of space "default" was sent again/);
      expect(await h.rows('users', ['id', 'vip'], ['id'])).toEqual([{ id: 'u1', vip: true }, { id: 'u2', vip: false }, { id: 'u3', vip: true }]);
      // Once: the ledger now holds the new log's cursor.
      expect(await h.sync()).toMatchObject({ status: 'Success', calls: 0, notices: [] });
      await h.close();
    });

    it('tells a deleted call log however old the sync that loaded it: its record set aside in an older generation of the history', async () => {
      const computations = { vip: { type: 'audience', warehouses: { wh: {} } } };
      const h = await Harness.create(dut, { computations });
      await h.run({ computation: 'vip', id: 'r1', completedAt: '2026-11-22T10:00:00Z' }, [{ userId: 'u1' }, { userId: 'u2' }]);
      await h.sync();
      // The history grew past two generations since (a busy state): the sync's record is in the oldest.
      const state = join(h.dir, '.stowage');
      renameSync(join(state, 'history.ndjson'), join(state, 'history-0000000001.ndjson'));
      for (const name of ['history-0000000002.ndjson', 'history-0000000003.ndjson', 'history.ndjson']) writeFileSync(join(state, name), '');
      await h.run({ computation: 'vip', id: 'r2', completedAt: '2026-11-23T10:00:00Z' }, [{ userId: 'u1' }, { userId: 'u3' }]);
      rmSync(join(state, 'log'), { recursive: true });
      const record = await h.sync();
      expect(record.notices.join('\n')).toMatch(/this state's call log for warehouse "wh" and space "default" began anew/);
      expect(await h.rows('users', ['id', 'vip'], ['id'])).toEqual([{ id: 'u1', vip: true }, { id: 'u2', vip: false }, { id: 'u3', vip: true }]);
      await h.close();
    });

    it('sends a computation connected to a warehouse later its current members first, then its changes', async () => {
      const h = await Harness.create(dut, { computations: { vip: { type: 'audience', warehouses: { wh: {} } } }, more: ['b'] });
      await h.run({ computation: 'vip', id: 'v1', completedAt: '2026-11-21T10:00:00Z' }, [{ userId: 'u1' }, { userId: 'u2' }]);
      await h.run({ computation: 'vip', id: 'v2', completedAt: '2026-11-22T10:00:00Z' }, [{ userId: 'u1' }, { userId: 'u3' }]);
      await h.sync('b');
      await h.close();
      // vip is connected to b too: b holds none of its members yet.
      const later = await Harness.create(dut, { computations: { vip: { type: 'audience', warehouses: { wh: {}, b: {} } } }, reuse: { dir: h.dir, settings: h.settings }, more: ['b'] });
      await later.run({ computation: 'vip', id: 'v3', completedAt: '2026-11-23T10:00:00Z' }, [{ userId: 'u1' }, { userId: 'u3' }, { userId: 'u4' }]);
      await later.sync('b');
      expect(await later.rows('users', ['id', 'vip'], ['id'], 'b')).toEqual([{ id: 'u1', vip: true }, { id: 'u2', vip: false }, { id: 'u3', vip: true }, { id: 'u4', vip: true }]);
      await later.close();
    });

    // Whether a change had reached the warehouse was told by its run's completion time alone: a run
    // it missed that completed at the same moment as the last it received (runs stamped to the
    // second, two deltas in one) was taken for received, and its entries and exits never reached
    // `tracks` or the event tables, without a word.
    it('sends a warehouse connected again the track calls of a run it missed that completed at the same moment as the last it received', async () => {
      const at = '2026-11-21T10:00:00.000Z';
      const both = { vip: { type: 'audience', warehouses: { wh: {}, b: {} } } };
      const h = await Harness.create(dut, { computations: both, more: ['b'] });
      await h.run({ computation: 'vip', id: 'v1', completedAt: at }, [{ userId: 'u1' }]);
      await h.sync('b');
      await h.close();
      const apart = await Harness.create(dut, { computations: { vip: { type: 'audience', warehouses: { wh: {} } } }, reuse: { dir: h.dir, settings: h.settings }, more: ['b'] });
      await apart.run({ computation: 'vip', id: 'v2', completedAt: at }, [{ userId: 'u2' }]);
      await apart.close();
      const again = await Harness.create(dut, { computations: both, reuse: { dir: h.dir, settings: h.settings }, more: ['b'] });
      await again.sync('b');
      expect(await again.rows('audience_entered', ['user_id'], ['user_id'], 'b')).toEqual([{ user_id: 'u1' }, { user_id: 'u2' }]);
      expect(await again.rows('audience_exited', ['user_id'], ['user_id'], 'b')).toEqual([{ user_id: 'u1' }]);
      expect(await again.rows('users', ['id', 'vip'], ['id'], 'b')).toEqual([{ id: 'u1', vip: false }, { id: 'u2', vip: true }]);
      // v1's entry, received before, is not sent again.
      expect((await again.sync('b')).calls).toBe(0);
      await again.close();
    });

    it("sends a computation connected later to a warehouse that was backfilled without it its track calls too", async () => {
      const h = await Harness.create(dut, { computations: { vip: { type: 'audience', warehouses: { wh: {} } } } });
      await h.run({ computation: 'vip', id: 'v1', completedAt: '2026-11-21T10:00:00Z' }, [{ userId: 'u1' }, { userId: 'u2' }]);
      await h.close();
      // b is added: its backfill gives it vip's state for users, as identify calls alone (vip is not connected to it).
      const added = await Harness.create(dut, { computations: { vip: { type: 'audience', warehouses: { wh: {} } } }, reuse: { dir: h.dir, settings: h.settings }, more: ['b'] });
      await added.sync('b');
      expect(await added.rows('users', ['id', 'vip'], ['id'], 'b')).toEqual([{ id: 'u1', vip: true }, { id: 'u2', vip: true }]);
      await added.close();
      const connected = await Harness.create(dut, { computations: { vip: { type: 'audience', warehouses: { wh: {}, b: {} } } }, reuse: { dir: h.dir, settings: h.settings }, more: ['b'] });
      await connected.sync('b');
      expect(await connected.rows('audience_entered', ['user_id'], ['user_id'], 'b')).toEqual([{ user_id: 'u1' }, { user_id: 'u2' }]);
      expect((await connected.sync('b')).calls).toBe(0);
      await connected.close();
    });

    it('sends every warehouse the current state once when the runs each received were never recorded (an install from before), loading nothing twice', async () => {
      const h = await Harness.create(dut, { computations: { vip: { type: 'audience', warehouses: { wh: {} } } }, more: ['b'] });
      await h.run({ computation: 'vip', id: 'v1', completedAt: '2026-11-21T10:00:00Z' }, [{ userId: 'u1' }, { userId: 'u2' }]);
      await h.run({ computation: 'vip', id: 'v2', completedAt: '2026-11-22T10:00:00Z' }, [{ userId: 'u1' }, { userId: 'u3' }]);
      await h.sync('wh');
      await h.sync('b');
      await h.close();
      // As an earlier version left the state folder: no record of the runs each warehouse received.
      rmSync(join(h.stowage.config.stateDir, 'runs'), { recursive: true, force: true });
      const later = await Harness.create(dut, { computations: { vip: { type: 'audience', warehouses: { wh: {}, b: {}, c: {} } } }, reuse: { dir: h.dir, settings: h.settings }, more: ['b', 'c'] });
      // A new warehouse synced first gets the whole state once, and is not sent it again.
      expect((await later.sync('c')).notices.join('\n')).not.toMatch(/kept no record/);
      expect(await later.rows('users', ['id', 'vip'], ['id'], 'c')).toEqual([{ id: 'u1', vip: true }, { id: 'u2', vip: false }, { id: 'u3', vip: true }]);
      expect((await later.sync('c')).calls).toBe(0);
      const b = await later.sync('b');
      expect(b.notices.join('\n')).toMatch(/space "default" kept no record yet of the runs each warehouse received \(an install from before they were kept\): the current state of vip was sent again once/);
      await later.run({ computation: 'vip', id: 'v3', completedAt: '2026-11-23T10:00:00Z' }, [{ userId: 'u1' }, { userId: 'u3' }, { userId: 'u4' }]);
      await later.sync('b');
      expect(await later.rows('users', ['id', 'vip'], ['id'], 'b')).toEqual([{ id: 'u1', vip: true }, { id: 'u2', vip: false }, { id: 'u3', vip: true }, { id: 'u4', vip: true }]);
      const wh = await later.sync('wh');
      expect(wh.duplicates).toBeGreaterThan(0);
      expect(await later.rows('identifies', ['id'], ['id'])).toHaveLength(new Set((await later.rows('identifies', ['id'], ['id'])).map((r) => r.id)).size);
      expect(await later.rows('users', ['id', 'vip'], ['id'])).toEqual([{ id: 'u1', vip: true }, { id: 'u2', vip: false }, { id: 'u3', vip: true }, { id: 'u4', vip: true }]);
      // Once: nothing is sent again.
      expect((await later.sync('b')).calls).toBe(0);
      expect((await later.sync('wh')).calls).toBe(0);
      await later.close();
    });

    it('says so when a run, not a sync, is the first to send the current state again after an install from before run marks', async () => {
      const h = await Harness.create(dut, { computations: { vip: { type: 'audience', warehouses: { wh: {}, b: {} } } }, more: ['b'] });
      await h.run({ computation: 'vip', id: 'v1', completedAt: '2026-11-21T10:00:00Z' }, [{ userId: 'u1' }, { userId: 'u2' }]);
      await h.sync('wh');
      await h.sync('b');
      await h.close();
      rmSync(join(h.stowage.config.stateDir, 'runs'), { recursive: true, force: true });
      const later = await Harness.create(dut, { computations: { vip: { type: 'audience', warehouses: { wh: {}, b: {} } } }, reuse: { dir: h.dir, settings: h.settings }, more: ['b'] });
      const run = await later.run({ computation: 'vip', id: 'v2', completedAt: '2026-11-22T10:00:00Z' }, [{ userId: 'u1' }, { userId: 'u3' }]);
      for (const warehouse of ['wh', 'b']) {
        expect(run.notices.join('\n')).toContain(`warehouse "${warehouse}": space "default" kept no record yet of the runs each warehouse received (an install from before they were kept): the current state of vip was sent again once; calls already loaded are skipped as duplicates (logged for its next sync)`);
      }
      // Told once: the sync that loads those calls has nothing left to catch up, and loads nothing twice.
      const b = await later.sync('b');
      expect(b.notices.join('\n')).not.toMatch(/kept no record/);
      expect(await later.rows('users', ['id', 'vip'], ['id'], 'b')).toEqual([{ id: 'u1', vip: true }, { id: 'u2', vip: false }, { id: 'u3', vip: true }]);
      expect(await later.rows('identifies', ['id'], ['id'], 'b')).toHaveLength(new Set((await later.rows('identifies', ['id'], ['id'], 'b')).map((r) => r.id)).size);
      await later.close();
    });

    it('sends a warehouse taken out of the configuration and put back the current state of what changed meanwhile', async () => {
      const computations = { vip: { type: 'audience' }, ltv: { type: 'trait' } };
      const h = await Harness.create(dut, { computations, more: ['b'] });
      await h.run({ computation: 'vip', id: 'v1', completedAt: '2026-11-21T10:00:00Z' }, [{ userId: 'u1' }, { userId: 'u2' }]);
      await h.run({ computation: 'ltv', id: 'l1', completedAt: '2026-11-21T10:00:00Z' }, [{ userId: 'u1', value: 20 }]);
      await h.sync('b');
      await h.close();
      // Without b: u2 exits, u1's value changes.
      const without = await Harness.create(dut, { computations, reuse: { dir: h.dir, settings: h.settings } });
      await without.run({ computation: 'vip', id: 'v2', completedAt: '2026-11-22T10:00:00Z' }, [{ userId: 'u1' }]);
      await without.run({ computation: 'ltv', id: 'l2', completedAt: '2026-11-22T10:00:00Z' }, [{ userId: 'u1', value: 25 }]);
      await without.close();
      const back = await Harness.create(dut, { computations, reuse: { dir: h.dir, settings: h.settings }, more: ['b'] });
      await back.sync('b');
      expect(await back.rows('users', ['id', 'vip', 'ltv'], ['id'], 'b')).toEqual([{ id: 'u1', vip: true, ltv: 25 }, { id: 'u2', vip: false, ltv: null }]);
      // Once caught up, nothing is sent again.
      expect((await back.sync('b')).calls).toBe(0);
      await back.close();
    });

    it('backfills a newly added warehouse with the current state of every computation of the space', async () => {
      const computations = { vip: { type: 'audience', warehouses: { wh: {} } }, ltv: { type: 'trait', warehouses: { wh: {} } } };
      const h = await Harness.create(dut, { computations });
      await h.run({ computation: 'vip', id: 'r1', completedAt: '2026-11-22T10:00:00Z' }, [{ userId: 'u1' }, { userId: 'u2' }]);
      await h.run({ computation: 'vip', id: 'r2', completedAt: '2026-11-23T10:00:00Z' }, [{ userId: 'u1' }]);
      await h.run({ computation: 'ltv', id: 'r3', completedAt: '2026-11-23T10:00:00Z' }, [{ userId: 'u2', value: 5 }]);
      await h.sync();
      await h.close();

      // A second warehouse joins the space; no computation is connected to it.
      const later = await Harness.create(dut, { computations, reuse: { dir: h.dir, settings: h.settings }, more: ['added'] });
      const record = await later.sync('added');
      expect(record.calls).toBe(3);
      expect(await later.rows('users', ['id', 'vip', 'ltv'], ['id'], 'added')).toEqual([{ id: 'u1', vip: true, ltv: null }, { id: 'u2', vip: false, ltv: 5 }]);
      // The first warehouse is not backfilled again.
      expect((await later.sync('wh')).calls).toBe(0);
      await later.close();
    });
  });
}

/** A profile state as a version before epochs left it (`state_epoch` is what this version adds). */
async function forgetEpoch(file: string): Promise<void> {
  const instance = await DuckDBInstance.create(file);
  const db = await instance.connect();
  await db.run('DROP TABLE state_epoch');
  db.closeSync();
  instance.closeSync();
}
