import fs, { appendFileSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { syncBuiltinESMExports } from 'node:module';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, describe, expect, it } from 'vitest';
import { jsonValue, type Change, type ChangeSink, type RunHeader, type RunProfile } from '@stowage/core';
import { EmbeddedProfileStore } from './profile-store.js';

const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'contexts-'));
  dirs.push(dir);
  return dir;
};
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

const member = (id: string, entityContext?: Record<string, unknown>): RunProfile => ({ profileId: id, userId: id, anonymousIds: [], emails: [], mobileIds: [], ...(entityContext ? { entityContext } : {}) });
const header = (id: string, hour: number, kind: RunHeader['kind'] = 'snapshot'): RunHeader => ({ space: 's', computation: 'l', id, kind, completedAt: `2026-12-05T${String(hour).padStart(2, '0')}:00:00.000Z` });
const rows = (profiles: RunProfile[]) => (async function* () { yield profiles; })();

/** Applies a linked audience run; its emitted changes as [profile, kind, context]. */
async function run(store: EmbeddedProfileStore, h: RunHeader, profiles: RunProfile[], sink: Partial<ChangeSink> = {}) {
  const changes: Change[] = [];
  await store.applyRun(h, 'linked_audience', rows(profiles), { emit: async (b) => void changes.push(...b), settle: async () => undefined, ...sink });
  return changes.map((c) => [c.profile.profileId, c.kind, jsonValue(c.entityContext)]).sort((a, b) => String(a[0]).localeCompare(String(b[0])));
}

/** A member with entities, each `[id, context]`. */
const withEntities = (id: string, context: Record<string, unknown>, entities: Array<[string, Record<string, unknown>]>): RunProfile => ({ ...member(id, context), entities: entities.map(([e, c]) => ({ id: e, context: c })) });

/** Applies a linked audience run; its emitted entity changes as [profile, kind, entity, context]. */
async function entityChanges(store: EmbeddedProfileStore, h: RunHeader, profiles: RunProfile[]) {
  const changes: Change[] = [];
  await store.applyRun(h, 'linked_audience', rows(profiles), { emit: async (b) => void changes.push(...b), settle: async () => undefined });
  return changes.filter((c) => c.entityId !== undefined).map((c) => [c.profile.profileId, c.kind, c.entityId, jsonValue(c.entityContext)]).sort((a, b) => `${a[1]}${a[2]}`.localeCompare(`${b[1]}${b[2]}`));
}

const texts = (dir: string) => readdirSync(dir).filter((name) => name.endsWith('.texts')).sort();
const size = (dir: string, name: string) => statSync(join(dir, name)).size;

async function stateRows(dir: string, sql: string): Promise<unknown[][]> {
  const instance = await DuckDBInstance.create(join(dir, 'state.duckdb'));
  try {
    const db = await instance.connect();
    const rows = (await db.runAndReadAll(sql)).getRowsJS();
    db.closeSync();
    return rows;
  } finally {
    instance.closeSync();
  }
}

describe("the profile state's texts file of entity contexts", () => {
  it('cuts what an attempt that never committed wrote, whether it failed or the process died', async () => {
    const dir = tempDir();
    let store = await EmbeddedProfileStore.open(dir);
    await run(store, header('r1', 1), [member('a', { cart: 1 }), member('b', { cart: 2 })]);
    const committed = size(dir, 'contexts-0.texts');
    expect(committed).toBe(Buffer.byteLength('{"cart":1}{"cart":2}'));
    // Its write failed after the changes were handed on: rolled back, texts and all.
    await expect(run(store, header('r2', 2), [member('a', { cart: 10 }), member('c', { cart: 3 })], { settle: async () => Promise.reject(new Error('the warehouse went away')) })).rejects.toThrow('the warehouse went away');
    expect(size(dir, 'contexts-0.texts')).toBe(committed);
    // No run's texts are left behind.
    expect(texts(dir)).toEqual(['contexts-0.texts']);
    await store.close();
    // A process killed between writing its texts and committing left them past the committed length.
    appendFileSync(join(dir, 'contexts-0.texts'), '{"never":"committed"}');
    store = await EmbeddedProfileStore.open(dir);
    expect(size(dir, 'contexts-0.texts')).toBe(committed);
    // The next runs place their texts where the cut tail was, and read the stored ones back whole.
    expect(await run(store, header('r2', 2), [member('a', { cart: 10 }), member('c', { cart: 3 })])).toEqual([
      ['b', 'exited', { cart: 2 }],
      ['c', 'entered', { cart: 3 }],
    ]);
    expect(await run(store, header('r3', 3), [member('c', { cart: 3 })])).toEqual([['a', 'exited', { cart: 10 }]]);
    await store.close();
  });

  it('takes the last entry of a profile a run lists twice, in another chunk, with its context', async () => {
    const store = await EmbeddedProfileStore.open(tempDir());
    const changes: Change[] = [];
    const chunks = (async function* () {
      yield [member('a', { v: 1 }), member('b', { v: 1 })];
      yield [member('a', { v: 2 })];
    })();
    await store.applyRun(header('r1', 1), 'linked_audience', chunks, { emit: async (b) => void changes.push(...b), settle: async () => undefined });
    expect(changes.map((c) => [c.profile.profileId, c.kind, jsonValue(c.entityContext)]).sort()).toEqual([['a', 'entered', { v: 2 }], ['b', 'entered', { v: 1 }]]);
    expect(await run(store, header('r2', 2), [])).toEqual([['a', 'exited', { v: 2 }], ['b', 'exited', { v: 1 }]]);
    await store.close();
  });

  it("writes a linked audience's first run's contexts once, straight into the state's file; a later run's only once new", async () => {
    const dir = tempDir();
    const store = await EmbeddedProfileStore.open(dir);
    // The files in the state folder while the run hands its changes on.
    const seen: string[][] = [];
    const emitted: Change[] = [];
    const sink = {
      emit: async (batch: Change[]) => {
        seen.push(texts(dir));
        emitted.push(...batch);
      },
    };
    const chunks = (async function* () {
      yield [member('a', { v: 1 }), member('b', { v: 1 })];
      // Listed again: its first context is dead in the file, left to compaction.
      yield [member('a', { v: 2 })];
    })();
    await store.applyRun(header('r1', 1), 'linked_audience', chunks, { emit: sink.emit, settle: async () => undefined });
    expect(seen).toEqual([['contexts-0.texts']]);
    expect(readFileSync(join(dir, 'contexts-0.texts'), 'utf8')).toBe('{"v":1}{"v":1}{"v":2}');
    seen.length = 0;
    emitted.length = 0;
    // The next run stages its texts apart, and the state's file takes the new one alone.
    await run(store, header('r2', 2), [member('a', { v: 2 }), member('b', { v: 1 }), member('c', { v: 3 })], sink);
    expect(emitted.map((c) => [c.profile.profileId, c.kind, jsonValue(c.entityContext)])).toEqual([['c', 'entered', { v: 3 }]]);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toHaveLength(2);
    expect(readFileSync(join(dir, 'contexts-0.texts'), 'utf8')).toBe('{"v":1}{"v":1}{"v":2}{"v":3}');
    expect(await run(store, header('r3', 3), [])).toEqual([
      ['a', 'exited', { v: 2 }],
      ['b', 'exited', { v: 1 }],
      ['c', 'exited', { v: 3 }],
    ]);
    await store.close();
  });

  it("cuts a first run's texts from the state's file when it fails, and stages the next attempt there again", async () => {
    const dir = tempDir();
    const store = await EmbeddedProfileStore.open(dir);
    const profiles = [member('a', { v: 1 }), member('b', { v: 2 })];
    await expect(run(store, header('r1', 1), profiles, { settle: async () => Promise.reject(new Error('the warehouse went away')) })).rejects.toThrow('the warehouse went away');
    expect(size(dir, 'contexts-0.texts')).toBe(0);
    expect(await run(store, header('r1', 1), profiles)).toEqual([
      ['a', 'entered', { v: 1 }],
      ['b', 'entered', { v: 2 }],
    ]);
    expect(readFileSync(join(dir, 'contexts-0.texts'), 'utf8')).toBe('{"v":1}{"v":2}');
    await store.close();
  });

  it('refuses to open a state whose texts file is shorter than what it committed, saying so', async () => {
    const dir = tempDir();
    const store = await EmbeddedProfileStore.open(dir);
    await run(store, header('r1', 1), [member('a', { cart: 1 })]);
    await store.close();
    truncateSync(join(dir, 'contexts-0.texts'), 3);
    await expect(EmbeddedProfileStore.open(dir)).rejects.toThrow(/contexts-0\.texts holds 3 bytes where the profile state counts 10: it was cut or replaced outside Stowage\. .*restore it from a backup taken together with state\.duckdb/);
  });

  it('leaves every texts file alone when the state names one that is missing (a state.duckdb restored alone), and says so', async () => {
    const dir = tempDir();
    const backup = tempDir();
    let store = await EmbeddedProfileStore.open(dir, 30_000, { compactContextsFrom: 1 });
    await run(store, header('r1', 1), [member('a', { v: 'a1' }), member('b', { v: 'b1' })]);
    await store.close();
    copyFileSync(join(dir, 'state.duckdb'), join(backup, 'state.duckdb'));
    store = await EmbeddedProfileStore.open(dir, 30_000, { compactContextsFrom: 1 });
    // Both contexts replaced: compacted into the next generation, generation 0 gone.
    await run(store, header('r2', 2), [member('a', { v: 'a2' }), member('b', { v: 'b2' })]);
    await store.close();
    expect(texts(dir)).toEqual(['contexts-1.texts']);
    copyFileSync(join(dir, 'state.duckdb'), join(backup, 'current.duckdb'));
    copyFileSync(join(backup, 'state.duckdb'), join(dir, 'state.duckdb'));
    await expect(EmbeddedProfileStore.open(dir)).rejects.toThrow(/contexts-0\.texts is missing, .*restore it from a backup taken together with state\.duckdb/);
    expect(texts(dir)).toEqual(['contexts-1.texts']);
    // The state that goes with it, put back: all there.
    copyFileSync(join(backup, 'current.duckdb'), join(dir, 'state.duckdb'));
    store = await EmbeddedProfileStore.open(dir);
    expect(await run(store, header('r3', 3), [])).toEqual([['a', 'exited', { v: 'a2' }], ['b', 'exited', { v: 'b2' }]]);
    await store.close();
  });

  it('refuses a stored context whose bytes were changed in place, rather than hand on another text', async () => {
    const dir = tempDir();
    let store = await EmbeddedProfileStore.open(dir);
    await run(store, header('r1', 1), [member('a', { v: 'a1' }), member('b', { v: 'b1' })]);
    await store.close();
    const path = join(dir, 'contexts-0.texts');
    writeFileSync(path, readFileSync(path, 'utf8').replace('"a1"', '"a9"'));
    store = await EmbeddedProfileStore.open(dir);
    await expect(run(store, header('r2', 2), [member('b', { v: 'b1' })])).rejects.toThrow(/the entity context of profile "a" read from .*contexts-0\.texts \(10 bytes at 0\) is not the one the profile state stored: the file was changed outside Stowage/);
    const members: Change[] = [];
    await expect(store.members('s', 'l', async (b) => void members.push(...b))).rejects.toThrow(/changed outside Stowage/);
    await store.close();
  });

  it('rewrites the file with its live contexts once half of it is dead, and reads every context back after', async () => {
    const dir = tempDir();
    const store = await EmbeddedProfileStore.open(dir, 30_000, { compactContextsFrom: 1 });
    await run(store, header('r1', 1), [member('a', { v: 'a1' }), member('b', { v: 'b1' }), member('c', { v: 'c1' })]);
    expect(texts(dir)).toEqual(['contexts-0.texts']);
    // Two of three contexts replaced (silently: the members stay): a third of the file is dead.
    expect(await run(store, header('r2', 2), [member('a', { v: 'a2' }), member('b', { v: 'b2' }), member('c', { v: 'c1' })])).toEqual([]);
    expect(texts(dir)).toEqual(['contexts-0.texts']);
    // Two more: past half dead. Rewritten into the next generation, the old file gone.
    expect(await run(store, header('r3', 3), [member('a', { v: 'a3' }), member('b', { v: 'b3' }), member('c', { v: 'c1' })])).toEqual([]);
    expect(texts(dir)).toEqual(['contexts-1.texts']);
    expect(size(dir, 'contexts-1.texts')).toBe(Buffer.byteLength('{"v":"a3"}{"v":"b3"}{"v":"c1"}'));
    // Every member's context comes back from the new file: to a new activation, and with each exit.
    const members: Change[] = [];
    await store.members('s', 'l', async (b) => void members.push(...b));
    expect(members.map((c) => [c.profile.profileId, jsonValue(c.entityContext)]).sort()).toEqual([['a', { v: 'a3' }], ['b', { v: 'b3' }], ['c', { v: 'c1' }]]);
    expect(await run(store, header('r4', 4), [])).toEqual([['a', 'exited', { v: 'a3' }], ['b', 'exited', { v: 'b3' }], ['c', 'exited', { v: 'c1' }]]);
    await store.close();
    // Nobody left, nothing kept: reopened, the state names the generation rewritten then, empty.
    expect(texts(dir)).toEqual(['contexts-2.texts']);
    expect(await stateRows(dir, 'SELECT generation, length FROM context_file')).toEqual([[2n, 0n]]);
  });

  it("forgets an exited member's context once its exit carried it: the text goes at the next rewrite", async () => {
    const dir = tempDir();
    const store = await EmbeddedProfileStore.open(dir, 30_000, { compactContextsFrom: 1 });
    await run(store, header('r1', 1), [member('a', { cart: 1 }), member('b', { cart: 2 })]);
    expect(await run(store, header('r2', 2), [member('a', { cart: 1 })])).toEqual([['b', 'exited', { cart: 2 }]]);
    // Half of the file was b's: rewritten with a's alone.
    expect(texts(dir)).toEqual(['contexts-1.texts']);
    expect(readFileSync(join(dir, 'contexts-1.texts'), 'utf8')).toBe('{"cart":1}');
    // Back, b states a context of its own; without one, it has the empty one.
    expect(await run(store, header('r3', 3), [member('a', { cart: 1 }), member('b')])).toEqual([['b', 'entered', {}]]);
    expect(await run(store, header('r4', 4), [])).toEqual([
      ['a', 'exited', { cart: 1 }],
      ['b', 'exited', {}],
    ]);
    // Nobody left: nothing kept.
    expect(texts(dir)).toEqual(['contexts-2.texts']);
    expect(size(dir, 'contexts-2.texts')).toBe(0);
    await store.close();
    expect(await stateRows(dir, 'SELECT profile_id, value, context_at, context_len, context_hash FROM memberships ORDER BY profile_id')).toEqual([
      ['a', 'false', null, null, null],
      ['b', 'false', null, null, null],
    ]);
  });

  it('forgets the places of exited members a state kept before, as its file is rewritten', async () => {
    const dir = tempDir();
    let store = await EmbeddedProfileStore.open(dir);
    await run(store, header('r1', 1), [member('a', { cart: 1 }), member('b', { cart: 2 })]);
    await run(store, header('r2', 2), [member('a', { cart: 1 })]);
    await store.close();
    // As an earlier version left b's row: its exit kept the place of its context.
    const instance = await DuckDBInstance.create(join(dir, 'state.duckdb'));
    const db = await instance.connect();
    await db.run(`UPDATE memberships SET context_at = 10, context_len = 10, context_hash = 'x' WHERE profile_id = 'b'`);
    db.closeSync();
    instance.closeSync();
    store = await EmbeddedProfileStore.open(dir, 30_000, { compactContextsFrom: 1 });
    // Counted live, b's text kept the file from its rewrite; it is dead now.
    expect(await run(store, header('r3', 3), [member('a', { cart: 1 })])).toEqual([]);
    expect(texts(dir)).toEqual(['contexts-1.texts']);
    expect(readFileSync(join(dir, 'contexts-1.texts'), 'utf8')).toBe('{"cart":1}');
    expect(await run(store, header('r4', 4), [])).toEqual([['a', 'exited', { cart: 1 }]]);
    await store.close();
    expect(await stateRows(dir, `SELECT count(*) FROM memberships WHERE context_at IS NOT NULL`)).toEqual([[0n]]);
  });

  it("keeps entities' contexts in the file too, and moves them with the members' when it is rewritten", async () => {
    const dir = tempDir();
    const store = await EmbeddedProfileStore.open(dir, 30_000, { compactContextsFrom: 1 });
    await run(store, header('r1', 1), [withEntities('a', { v: 'a1' }, [['x', { e: 'x1' }], ['y', { e: 'y1' }]])]);
    // Placed after the members' contexts, in the order listed; the state's rows hold no text.
    expect(readFileSync(join(dir, 'contexts-0.texts'), 'utf8')).toBe('{"v":"a1"}{"e":"x1"}{"e":"y1"}');
    // The member's and x's contexts replaced, silently: then past half dead, rewritten.
    expect(await entityChanges(store, header('r2', 2), [withEntities('a', { v: 'a2' }, [['x', { e: 'x2' }], ['y', { e: 'y1' }]])])).toEqual([]);
    expect(await entityChanges(store, header('r3', 3), [withEntities('a', { v: 'a3' }, [['x', { e: 'x3' }], ['y', { e: 'y1' }]])])).toEqual([]);
    expect(texts(dir)).toEqual(['contexts-1.texts']);
    expect(readFileSync(join(dir, 'contexts-1.texts'), 'utf8')).toBe('{"e":"y1"}{"v":"a3"}{"e":"x3"}');
    // Each read back from where it moved: removed, a new one added beside.
    expect(await entityChanges(store, header('r4', 4), [withEntities('a', { v: 'a3' }, [['z', { e: 'z1' }]])])).toEqual([
      ['a', 'entity_added', 'z', { e: 'z1' }],
      ['a', 'entity_removed', 'x', { e: 'x3' }],
      ['a', 'entity_removed', 'y', { e: 'y1' }],
    ]);
    await store.close();
  });

  it('applies the run when its compaction fails, says so, and compacts at the next run', async () => {
    const dir = tempDir();
    const store = await EmbeddedProfileStore.open(dir, 30_000, { compactContextsFrom: 1 });
    await run(store, header('r1', 1), [member('a', { v: 'a1' })]);
    // The next generation's file cannot be made.
    mkdirSync(join(dir, 'contexts-1.texts'));
    const outcome = await store.applyRun(header('r2', 2), 'linked_audience', rows([member('a', { v: 'a2' })]), { emit: async () => undefined, settle: async () => undefined });
    expect(outcome).toMatchObject({ applied: true, notices: [expect.stringMatching(/^the run is applied, but the entity contexts' file of the profile state could not be compacted \(.*\); it keeps its dead texts/)] });
    rmSync(join(dir, 'contexts-1.texts'), { recursive: true });
    expect(await run(store, header('r3', 3), [member('a', { v: 'a3' })])).toEqual([]);
    expect(texts(dir)).toEqual(['contexts-1.texts']);
    expect(await run(store, header('r4', 4), [])).toEqual([['a', 'exited', { v: 'a3' }]]);
    await store.close();
  });

  it('says a full disk under the state is one, naming the folder, and that the run can be sent again', async () => {
    const dir = tempDir();
    const store = await EmbeddedProfileStore.open(dir);
    const write = fs.writeSync;
    fs.writeSync = (() => {
      throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    }) as typeof fs.writeSync;
    syncBuiltinESMExports();
    try {
      await expect(run(store, header('r1', 1), [member('a', { v: 'a1' })])).rejects.toThrow(/^the profile state in .+ could not be written: its disk is full \(ENOSPC: no space left on device, write\)\. Nothing of this run was applied.*run it again$/);
    } finally {
      fs.writeSync = write;
      syncBuiltinESMExports();
    }
    expect(await run(store, header('r1', 1), [member('a', { v: 'a1' })])).toEqual([['a', 'entered', { v: 'a1' }]]);
    await store.close();
  });

  it('takes over contexts a state kept in its rows before: read for an exit, moved to the file when a run restates them', async () => {
    const dir = tempDir();
    let store = await EmbeddedProfileStore.open(dir);
    await run(store, header('r1', 1), [member('a', { v: 1 }), member('b', { v: 2 })]);
    await store.close();
    // As a state written by an earlier version holds them: the text in the row, no hash, no place.
    const instance = await DuckDBInstance.create(join(dir, 'state.duckdb'));
    const db = await instance.connect();
    await db.run(`UPDATE memberships SET context = CASE profile_id WHEN 'a' THEN '{"v":1}' ELSE '{"v":2}' END, context_hash = NULL, context_at = NULL, context_len = NULL`);
    await db.run('UPDATE context_file SET length = 0');
    db.closeSync();
    instance.closeSync();
    rmSync(join(dir, 'contexts-0.texts'));
    store = await EmbeddedProfileStore.open(dir);
    // a restated as it was: no change, but its row now refers to the file; b exits with its old text.
    expect(await run(store, header('r2', 2), [member('a', { v: 1 })])).toEqual([['b', 'exited', { v: 2 }]]);
    await store.close();
    // b, gone, keeps no context: its exit carried it.
    expect(await stateRows(dir, `SELECT profile_id, context, context_at, context_len FROM memberships ORDER BY profile_id`)).toEqual([
      ['a', null, 0n, 7n],
      ['b', null, null, null],
    ]);
    expect(existsSync(join(dir, 'contexts-0.texts')) && size(dir, 'contexts-0.texts')).toBe(7);
  });

  it("takes over entities' contexts a state kept in its rows before: read for a removal, moved to the file when a run restates them", async () => {
    const dir = tempDir();
    let store = await EmbeddedProfileStore.open(dir);
    await run(store, header('r1', 1), [withEntities('a', { v: 1 }, [['x', { e: 1 }], ['y', { e: 2 }]])]);
    await store.close();
    const instance = await DuckDBInstance.create(join(dir, 'state.duckdb'));
    const db = await instance.connect();
    await db.run(`UPDATE entity_memberships SET context = CASE entity_id WHEN 'x' THEN '{"e":1}' ELSE '{"e":2}' END, context_hash = NULL, context_at = NULL, context_len = NULL`);
    db.closeSync();
    instance.closeSync();
    store = await EmbeddedProfileStore.open(dir);
    // x restated as it was: no change, but its row now refers to the file; y is removed with its old text.
    expect(await entityChanges(store, header('r2', 2), [withEntities('a', { v: 1 }, [['x', { e: 1 }]])])).toEqual([['a', 'entity_removed', 'y', { e: 2 }]]);
    await store.close();
    const file = readFileSync(join(dir, 'contexts-0.texts'), 'utf8');
    const stored = await stateRows(dir, 'SELECT entity_id, present, context, context_at, context_len FROM entity_memberships ORDER BY entity_id');
    expect(stored.map(([id, present, text, at, len]) => [id, present, text, at === null ? null : file.slice(Number(at), Number(at) + Number(len))])).toEqual([
      ['x', true, null, '{"e":1}'],
      ['y', false, null, null],
    ]);
  });
});
