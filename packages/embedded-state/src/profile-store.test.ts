import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, describe, expect, it } from 'vitest';
import { JsonText, jsonValue, StowageError, type Change, type ComputationKind, type RunHeader, type RunProfile } from '@stowage/core';
import { EmbeddedProfileStore } from './profile-store.js';

const profile = (userId: string, extra: Partial<RunProfile> = {}): RunProfile => ({ profileId: userId, userId, anonymousIds: [], emails: [], mobileIds: [], ...extra });

async function apply(store: EmbeddedProfileStore, kind: ComputationKind, header: Partial<RunHeader>, profiles: RunProfile[]) {
  const changes: Change[] = [];
  const outcome = await store.applyRun(
    { space: 's', computation: 'c', id: 'r', kind: 'snapshot', completedAt: '2026-11-23T10:00:00.000Z', ...header },
    kind,
    (async function* () {
      yield profiles;
    })(),
    { emit: async (batch) => void changes.push(...batch), settle: async () => undefined },
  );
  // Changes come in no particular order: by profile, a profile's own change before its entities'.
  changes.sort(byProfile);
  return { outcome, changes: changes.map((c) => [c.profile.profileId, c.kind, c.value, c.version]), raw: changes };
}

const byProfile = (a: Change, b: Change) =>
  a.profile.profileId.localeCompare(b.profile.profileId) || (a.entityId ?? '').localeCompare(b.entityId ?? '');

/** A linked audience's changes: profile, kind, entity, context, version. */
async function applyLinked(store: EmbeddedProfileStore, header: Partial<RunHeader>, profiles: RunProfile[]) {
  const { raw } = await apply(store, 'linked_audience', header, profiles);
  return raw.map((c) => [c.profile.profileId, c.kind, c.entityId ?? null, jsonValue(c.entityContext), c.version]);
}

/** Runs a statement on a closed store's state.duckdb, as an older version, or a hand, left it. */
async function onStateFile(dir: string, sql: string): Promise<void> {
  const instance = await DuckDBInstance.create(join(dir, 'state.duckdb'));
  const db = await instance.connect();
  try {
    await db.run(sql);
  } finally {
    db.closeSync();
    instance.closeSync();
  }
}

const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'state-'));
  dirs.push(dir);
  return dir;
};
const open = () => EmbeddedProfileStore.open(tempDir());
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

describe('EmbeddedProfileStore', () => {
  it("stamps a run sent again with the completion time of the attempt that first handed its changes on, and only such an attempt's", async () => {
    const store = await open();
    const at = (hour: number) => `2026-11-23T${String(hour).padStart(2, '0')}:00:00.000Z`;
    const failing = { emit: async () => Promise.reject(new Error('the warehouse went away')), settle: async () => undefined };
    const run = (completedAt: string, sink: Parameters<EmbeddedProfileStore['applyRun']>[3]) =>
      store.applyRun({ space: 's', computation: 'c', id: 'r1', kind: 'snapshot', completedAt }, 'audience', (async function* () { yield [profile('a')]; })(), sink);
    // Refused before any change was handed on (a bad identifier): nothing fixed its time.
    await expect(store.applyRun({ space: 's', computation: 'c', id: 'r1', kind: 'snapshot', completedAt: at(9) }, 'audience', (async function* () { yield [profile('bad\ud800')]; })(), failing)).rejects.toThrow(/cannot be staged/);
    // Its changes handed on, then failed: its time, 10:00, is the run's from now on.
    await expect(run(at(10), failing)).rejects.toThrow('the warehouse went away');
    const changes: Change[] = [];
    const outcome = await run(at(11), { emit: async (batch) => void changes.push(...batch), settle: async () => undefined });
    expect(outcome).toMatchObject({ applied: true, changes: 1 });
    expect(changes.map((c) => [c.profile.profileId, c.kind, c.at])).toEqual([['a', 'entered', at(10)]]);
    // Applied, the run is done: sent again, it is not applied again, whatever its time.
    expect(await run(at(12), failing)).toMatchObject({ applied: false });
    // The next run's time is its own.
    const next: Change[] = [];
    await store.applyRun({ space: 's', computation: 'c', id: 'r2', kind: 'snapshot', completedAt: at(13) }, 'audience', (async function* () { yield [profile('b')]; })(), { emit: async (batch) => void next.push(...batch), settle: async () => undefined });
    expect(next.map((c) => [c.profile.profileId, c.kind, c.at]).sort()).toEqual([['a', 'exited', at(13)], ['b', 'entered', at(13)]]);
    await store.close();
  });

  it('diffs audience snapshots: members enter, missing members exit, unchanged members send nothing', async () => {
    const store = await open();
    expect((await apply(store, 'audience', { id: 'r1' }, [profile('a'), profile('b')])).changes).toEqual([['a', 'entered', true, 1], ['b', 'entered', true, 1]]);
    expect((await apply(store, 'audience', { id: 'r2' }, [profile('a'), profile('c')])).changes).toEqual([['b', 'exited', false, 2], ['c', 'entered', true, 1]]);
    expect((await apply(store, 'audience', { id: 'r3' }, [profile('a'), profile('b'), profile('c')])).changes).toEqual([['b', 'entered', true, 3]]);
    await store.close();
  });

  it('reads a snapshot listing with op "exit" as no member, as a delta does: it neither enters nor stays in', async () => {
    const store = await open();
    await apply(store, 'audience', { id: 'r1' }, [profile('a'), profile('b')]);
    const { changes } = await apply(store, 'audience', { id: 'r2' }, [profile('a', { op: 'exit' }), profile('b', { op: 'enter' }), profile('c', { op: 'exit' })]);
    expect(changes).toEqual([['a', 'exited', false, 2]]);
    await store.close();
  });

  it('applies audience deltas: enter and exit only change what they change', async () => {
    const store = await open();
    await apply(store, 'audience', { id: 'r1', kind: 'delta' }, [profile('a', { op: 'enter' })]);
    const { changes } = await apply(store, 'audience', { id: 'r2', kind: 'delta' }, [profile('a', { op: 'enter' }), profile('b', { op: 'exit' }), profile('c', { op: 'enter' })]);
    expect(changes).toEqual([['c', 'entered', true, 1]]);
    expect((await apply(store, 'audience', { id: 'r3', kind: 'delta' }, [profile('a', { op: 'exit' })])).changes).toEqual([['a', 'exited', false, 2]]);
    await store.close();
  });

  it('diffs trait values: only changed values produce changes; a missing value removes state silently', async () => {
    const store = await open();
    await apply(store, 'trait', { id: 'r1' }, [profile('a', { value: 450 }), profile('b', { value: 'x' })]);
    const { changes } = await apply(store, 'trait', { id: 'r2' }, [profile('a', { value: 450 }), profile('c', { value: { nested: [1] } })]);
    expect(changes).toEqual([['c', 'changed', { nested: [1] }, 1]]);
    expect((await apply(store, 'trait', { id: 'r3' }, [profile('b', { value: 'x' })])).changes).toEqual([['b', 'changed', 'x', 3]]);
    await store.close();
  });

  it('takes an object value whose keys come in another order for the same value', async () => {
    const store = await open();
    const value = JSON.parse('{"b":{"y":2,"x":1},"a":[{"d":1,"c":2},0],"__proto__":{"p":1}}') as Record<string, unknown>;
    await apply(store, 'trait', { id: 'r1' }, [profile('a', { value })]);
    const reordered = JSON.parse('{"__proto__":{"p":1},"a":[{"c":2,"d":1},0],"b":{"x":1,"y":2}}') as Record<string, unknown>;
    expect((await apply(store, 'trait', { id: 'r2' }, [profile('a', { value: reordered })])).changes).toEqual([]);
    // Arrays keep their order: another order is another value.
    const swapped = JSON.parse('{"__proto__":{"p":1},"a":[0,{"c":2,"d":1}],"b":{"x":1,"y":2}}') as Record<string, unknown>;
    const [changed] = (await apply(store, 'trait', { id: 'r3' }, [profile('a', { value: swapped })])).changes;
    expect(changed?.[1]).toBe('changed');
    await store.close();
  });

  it('reports a run applied once committed, though its pins could not be cleared after', async () => {
    const store = await open();
    // The pins live on a connection of their own; its delete, after the run's COMMIT, fails.
    const pins = (store as unknown as { pins: { run: (sql: string, params?: unknown[]) => Promise<unknown> } }).pins;
    const run = pins.run.bind(pins);
    pins.run = async (sql, params) => (/^DELETE FROM run_attempts/.test(sql) ? Promise.reject(new Error('the disk is full')) : run(sql, params));
    const first = await apply(store, 'audience', { id: 'r1' }, [profile('a')]);
    expect(first.outcome).toMatchObject({ applied: true, changes: 1 });
    // The state moved on all the same: the run is not applied again, and the next one diffs against it.
    expect((await apply(store, 'audience', { id: 'r1' }, [profile('a')])).outcome.applied).toBe(false);
    expect((await apply(store, 'audience', { id: 'r2', completedAt: '2026-11-24T10:00:00.000Z' }, [profile('a')])).changes).toEqual([]);
    await store.close();
  });

  it("tells the sink whether a run's message ids can be in a table yet: not once an attempt of it handed changes on, nor while another run's is unapplied", async () => {
    const store = await open();
    const told: Array<[string, readonly string[] | undefined, boolean | undefined]> = [];
    const attempt = (id: string, hour: number, settle: () => Promise<void> = async () => undefined, options = {}) =>
      store.applyRun({ space: 's', computation: 'c', id, kind: 'snapshot', completedAt: `2026-11-23T${String(hour).padStart(2, '0')}:00:00.000Z` }, 'audience', (async function* () { yield [profile(id)]; })(), {
        emit: async () => undefined,
        settle,
        alsoAt: (times, unseen) => void told.push([id, times, unseen]),
      }, options);
    const fail = async () => Promise.reject(new Error('the warehouse went away'));
    await expect(attempt('r1', 1, fail)).rejects.toThrow('the warehouse went away');
    await attempt('r1', 1);
    await attempt('r2', 2);
    await expect(attempt('r3', 3, fail)).rejects.toThrow('the warehouse went away');
    await attempt('r4', 4, undefined, { abandonInterrupted: true });
    expect(told).toEqual([
      ['r1', [], true],
      ['r1', [], false],
      ['r2', [], true],
      ['r3', [], true],
      ['r4', ['2026-11-23T03:00:00.000Z'], false],
    ]);
    await store.close();
  });

  it('is one engine for a folder however it is reached (a symlink): runs applied through either are kept', async () => {
    const dir = tempDir();
    const link = join(tempDir(), 'link');
    symlinkSync(dir, link);
    const direct = await EmbeddedProfileStore.open(dir);
    const linked = await EmbeddedProfileStore.open(link);
    await apply(direct, 'audience', { id: 'r1' }, [profile('a')]);
    await apply(linked, 'audience', { id: 'r2', completedAt: '2026-11-23T11:00:00.000Z' }, [profile('a'), profile('b')]);
    await linked.close();
    await direct.close();
    const again = await EmbeddedProfileStore.open(dir);
    expect((await apply(again, 'audience', { id: 'r3', completedAt: '2026-11-23T12:00:00.000Z' }, [profile('a'), profile('b')])).changes).toEqual([]);
    await again.close();
  });

  it('makes again a state file left empty (a command out of disk as it made it), which DuckDB refused on every open', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'state.duckdb'), '');
    const store = await EmbeddedProfileStore.open(dir);
    expect((await apply(store, 'audience', { id: 'r1' }, [profile('a')])).changes).toHaveLength(1);
    await store.close();
    // A file that holds anything is never taken for one left empty.
    writeFileSync(join(dir, 'state.duckdb'), 'not a database');
    await expect(EmbeddedProfileStore.open(dir)).rejects.toThrow(/Cannot open the profile state in .*not a valid DuckDB database file/);
    expect(readFileSync(join(dir, 'state.duckdb'), 'utf8')).toBe('not a database');
  });

  it("removes the spill files a process killed past the state's memory limit left beside it, as it opens the state", async () => {
    const dir = tempDir();
    let store = await EmbeddedProfileStore.open(dir);
    await apply(store, 'audience', { id: 'r1' }, [profile('a')]);
    await store.close();
    // What DuckDB leaves in state.duckdb.tmp/ when its process is killed while a run spills
    // (a run of a million profiles does as it is staged): removed only when it closes.
    const spills = join(dir, 'state.duckdb.tmp');
    mkdirSync(spills);
    for (const name of ['duckdb_temp_storage_DEFAULT-0.tmp', 'duckdb_temp_storage_S32K-0.tmp']) writeFileSync(join(spills, name), Buffer.alloc(64 * 1024));
    store = await EmbeddedProfileStore.open(dir);
    expect(existsSync(spills)).toBe(false);
    expect((await apply(store, 'audience', { id: 'r2', completedAt: '2026-11-23T11:00:00.000Z' }, [profile('b')])).changes).toHaveLength(2);
    await store.close();
    // A file of anyone else's there is left alone, and so is the folder holding it.
    mkdirSync(spills);
    writeFileSync(join(spills, 'duckdb_temp_storage_DEFAULT-0.tmp'), 'spilled');
    writeFileSync(join(spills, 'notes.txt'), 'mine');
    store = await EmbeddedProfileStore.open(dir);
    await store.close();
    expect(readdirSync(spills)).toEqual(['notes.txt']);
  });

  it('applies a run id once; a re-sent run changes nothing', async () => {
    const store = await open();
    await apply(store, 'audience', { id: 'r1' }, [profile('a'), profile('b')]);
    // In another order, and at another time: the same run.
    const again = await apply(store, 'audience', { id: 'r1', completedAt: '2026-11-25T10:00:00.000Z' }, [profile('b'), profile('a')]);
    expect(again.outcome.applied).toBe(false);
    expect(again.changes).toEqual([]);
    await store.close();
  });

  // An id used again for another run (a fixed id, an export done again): it was taken for the run
  // applied, and its content dropped without a word.
  it('refuses another run sent under the id of one applied, and applies nothing of it', async () => {
    const store = await open();
    await apply(store, 'audience', { id: 'r1' }, [profile('a'), profile('b')]);
    await expect(apply(store, 'audience', { id: 'r1' }, [profile('a'), profile('c')])).rejects.toThrow(
      /^run r1 of s\/c was applied at \S+, and what is sent now under its id is another run \(the run applied held as many profiles, 2, but not the same\): a run id names one run's content\. Send this run under an id of its own; nothing of it was applied$/,
    );
    await expect(apply(store, 'audience', { id: 'r1' }, [profile('a')])).rejects.toThrow('the run applied held 2 profiles, this one 1');
    // Nothing of it was taken: under an id of its own, c enters and b exits.
    const own = await apply(store, 'audience', { id: 'r2', completedAt: '2026-11-24T10:00:00.000Z' }, [profile('a'), profile('c')]);
    expect(own.changes.map((c) => [c[0], c[1]]).sort()).toEqual([['b', 'exited'], ['c', 'entered']]);
    await store.close();
  });

  // The same profiles sent as a delta under a snapshot's id were told "as many profiles, but not
  // the same": the profiles were the same, the kind was not.
  it('says a run sent again under its id as another kind differs by its kind, not by its profiles', async () => {
    const store = await open();
    await apply(store, 'audience', { id: 'r1' }, [profile('a'), profile('b')]);
    await expect(apply(store, 'audience', { id: 'r1', kind: 'delta' }, [profile('a'), profile('b')])).rejects.toThrow(
      /^run r1 of s\/c was applied at \S+, and what is sent now under its id is another run \(the run applied was a snapshot, this one a delta\): a run id names one run's content/,
    );
    await store.close();
  });

  it("refuses a library caller's profile of the wrong shape with a RunFormatError naming the field, applying nothing", async () => {
    const store = await open();
    const cyclic = () => {
      const o: Record<string, unknown> = { a: 1 };
      o.self = o;
      return o;
    };
    const attempt = (profiles: unknown[]) => apply(store, 'linked_audience', { id: 'bad' }, profiles as RunProfile[]);
    const cases: Array<[unknown, string]> = [
      [{ userId: 'u1' }, 'profile 1 of the run has no profileId (a non-empty string'],
      [null, 'profile 1 of the run is not an object'],
      [{ profileId: 'p1', userId: 7 }, 'profile "p1": userId must be a string or null'],
      [{ profileId: 'p1', anonymousIds: 'a1' }, 'profile "p1": anonymousIds must be an array of strings'],
      [{ profileId: 'p1', mobileIds: [{ type: 'ios' }] }, 'profile "p1": mobileIds must be an array of { id, type }'],
      [{ profileId: 'p1', entityContext: 'cart' }, 'profile "p1": entityContext must be an object'],
      [{ profileId: 'p1', entities: { id: 'x' } }, 'profile "p1": entities must be an array of { id, context }'],
      [{ profileId: 'p1', entities: [{ context: {} }] }, 'profile "p1": entities[0] needs an "id" (a non-empty string)'],
      [{ profileId: 'p1', entities: [{ id: 'x' }, { id: '' }] }, 'profile "p1": entities[1] needs an "id" (a non-empty string)'],
      // A misspelt exit would be an entry; a function or a symbol, written as JSON, a removed value.
      [{ profileId: 'p1', op: 'exitt' }, 'profile "p1": op must be "enter" or "exit", not "exitt"'],
      [{ profileId: 'p1', op: true }, 'profile "p1": op must be "enter" or "exit", not a boolean'],
      [{ profileId: 'p1', value: () => 5 }, 'profile "p1": value must be a JSON value (a string, a number, a boolean, an object, an array or null), not a function'],
      [{ profileId: 'p1', value: Symbol('s') }, 'profile "p1": value must be a JSON value (a string, a number, a boolean, an object, an array or null), not a symbol'],
      [{ profileId: 'p1', entities: [{ id: 'x', context: { v: 1 } }, { id: 'x', context: { v: 2 } }] }, 'profile "p1": entities[1]: the id "x" is listed twice'],
      // Values JSON cannot write: said with the profile and the field, not as a bare TypeError.
      [{ profileId: 'p1', entityContext: { big: 10n } }, 'profile "p1": entityContext cannot be written as JSON (Do not know how to serialize a BigInt)'],
      [{ profileId: 'p1', entityContext: cyclic() }, 'profile "p1": entityContext cannot be written as JSON (Converting circular structure to JSON'],
      // A context handed as its text: JSON text of an object.
      [{ profileId: 'p1', entityContext: new JsonText('{"cart_id":') }, 'profile "p1": entityContext is not JSON text ('],
      [{ profileId: 'p1', entityContext: new JsonText('[1]') }, 'profile "p1": entityContext must be an object; nothing of this run was applied'],
      [{ profileId: 'p1', entityContext: new JsonText('{"x": 1e400}') }, 'profile "p1": entityContext.x is a number beyond the range of a double (read as Infinity); send it as a string; nothing of this run was applied'],
      [{ profileId: 'p1', entities: [{ id: 'x', context: { at: 1n } }] }, 'profile "p1": entities[0].context cannot be written as JSON'],
      // Which JSON cannot write, or writes as no object: said, not a bare TypeError deep in the staging.
      [{ profileId: 'p1', entities: [{ id: 'x', context: {} }, { id: 'y', context: () => 1 }] }, 'profile "p1": entities[1].context must be an object'],
      [{ profileId: 'p1', entities: [{ id: 'x', context: 'cart' }] }, 'profile "p1": entities[0].context must be an object'],
      [{ profileId: 'p1', entities: [{ id: 'x', context: new JsonText('{"a":') }] }, 'profile "p1": entities[0].context is not JSON text ('],
      // An object that JSON writes as no object: it was written to entity_context as a JSON string.
      [{ profileId: 'p1', entityContext: new Date(0) }, 'profile "p1": entityContext must be an object, and written as JSON it is "1970-01-01T00:00:00.000Z" (a Date)'],
      [{ profileId: 'p1', entities: [{ id: 'x', context: { toJSON: () => 'cart' } }] }, 'profile "p1": entities[0].context must be an object, and written as JSON it is "cart"'],
      [{ profileId: 'p1', entityContext: { toJSON: () => undefined } }, 'profile "p1": entityContext must be an object, and written as JSON it is nothing'],
      [{ profileId: 'p1', journeyContext: { n: 2n } }, 'profile "p1": journeyContext cannot be written as JSON'],
      [{ profileId: 'p1', journeyMetadata: new JsonText('{"step":') }, 'profile "p1": journeyMetadata is not JSON text ('],
      [{ profileId: 'p1', value: 3n }, 'profile "p1": value cannot be written as JSON'],
      // A caller's getter or toJSON that throws is the value's too, said with the profile and the field.
      [{ profileId: 'p1', entityContext: { get cart() { throw new Error('boom'); } } }, 'profile "p1": entityContext cannot be written as JSON (boom)'],
      [{ profileId: 'p1', value: { toJSON: () => { throw new Error('no JSON'); } } }, 'profile "p1": value cannot be written as JSON (no JSON)'],
      [{ profileId: 'p1', value: { get n() { throw new Error('boom'); } } }, 'profile "p1": value cannot be written as JSON (boom)'],
      [{ profileId: 'p1', value: cyclic() }, 'profile "p1": value cannot be written as JSON (Converting circular structure to JSON'],
      [{ profileId: 'p1', value: { toJSON: () => new Date(NaN).toISOString() } }, 'profile "p1": value cannot be written as JSON (Invalid time value)'],
    ];
    for (const [bad, message] of cases) {
      const error = await attempt([profile('ok'), bad]).then(() => undefined, (e: unknown) => e as Error);
      expect(error?.name, message).toBe('RunFormatError');
      expect(error?.message).toContain(`A profile of the run cannot be staged: ${message.replace('profile 1 ', 'profile 2 ')}`);
    }
    expect((await apply(store, 'linked_audience', { id: 'good' }, [profile('ok')])).outcome).toMatchObject({ applied: true });
    await store.close();
  });

  it('refuses a run sent again under the id of an interrupted attempt with other content, and takes it alike in another order', async () => {
    const store = await open();
    const header = { space: 's', computation: 'c', id: 'r1', kind: 'snapshot' as const, completedAt: '2026-11-23T10:00:00.000Z' };
    const run = (profiles: RunProfile[], kind: 'snapshot' | 'delta' = 'snapshot') =>
      store.applyRun({ ...header, kind }, 'linked_audience', (async function* () { yield profiles; })(), { emit: async () => undefined, settle: async () => undefined });
    const cart = (id: string, entities?: RunProfile['entities']) => profile(id, { entityContext: { cart_id: `cart_${id}` }, entities });
    const handedOn = [cart('a', [{ id: 'e1', context: { sku: 1 } }, { id: 'e2', context: {} }]), cart('b'), cart('b')];
    // The attempt hands its changes on, then its write fails: the state never takes it.
    await expect(store.applyRun(header, 'linked_audience', (async function* () { yield handedOn; })(), { emit: async () => undefined, settle: async () => Promise.reject(new Error('killed')) })).rejects.toThrow('killed');
    const refusal = /run r1 of s\/c was interrupted after handing changes on .*another run \(the interrupted attempt held (2 profiles, this one 3|as many profiles, 2, but not the same)\).*nothing of run r1 of s\/c was applied/;
    const entities = [{ id: 'e1', context: { sku: 1 } }, { id: 'e2', context: {} }];
    await expect(run([cart('a', entities), cart('c')])).rejects.toThrow(refusal);
    await expect(run([cart('a', [{ id: 'e1', context: { sku: 2 } }, { id: 'e2', context: {} }]), cart('b')])).rejects.toThrow(refusal);
    await expect(run([cart('a', [{ id: 'e1', context: { sku: 1 } }]), cart('b')])).rejects.toThrow(refusal);
    await expect(run([cart('a', entities), cart('b'), cart('c')])).rejects.toThrow(refusal);
    await expect(run([cart('a', entities), profile('b', { entityContext: { cart_id: 'other' } })])).rejects.toThrow(refusal);
    // The same profiles as a delta: told by its kind.
    await expect(run([cart('a', entities), cart('b')], 'delta')).rejects.toThrow('another run (the interrupted attempt was a snapshot, this one a delta)');
    // The same profiles, in another order, a profile's entities too, and with the repeat left out: the same run.
    expect(await run([cart('b'), cart('a', [...entities].reverse())])).toMatchObject({ applied: true, profiles: 2 });
    await store.close();
  });

  it("applies a run sent again after an attempt whose content mark cannot be compared (an earlier version's), saying so", async () => {
    const dir = tempDir();
    let store = await EmbeddedProfileStore.open(dir);
    const header = { space: 's', computation: 'c', id: 'r1', kind: 'snapshot' as const, completedAt: '2026-11-23T10:00:00.000Z' };
    const yielding = (profiles: RunProfile[]) => (async function* () { yield profiles; })();
    await expect(store.applyRun(header, 'linked_audience', yielding([profile('a')]), { emit: async () => undefined, settle: async () => Promise.reject(new Error('killed')) })).rejects.toThrow('killed');
    await store.close();
    // As the earlier version marked it: DuckDB's version alone, no format.
    const instance = await DuckDBInstance.create(join(dir, 'state.duckdb'));
    const db = await instance.connect();
    await db.run(`UPDATE run_attempts SET content = regexp_replace(content, '^([^|+]*)[^|]*', '\\1')`);
    expect((await db.runAndReadAll('SELECT content FROM run_attempts')).getRowsJS()[0]![0]).toMatch(/^v?[0-9.]+\|snapshot\|1\|/);
    db.closeSync();
    instance.closeSync();
    store = await EmbeddedProfileStore.open(dir);
    const outcome = await store.applyRun(header, 'linked_audience', yielding([profile('b')]), { emit: async () => undefined, settle: async () => undefined });
    expect(outcome).toMatchObject({ applied: true, notices: [expect.stringMatching(/^run r1 was interrupted before, under an earlier version of Stowage \(or of DuckDB\), after handing changes on: whether what was sent now holds what that attempt held could not be checked/)] });
    await store.close();
  });

  it("applies a run sent again after an attempt marked before object values' keys were sorted, saying so: not as another run's content", async () => {
    const dir = tempDir();
    let store = await EmbeddedProfileStore.open(dir);
    const header = { space: 's', computation: 't', id: 'r1', kind: 'snapshot' as const, completedAt: '2026-11-23T10:00:00.000Z' };
    const yielding = (profiles: RunProfile[]) => (async function* () { yield profiles; })();
    const value = JSON.parse('{"b":1,"a":2}') as Record<string, unknown>;
    await expect(store.applyRun(header, 'trait', yielding([profile('a', { value })]), { emit: async () => undefined, settle: async () => Promise.reject(new Error('killed')) })).rejects.toThrow('killed');
    await store.close();
    // As the version before marked it: the format `+e`, and the sum of the value's text as sent ({"b":1,"a":2}), another than now.
    const instance = await DuckDBInstance.create(join(dir, 'state.duckdb'));
    const db = await instance.connect();
    await db.run(`UPDATE run_attempts SET content = regexp_replace(regexp_replace(content, '^([^|+]*)[^|]*', '\\1+e'), '[0-9-]+$', '12345')`);
    expect((await db.runAndReadAll('SELECT content FROM run_attempts')).getRowsJS()[0]![0]).toMatch(/^v?[0-9.]+\+e\|snapshot\|1\|12345$/);
    db.closeSync();
    instance.closeSync();
    store = await EmbeddedProfileStore.open(dir);
    const outcome = await store.applyRun(header, 'trait', yielding([profile('a', { value })]), { emit: async () => undefined, settle: async () => undefined });
    expect(outcome).toMatchObject({ applied: true, notices: [expect.stringMatching(/^run r1 was interrupted before, under an earlier version of Stowage \(or of DuckDB\)/)] });
    await store.close();
  });

  it('refuses a run of another kind than its state holds the computation as, recorded or, in a state from before the record, as its memberships hold it', async () => {
    const dir = tempDir();
    let store = await EmbeddedProfileStore.open(dir);
    await apply(store, 'trait', { id: 'r1' }, [profile('a', { value: 1 })]);
    const refusal = 'computation "c" of space "s" is configured as an audience, but its profile state holds it as a trait';
    await expect(apply(store, 'audience', { id: 'r2' }, [profile('a')])).rejects.toThrow(refusal);
    await store.close();
    await onStateFile(dir, 'DELETE FROM computation_kinds');
    store = await EmbeddedProfileStore.open(dir);
    expect(await store.storedKinds('s')).toEqual(new Map([['c', ['trait']]]));
    await expect(apply(store, 'audience', { id: 'r2' }, [profile('a')])).rejects.toThrow(refusal);
    expect((await apply(store, 'trait', { id: 'r2' }, [profile('a', { value: 2 })])).outcome).toMatchObject({ applied: true, changes: 1 });
    await store.close();
  });

  it('refuses profiles handed over not in chunks, saying how they are to come', async () => {
    const store = await open();
    const header = { space: 's', computation: 'c', id: 'r1', kind: 'snapshot' as const, completedAt: '2026-11-23T10:00:00.000Z' };
    const sink = { emit: async () => undefined, settle: async () => undefined };
    // The profiles themselves, where chunks of them go: the first is an object.
    const plain = [profile('a'), profile('b')] as unknown as AsyncIterable<RunProfile[]>;
    await expect(store.applyRun(header, 'audience', plain, sink)).rejects.toThrow("The run's profiles must come in chunks: an iterable of arrays of profiles (`[[p1, p2], [p3]]`, or an async generator yielding arrays), and chunk 1 is an object (a profile, not an array of them?); nothing of this run was applied");
    const withNull = (async function* () { yield [profile('a')]; yield null; })() as unknown as AsyncIterable<RunProfile[]>;
    await expect(store.applyRun(header, 'audience', withNull, sink)).rejects.toThrow('and chunk 2 is null');
    expect((await store.applyRun(header, 'audience', (async function* () { yield [profile('a')]; })(), sink)).applied).toBe(true);
    await store.close();
  });

  it('says when profiles the run changed hold a userId another profile holds, whose calls go to one users row', async () => {
    const store = await open();
    const shared = 'the userId "u1" of profiles this run changed is held by another profile of the space too: their calls go to one users row, where each profile\'s values overwrite the other\'s (between calls of one run, the one of the larger message id wins, either profile\'s); give each userId to one profile (its profileId)';
    expect((await apply(store, 'audience', { id: 'r1', completedAt: '2026-11-22T10:00:00.000Z' }, [profile('u1', { profileId: 'pa' }), profile('u2')])).outcome.notices).toBeUndefined();
    // pa exits and pb enters at the same moment, both calls for u1: which one users keeps is a hash's choice.
    const { outcome, changes } = await apply(store, 'audience', { id: 'r2', completedAt: '2026-11-22T11:00:00.000Z' }, [profile('u1', { profileId: 'pb' }), profile('u2')]);
    expect(changes.map(([id, kind]) => [id, kind])).toEqual([['pa', 'exited'], ['pb', 'entered']]);
    expect(outcome.notices).toEqual([shared]);
    // Nothing changed for a profile holding u1: nothing to say.
    expect((await apply(store, 'audience', { id: 'r3', completedAt: '2026-11-22T12:00:00.000Z' }, [profile('u1', { profileId: 'pb' }), profile('u2')])).outcome.notices).toBeUndefined();
    // A linked audience makes no Classic calls: no users row to share.
    expect((await apply(store, 'linked_audience', { computation: 'l', id: 'l1' }, [profile('u1', { profileId: 'pb' })])).outcome.notices).toBeUndefined();
    await store.close();
  });

  it('counts a profile listed twice once, its last listing counting, and says so', async () => {
    const store = await open();
    const { outcome, changes } = await apply(store, 'trait', { id: 'r1' }, [profile('a', { value: 1 }), profile('b', { value: 2 }), profile('a', { value: 3 })]);
    expect(outcome).toMatchObject({ applied: true, profiles: 2, changes: 2, notices: ['1 listing of the run repeated a profile listed before: the last listing of each profile counts'] });
    expect(changes.map(([id, , value]) => [id, value])).toEqual([['a', 3], ['b', 2]]);
    expect((await apply(store, 'trait', { id: 'r2' }, [profile('a', { value: 3 }), profile('b', { value: 2 })])).outcome.notices).toBeUndefined();
    await store.close();
  });

  it('commits a run only once its changes are settled: a failed settle leaves the run to be applied again, alike', async () => {
    const store = await open();
    const header = { space: 's', computation: 'c', id: 'r1', kind: 'snapshot' as const, completedAt: '2026-11-23T10:00:00.000Z' };
    const rows = async function* () {
      yield [profile('a'), profile('b')];
    };
    const first: Change[] = [];
    const failing = { emit: async (b: Change[]) => void first.push(...b), settle: async () => Promise.reject(new Error('the warehouse write failed')) };
    await expect(store.applyRun(header, 'audience', rows(), failing)).rejects.toThrow('the warehouse write failed');
    const again = await apply(store, 'audience', { id: 'r1' }, [profile('a'), profile('b')]);
    expect(again.outcome.applied).toBe(true);
    expect(again.raw.map((c) => [c.profile.profileId, c.kind, c.version])).toEqual(first.sort(byProfile).map((c) => [c.profile.profileId, c.kind, c.version]));
    await store.close();
  });

  it('refuses a run whose identifiers UTF-8 would rewrite, applying nothing of it; takes profiles whose lists are left out', async () => {
    const store = await open();
    // 'u\uD800' and 'u\uD801' would both be stored as 'u\uFFFD': one profile, twice.
    await expect(apply(store, 'audience', { id: 'r1' }, [profile('u\uD800'), profile('u\uD801')])).rejects.toThrow(/profileId "u\\ud800" holds half of a character/);
    await expect(apply(store, 'linked_audience', { id: 'r1', computation: 'l' }, [profile('a', { entities: [{ id: 'x\uDC00', context: {} }] })])).rejects.toThrow(/entity id/);
    // A context nested past what JSON.stringify can walk: named, not a bare stack overflow.
    const deep = JSON.parse(`${'{"a":'.repeat(20_000)}1${'}'.repeat(20_000)}`);
    await expect(apply(store, 'linked_audience', { id: 'r1', computation: 'l' }, [profile('d', { entityContext: deep })])).rejects.toThrow(/profile "d" holds a value nested too deep to serialise/);
    expect((await apply(store, 'audience', { id: 'r1' }, [profile('a')])).changes).toEqual([['a', 'entered', true, 1]]);
    const bare = { profileId: 'b', userId: 'b' } as RunProfile;
    const { raw } = await apply(store, 'audience', { id: 'r2', kind: 'delta' }, [bare]);
    expect(raw.map((c) => c.profile)).toEqual([{ profileId: 'b', userId: 'b', anonymousIds: [], emails: [], mobileIds: [] }]);
    await store.close();
  });

  it("reads a library caller's mobile ids as a run file's: type \"unknown\" when left out, an empty id or a type of another kind refused", async () => {
    const store = await open();
    const typeless = { id: 'm1' } as RunProfile['mobileIds'][number];
    const { raw } = await apply(store, 'audience', { id: 'r1' }, [profile('a', { mobileIds: [typeless, { id: 'm2', type: 'ios' }] })]);
    expect(raw.map((c) => c.profile.mobileIds)).toEqual([[{ id: 'm1', type: 'unknown' }, { id: 'm2', type: 'ios' }]]);
    await expect(apply(store, 'audience', { id: 'r2' }, [profile('b', { mobileIds: [{ id: '', type: 'ios' }] })])).rejects.toThrow('profile "b": mobileIds[0] needs an "id" (a non-empty string)');
    await expect(apply(store, 'audience', { id: 'r2' }, [profile('b', { mobileIds: [{ id: 'm3', type: 4 as unknown as string }] })])).rejects.toThrow('profile "b": mobileIds[0].type must be a string');
    await expect(apply(store, 'audience', { id: 'r2' }, [profile('b', { mobileIds: [{ id: 'm3', type: 'ios' }, { id: 'm4', type: 'ios' }, { id: 'm3', type: 'android' }] })])).rejects.toThrow('profile "b": mobileIds[2]: the id "m3" is listed twice');
    await store.close();
  });

  it("reads a library caller's empty identifiers as a run file's: none (a call with no identifier at all landed)", async () => {
    const store = await open();
    const { raw } = await apply(store, 'audience', { id: 'r1' }, [profile('a', { userId: '', anonymousIds: ['', 'x1'], emails: ['', 'a@x'] }), profile('b', { userId: null, anonymousIds: [''] })]);
    expect(raw.map((c) => [c.profile.profileId, c.profile.userId, c.profile.anonymousIds, c.profile.emails])).toEqual([
      ['a', null, ['x1'], ['a@x']],
      ['b', null, [], []],
    ]);
    await store.close();
  });

  it("keeps a profile's identifiers that a later-completed run stated when an older run of another computation lists it: its later calls go to them", async () => {
    const store = await open();
    const at = (day: number) => `2026-11-${day}T10:00:00.000Z`;
    // vip, completed on the 22nd, knows p1 as u1; ltv, completed on the 21st (applied after), knew p1 as a1 alone.
    await apply(store, 'audience', { computation: 'vip', id: 'v1', completedAt: at(22) }, [profile('p1', { userId: 'u1', anonymousIds: ['a1'] })]);
    const late = await apply(store, 'trait', { computation: 'ltv', id: 'l1', completedAt: at(21) }, [profile('p1', { userId: null, anonymousIds: ['a1'], value: 5 })]);
    expect(late.raw.map((c) => [c.kind, c.profile.userId])).toEqual([['changed', 'u1']]);
    // The exit goes to u1, whom the warehouse holds as a member (it went to no one).
    const exit = await apply(store, 'audience', { computation: 'vip', id: 'v2', completedAt: at(23) }, []);
    expect(exit.raw.map((c) => [c.kind, c.profile.userId])).toEqual([['exited', 'u1']]);
    // A run completed as late or later states them anew, a userId lost with them.
    await apply(store, 'trait', { computation: 'ltv', id: 'l2', completedAt: at(23) }, [profile('p1', { userId: null, anonymousIds: ['a2'], value: 6 })]);
    const now = await apply(store, 'trait', { computation: 'ltv', id: 'l3', completedAt: at(24) }, [profile('p1', { userId: null, anonymousIds: ['a2'], value: 7 })]);
    expect(now.raw.map((c) => [c.profile.userId, c.profile.anonymousIds])).toEqual([[null, ['a2']]]);
    await store.close();
  });

  it('keeps the identifiers of a profile for its exit, and hands the current state to a backfill', async () => {
    const store = await open();
    await apply(store, 'audience', { id: 'r1' }, [profile('p1', { userId: null, anonymousIds: ['x1', 'x2'], mobileIds: [{ id: 'idfa', type: 'ios' }] })]);
    const changes: Change[] = [];
    await store.applyRun({ space: 's', computation: 'c', id: 'r2', kind: 'snapshot', completedAt: '2026-11-24T00:00:00.000Z' }, 'audience', (async function* () {})(), { emit: async (b) => void changes.push(...b), settle: async () => undefined });
    expect(changes[0]).toMatchObject({ kind: 'exited', at: '2026-11-24T00:00:00.000Z', profile: { userId: null, anonymousIds: ['x1', 'x2'], mobileIds: [{ id: 'idfa', type: 'ios' }] } });
    const state: Change[] = [];
    await store.currentState('s', async (b) => void state.push(...b));
    expect(state.map((c) => [c.computation, c.profile.profileId, c.kind, c.version, c.at])).toEqual([['c', 'p1', 'exited', 2, '2026-11-24T00:00:00.000Z']]);
    await store.close();
  });

  it('diffs linked audience snapshots: members enter with their context; a staying member gains and loses entities', async () => {
    const store = await open();
    expect(await applyLinked(store, { id: 'r1' }, [
      profile('a', { entityContext: { plan: 'pro' }, entities: [{ id: 'x', context: { v: 1 } }] }),
      profile('b'),
    ])).toEqual([['a', 'entered', null, { plan: 'pro' }, 1], ['b', 'entered', null, {}, 1]]);
    expect(await applyLinked(store, { id: 'r2' }, [
      profile('a', { entityContext: { plan: 'pro' }, entities: [{ id: 'y', context: { n: 1 } }] }),
      profile('b', { entities: [{ id: 'z', context: {} }] }),
    ])).toEqual([['a', 'entity_removed', 'x', { v: 1 }, 2], ['a', 'entity_added', 'y', { n: 1 }, 1], ['b', 'entity_added', 'z', {}, 1]]);
    // New contexts for members and entities are stored without a change.
    expect(await applyLinked(store, { id: 'r3' }, [
      profile('a', { entityContext: { plan: 'max' }, entities: [{ id: 'y', context: { n: 2 } }] }),
      profile('b', { entityContext: { tier: 'gold' }, entities: [{ id: 'z', context: {} }] }),
    ])).toEqual([]);
    expect(await applyLinked(store, { id: 'r4' }, [profile('a', { entityContext: { plan: 'max' }, entities: [] }), profile('b', { entityContext: { tier: 'gold' }, entities: [{ id: 'z', context: {} }] })]))
      .toEqual([['a', 'entity_removed', 'y', { n: 2 }, 2]]);
    const { raw } = await apply(store, 'linked_audience', { id: 'r4b' }, [profile('a', { entityContext: { plan: 'max' } })]);
    expect(raw).toEqual([expect.objectContaining({ kind: 'exited', value: false, version: 2 })]);
    expect(jsonValue(raw[0]!.entityContext)).toEqual({ tier: 'gold' });
    await store.close();
  });

  it('keeps the run and time that made a member or an entity what it is when a later run only rewrites its context', async () => {
    const dir = tempDir();
    const store = await EmbeddedProfileStore.open(dir);
    await applyLinked(store, { id: 'r1', completedAt: '2026-11-23T01:00:00.000Z' }, [profile('a', { entityContext: { v: 1 }, entities: [{ id: 'x', context: { v: 1 } }] })]);
    await applyLinked(store, { id: 'r2', completedAt: '2026-11-23T02:00:00.000Z' }, [profile('a', { entityContext: { v: 2 }, entities: [{ id: 'x', context: { v: 2 } }, { id: 'y', context: {} }] })]);
    await store.close();
    const instance = await DuckDBInstance.create(join(dir, 'state.duckdb'));
    const db = await instance.connect();
    const rows = async (sql: string) => (await db.runAndReadAll(sql)).getRowsJS();
    // A member's context is kept in the state's texts file, the row holding its place.
    const texts = readFileSync(join(dir, 'contexts-0.texts'));
    const members = (await rows('SELECT profile_id, run_id, updated_at, context_at, context_len FROM memberships')).map(([id, run, at, from, len]) => [id, run, at, texts.subarray(Number(from), Number(from) + Number(len)).toString()]);
    expect(members).toEqual([['a', 'r1', '2026-11-23T01:00:00.000Z', '{"v":2}']]);
    // So is an entity's.
    const entities = (await rows('SELECT entity_id, run_id, updated_at, context_at, context_len, context FROM entity_memberships ORDER BY entity_id')).map(([id, run, at, from, len, text]) => [id, run, at, texts.subarray(Number(from), Number(from) + Number(len)).toString(), text]);
    expect(entities).toEqual([
      ['x', 'r1', '2026-11-23T01:00:00.000Z', '{"v":2}', null],
      ['y', 'r2', '2026-11-23T02:00:00.000Z', '{}', null],
    ]);
    db.closeSync();
    instance.closeSync();
  });

  it('keeps an entity context handed as text written as JSON.stringify writes it, and writes any other as its parse', async () => {
    const store = await open();
    const { raw } = await apply(store, 'linked_audience', { id: 'r1' }, [
      profile('a', { entityContext: new JsonText('{"tier":"gold","total":0.30000000000000004}') }),
      profile('b', { entityContext: new JsonText('{ "tier": "gold",\n  "total": 1.50, "1": true, "id": 12345678901234567891 }') }),
      profile('c', { entityContext: { tier: 'gold', total: 1.5 } }),
    ]);
    expect(raw.map((c) => [c.profile.profileId, (c.entityContext as JsonText).text])).toEqual([
      ['a', '{"tier":"gold","total":0.30000000000000004}'],
      // Read as a run file's: the integer a double cannot hold kept as its digits.
      ['b', '{"1":true,"tier":"gold","total":1.5,"id":"12345678901234567891"}'],
      ['c', '{"tier":"gold","total":1.5}'],
    ]);
    await store.close();
  });

  it("reads a journey's context and metadata handed as text as a run file's are: an integer a double cannot hold kept as its digits, never rounded", async () => {
    const store = await open();
    const { raw } = await apply(store, 'journey_step', { id: 'j1' }, [
      profile('a', { journeyContext: new JsonText('{"order_id":12345678901234567891,"n":2.50}'), journeyMetadata: new JsonText('9007199254740993') }),
      profile('b', { journeyContext: new JsonText('{"step":"s1"}'), journeyMetadata: new JsonText('[1152921504606846976]') }),
    ]);
    expect(raw.map((c) => [c.profile.profileId, (c.journeyContext as JsonText).text, (c.journeyMetadata as JsonText).text])).toEqual([
      ['a', '{"order_id":"12345678901234567891","n":2.5}', '"9007199254740993"'],
      ['b', '{"step":"s1"}', '[1152921504606846976]'],
    ]);
    await store.close();
  });

  it("reads a trait's value handed as text as a run file's is: an integer a double cannot hold kept as its digits, never rounded", async () => {
    const store = await open();
    const { changes } = await apply(store, 'trait', { id: 'r1' }, [profile('a', { value: new JsonText('12345678901234567891') }), profile('b', { value: new JsonText('{"b":2,"a":1.50}') })]);
    expect(changes).toEqual([
      ['a', 'changed', '12345678901234567891', 1],
      ['b', 'changed', { a: 1.5, b: 2 }, 1],
    ]);
    await store.close();
  });

  it('exits a linked audience member with its last context and its entities silently; a returning entity gets a new version', async () => {
    const store = await open();
    expect(await applyLinked(store, { id: 'r1' }, [profile('a', { entityContext: { tier: 'gold' }, entities: [] })])).toEqual([['a', 'entered', null, { tier: 'gold' }, 1]]);
    expect(await applyLinked(store, { id: 'r2' }, [profile('a', { entityContext: { tier: 'silver' }, entities: [{ id: 'x', context: { k: 1 } }] })]))
      .toEqual([['a', 'entity_added', 'x', { k: 1 }, 1]]);
    expect(await applyLinked(store, { id: 'r3' }, [])).toEqual([['a', 'exited', null, { tier: 'silver' }, 2]]);
    expect(await applyLinked(store, { id: 'r4' }, [profile('a', { entityContext: { tier: 'bronze' } })])).toEqual([['a', 'entered', null, { tier: 'bronze' }, 3]]);
    expect(await applyLinked(store, { id: 'r5' }, [profile('a', { entityContext: { tier: 'bronze' }, entities: [{ id: 'x', context: { k: 2 } }] })]))
      .toEqual([['a', 'entity_added', 'x', { k: 2 }, 3]]);
    await store.close();
  });

  it('records the entities a linked audience member enters with, and reports only later ones', async () => {
    const store = await open();
    await applyLinked(store, { id: 'r1' }, [profile('a', { entities: [{ id: 'x', context: { k: 1 } }] })]);
    expect(await applyLinked(store, { id: 'r2' }, [profile('a', { entities: [{ id: 'x', context: { k: 1 } }, { id: 'y', context: {} }] })]))
      .toEqual([['a', 'entity_added', 'y', {}, 1]]);
    expect(await applyLinked(store, { id: 'r3' }, [profile('a', { entities: [{ id: 'y', context: {} }] })])).toEqual([['a', 'entity_removed', 'x', { k: 1 }, 2]]);
    await store.close();
  });

  it('applies linked audience deltas: a profile listed without a context or entities keeps them', async () => {
    const store = await open();
    expect(await applyLinked(store, { id: 'd1', kind: 'delta' }, [
      profile('a', { op: 'enter', entityContext: { plan: 'pro' }, entities: [{ id: 'x', context: {} }] }),
      profile('b', { op: 'enter', entityContext: { plan: 'free' } }),
    ])).toEqual([['a', 'entered', null, { plan: 'pro' }, 1], ['b', 'entered', null, { plan: 'free' }, 1]]);
    expect(await applyLinked(store, { id: 'd2', kind: 'delta' }, [
      profile('a', { op: 'enter', entities: [{ id: 'x', context: {} }, { id: 'y', context: { n: 1 } }] }),
      profile('b', { op: 'enter', entityContext: { plan: 'team' } }),
      profile('c', { op: 'exit', entities: [{ id: 'w', context: {} }] }),
    ])).toEqual([['a', 'entity_added', 'y', { n: 1 }, 1]]);
    expect(await applyLinked(store, { id: 'd3', kind: 'delta' }, [profile('a', { op: 'exit' }), profile('b', { entities: [{ id: 'z', context: {} }] })]))
      .toEqual([['a', 'exited', null, { plan: 'pro' }, 2], ['b', 'entity_added', 'z', {}, 1]]);
    expect(await applyLinked(store, { id: 'd4', kind: 'delta' }, [profile('b', { op: 'enter', entities: [] })])).toEqual([['b', 'entity_removed', 'z', {}, 2]]);
    expect(await applyLinked(store, { id: 'd5', kind: 'delta' }, [profile('b', { value: false, entities: [{ id: 'z', context: {} }] })]))
      .toEqual([['b', 'exited', null, { plan: 'team' }, 2]]);
    await store.close();
  });

  it('reports every listed profile as entering a journey step, snapshot or delta, and exits nobody', async () => {
    const store = await open();
    const steps = async (header: Partial<RunHeader>, profiles: RunProfile[]) =>
      (await apply(store, 'journey_step', header, profiles)).raw.map((c) => [c.profile.profileId, c.kind, c.value, c.version, jsonValue(c.journeyContext), jsonValue(c.journeyMetadata)]);
    expect(await steps({ id: 'j1' }, [profile('a', { journeyContext: { cart: 1 }, journeyMetadata: { step: 's1' } }), profile('b')]))
      .toEqual([['a', 'step_entered', true, 1, { cart: 1 }, { step: 's1' }], ['b', 'step_entered', true, 1, null, null]]);
    expect(await steps({ id: 'j2' }, [profile('a', { journeyContext: { cart: 2 }, journeyMetadata: { step: 's1' } })]))
      .toEqual([['a', 'step_entered', true, 2, { cart: 2 }, { step: 's1' }]]);
    expect(await steps({ id: 'j3', kind: 'delta' }, [profile('b', { journeyContext: 'again' })])).toEqual([['b', 'step_entered', true, 2, 'again', null]]);
    const again = await apply(store, 'journey_step', { id: 'j2' }, [profile('a', { journeyContext: { cart: 2 }, journeyMetadata: { step: 's1' } })]);
    expect(again.outcome.applied).toBe(false);
    expect(again.changes).toEqual([]);
    await store.close();
  });

  it('hands only audiences and traits to a backfill', async () => {
    const store = await open();
    await apply(store, 'audience', { id: 'r1', computation: 'aud' }, [profile('a')]);
    await apply(store, 'trait', { id: 'r1', computation: 'trait' }, [profile('a', { value: 1 })]);
    await apply(store, 'linked_audience', { id: 'r1', computation: 'linked' }, [profile('a', { entityContext: { k: 1 } })]);
    await apply(store, 'journey_step', { id: 'r1', computation: 'step' }, [profile('a')]);
    const state: Change[] = [];
    await store.currentState('s', async (b) => void state.push(...b));
    expect(state.map((c) => [c.computation, c.profile.profileId, c.kind, c.value])).toEqual([['aud', 'a', 'entered', true], ['trait', 'a', 'changed', 1]]);
    await store.close();
  });

  it('hands the current members of a linked audience to a new activation, with the run that made them members', async () => {
    const store = await open();
    await apply(store, 'linked_audience', { id: 'r1', completedAt: '2026-11-23T01:00:00.000Z' }, [profile('a', { entityContext: { k: 1 } }), profile('b')]);
    await apply(store, 'linked_audience', { id: 'r2', completedAt: '2026-11-23T02:00:00.000Z' }, [profile('a', { entityContext: { k: 2 } }), profile('c')]);
    const members: Change[] = [];
    await store.members('s', 'c', async (b) => void members.push(...b));
    members.sort(byProfile);
    expect(members.map((c) => [c.profile.profileId, c.kind, c.value, c.version, c.runId, c.at, jsonValue(c.entityContext)])).toEqual([
      ['a', 'entered', true, 1, 'r1', '2026-11-23T01:00:00.000Z', { k: 2 }],
      ['c', 'entered', true, 1, 'r2', '2026-11-23T02:00:00.000Z', {}],
    ]);
    await store.close();
  });

  it('opens a state file written before memberships had a context, and keeps its state', async () => {
    const dir = tempDir();
    const instance = await DuckDBInstance.create(join(dir, 'state.duckdb'));
    const db = await instance.connect();
    await db.run(`CREATE TABLE profiles (space VARCHAR, profile_id VARCHAR, user_id VARCHAR, anonymous_ids VARCHAR, emails VARCHAR, mobile_ids VARCHAR,
      PRIMARY KEY (space, profile_id))`);
    await db.run(`CREATE TABLE memberships (space VARCHAR, computation VARCHAR, profile_id VARCHAR, kind VARCHAR, value VARCHAR, version BIGINT,
      run_id VARCHAR, updated_at VARCHAR, PRIMARY KEY (space, computation, profile_id))`);
    await db.run(`INSERT INTO profiles VALUES ('s', 'a', 'a', '[]', '[]', '[]')`);
    await db.run(`INSERT INTO memberships VALUES ('s', 'c', 'a', 'audience', 'true', 1, 'r0', '2026-11-22T00:00:00.000Z')`);
    db.closeSync();
    instance.closeSync();

    const store = await EmbeddedProfileStore.open(dir);
    expect((await apply(store, 'audience', { id: 'r1' }, [profile('b')])).changes).toEqual([['a', 'exited', false, 2], ['b', 'entered', true, 1]]);
    expect(await applyLinked(store, { id: 'r1', computation: 'l' }, [profile('a', { entityContext: { k: 1 } })])).toEqual([['a', 'entered', null, { k: 1 }, 1]]);
    const state: Change[] = [];
    await store.currentState('s', async (b) => void state.push(...b));
    expect(state.map((c) => [c.computation, c.profile.profileId, c.kind, c.version])).toEqual([['c', 'a', 'exited', 2], ['c', 'b', 'entered', 1]]);
    // A state that made changes before epochs keeps its ids: its changes carry none.
    expect(state.every((c) => c.epoch === undefined)).toBe(true);
    await store.close();
  });

  it("marks every change with its state's epoch, which a state begun anew does not share, and keeps it across openings", async () => {
    const dir = tempDir();
    const first = await EmbeddedProfileStore.open(dir);
    const { raw: before } = await apply(first, 'audience', { id: 'r1' }, [profile('a')]);
    await first.close();
    const again = await EmbeddedProfileStore.open(dir);
    const { raw: after } = await apply(again, 'audience', { id: 'r2' }, [profile('b')]);
    const members: Change[] = [];
    await again.currentState('s', async (b) => void members.push(...b));
    await again.close();
    expect(before[0]!.epoch).toMatch(/^[0-9a-f]{16}$/);
    expect([...after, ...members].map((c) => c.epoch)).toEqual([before[0]!.epoch, before[0]!.epoch, before[0]!.epoch, before[0]!.epoch]);
    // The same run in a state begun anew (its folder lost or moved): versions count from 1
    // again, the epoch tells its changes apart.
    const anew = await open();
    const { raw: redone } = await apply(anew, 'audience', { id: 'r1' }, [profile('a')]);
    await anew.close();
    expect(redone.map((c) => [c.profile.profileId, c.kind, c.version])).toEqual([['a', 'entered', 1]]);
    expect(redone[0]!.epoch).toMatch(/^[0-9a-f]{16}$/);
    expect(redone[0]!.epoch).not.toBe(before[0]!.epoch);
  });

  it('gives an epoch to a state from before epochs that never made a change, and none to one that made changes', async () => {
    const unused = tempDir();
    const made = tempDir();
    for (const dir of [unused, made]) {
      const store = await EmbeddedProfileStore.open(dir);
      if (dir === made) await apply(store, 'audience', { id: 'r1' }, [profile('a')]);
      await store.close();
      // As a version before epochs left it.
      await onStateFile(dir, 'DROP TABLE state_epoch');
    }
    const fresh = await EmbeddedProfileStore.open(unused);
    expect((await apply(fresh, 'audience', { id: 'r1' }, [profile('a')])).raw[0]!.epoch).toMatch(/^[0-9a-f]{16}$/);
    await fresh.close();
    const old = await EmbeddedProfileStore.open(made);
    expect((await apply(old, 'audience', { id: 'r2' }, [profile('b')])).raw.map((c) => [c.profile.profileId, c.kind, c.epoch])).toEqual([['a', 'exited', undefined], ['b', 'entered', undefined]]);
    await old.close();
  });
});

describe('a profile state file damaged on disk', () => {
  it('is said as such at once, not waited for as if another process held it', async () => {
    const dir = tempDir();
    const store = await EmbeddedProfileStore.open(dir);
    await apply(store, 'audience', { id: 'r1' }, [profile('a')]);
    await store.close();
    // A block's bytes overwritten: DuckDB's checksum error says "block", which held "lock" for the first look.
    const { openSync, writeSync, closeSync } = await import('node:fs');
    const fd = openSync(join(dir, 'state.duckdb'), 'r+');
    writeSync(fd, Buffer.alloc(4096, 0x5a), 0, 4096, 12288);
    closeSync(fd);
    const error = await EmbeddedProfileStore.open(dir, 5_000).catch((e: unknown) => e as Error);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/^Cannot open the profile state in .*: .*(checksum|Corrupt)/i);
  });
});

describe('a profile state another process holds', () => {
  it('is waited for, then refused saying which process holds it and that nothing changed', async () => {
    const dir = tempDir();
    const path = join(dir, 'state.duckdb');
    const { spawn } = await import('node:child_process');
    const holder = spawn(process.execPath, ['--input-type=module', '-e', `import { DuckDBInstance } from '@duckdb/node-api'; await DuckDBInstance.create(${JSON.stringify(path)}); console.log('held'); setInterval(() => {}, 1000);`], { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      await new Promise<void>((resolve) => holder.stdout.once('data', () => resolve()));
      const told: Array<string | undefined> = [];
      // A StowageError, as library.md says of the errors a caller can act on (it was a plain Error).
      await expect(EmbeddedProfileStore.open(dir, 300)).rejects.toBeInstanceOf(StowageError);
      await expect(EmbeddedProfileStore.open(dir, 300, { onWait: (h) => told.push(h) })).rejects.toThrow(new RegExp(`^The profile state in .* is held by another process \\(${holder.pid}: another Stowage command, a long run or a sync's backfill, or a program that opened state\\.duckdb\\); it kept it \\d+ s without letting go(, after \\d+ s of waiting in all for the commands ahead of this one)?\\. Nothing was applied or changed`));
      // On a busy machine the first open's turn may still be ahead of the second's: told too.
      expect(told).toContain(String(holder.pid));
    } finally {
      holder.kill('SIGKILL');
    }
  });
});
