import { copyFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Harness, removeHarnessDirs } from '@stowage/testkit';
import { RunFormatError, StowageError, UsageError } from '@stowage/core';
import { duckdbUnderTest } from './support/under-test.js';

const dut = duckdbUnderTest();
const computations = { vip: { type: 'audience' }, ltv: { type: 'trait' } };

/** The NDJSON line of an identify call, its message id and user id numbered. */
const call = (i: number) => JSON.stringify({ type: 'identify', messageId: `m${i}`, userId: `u${i}`, traits: { plan: 'pro' } });

afterAll(() => removeHarnessDirs());

describe('runs handed to one process at once', () => {
  // The profile state applies a run in one transaction of its connection: runs at once on one
  // instance shared it, and two instances on one state folder were two engines on its file, each
  // committing over the other: each run said it was applied, and only one's state was kept.
  it('are applied one after another, each kept, whether on one instance or two, with a sync meanwhile', async () => {
    const h = await Harness.create(dut, { computations });
    const other = await Harness.create(dut, { computations, reuse: { dir: h.dir, settings: h.settings } });
    // The two deltas completed at the same moment: either may be applied first (one stamped a
    // millisecond before the other, and applied after it, would be refused as out of order).
    const completedAt = new Date().toISOString();
    const outcomes = await Promise.all([
      h.run({ computation: 'vip', id: 'a1' }, [{ userId: 'u1' }, { userId: 'u2' }]),
      h.run({ computation: 'ltv', id: 'b1', kind: 'delta', completedAt }, [{ userId: 'u1', value: 5 }]),
      other.run({ computation: 'ltv', id: 'b2', kind: 'delta', completedAt }, [{ userId: 'u2', value: 7 }]),
      h.stowage.sync('wh'),
    ]);
    expect(outcomes.slice(0, 3).map((o) => (o as { applied: boolean }).applied)).toEqual([true, true, true]);
    // Each run's state is there (the two deltas in either order): sent again, nothing changes, and a snapshot of it all changes nothing.
    expect((await h.run({ computation: 'vip', id: 'a1' }, [{ userId: 'u1' }, { userId: 'u2' }])).applied).toBe(false);
    expect((await other.run({ computation: 'ltv', id: 'b3' }, [{ userId: 'u1', value: 5 }, { userId: 'u2', value: 7 }])).changes).toBe(0);
    await h.sync();
    expect(await h.rows('users', ['id', 'vip', 'ltv'])).toEqual([
      { id: 'u1', vip: true, ltv: 5 },
      { id: 'u2', vip: true, ltv: 7 },
    ]);
    await other.close();
    await h.close();
  });
});

describe("an activation's first write, while another process marks its table as holding rows", () => {
  // A flush in another process wrote into the table this run had just made, and marked it held
  // before this run ended: the run took the table it made for one the warehouse had lost, and
  // the next run queued every current member again, saying the table had been lost.
  it('does not take the table it made for one made again', async () => {
    const h = await Harness.create(dut, { computations: { carts: { type: 'linked_audience' } }, activations: { a: { computation: 'carts', table: 'carts' } } });
    const marker = join(h.stowage.config.stateDir, 'activated', 'default', 'a');
    const members = [{ userId: 'u1', entityContext: { cart_id: 'c1' } }, { userId: 'u2', entityContext: { cart_id: 'c2' } }];
    let marked = false;
    const first = await h.run({ computation: 'carts', id: 'r1' }, members, {
      onProgress: (p) => {
        // Committing: the run's rows are written, the table made; the other process's mark lands now.
        if (p.phase !== 'committing' || marked) return;
        writeFileSync(marker, JSON.stringify({ ...JSON.parse(readFileSync(marker, 'utf8')), held: true }));
        marked = true;
      },
    } as never);
    expect(marked).toBe(true);
    expect(first.activations[0]).toMatchObject({ written: 2 });
    expect(JSON.parse(readFileSync(marker, 'utf8')).lost).toBeUndefined();
    const second = await h.run({ computation: 'carts', id: 'r2' }, members);
    expect(second.notices.join('\n')).not.toContain('had lost its table');
    expect(second.events).toBe(0);
    await h.close();
  });
});

describe('a new activation started by runs of two instances on one state folder at once', () => {
  // Each instance read the activation's marker unset, and each queued every current member:
  // the table right in the end, but every member written twice over, counted as duplicates.
  it('queues its current members once', async () => {
    const linked = { carts: { type: 'linked_audience' } };
    const members = Array.from({ length: 50 }, (_, i) => ({ userId: `u${i}`, entityContext: { cart_id: `c${i}` } }));
    const h = await Harness.create(dut, { computations: linked });
    await h.run({ computation: 'carts', id: 'c0', completedAt: '2026-12-05T01:00:00.000Z' }, members);
    const activations = { a: { computation: 'carts', table: 'carts' } };
    const [a, b] = [await Harness.create(dut, { computations: linked, activations, reuse: { dir: h.dir, settings: h.settings } }), await Harness.create(dut, { computations: linked, activations, reuse: { dir: h.dir, settings: h.settings } })];
    // Two deltas of the same moment, entering no one new: either may be applied first.
    const completedAt = '2026-12-05T02:00:00.000Z';
    const results = await Promise.all([a.run({ computation: 'carts', id: 'd1', kind: 'delta', completedAt }, []), b.run({ computation: 'carts', id: 'd2', kind: 'delta', completedAt }, [])]);
    expect(results.map((r) => r.events).sort()).toEqual([0, 50]);
    expect(results.flatMap((r) => r.activations).reduce((n, o) => n + o.duplicates, 0)).toBe(0);
    expect(await a.rows('carts', ['user_id'], [], 'wh', 'default')).toHaveLength(50);
    await a.close();
    await b.close();
    await h.close();
  });
});

describe('close() while runs of the instance are under way', () => {
  // A run takes its Storage Actions turn, then the state's: close() took the state's turn alone,
  // resolved before the runs behind the first had begun, and they opened the state again.
  it('waits for every run started before it, and leaves the profile state closed', async () => {
    const h = await Harness.create(dut, { computations: { ...computations, carts: { type: 'linked_audience' } }, activations: { a: { computation: 'carts', table: 'carts' } } });
    const slow = (ids: string[]) =>
      (async function* () {
        for (const id of ids) {
          await new Promise((resolve) => setTimeout(resolve, 150));
          yield [{ profileId: id, userId: id, anonymousIds: [], emails: [], mobileIds: [], entityContext: { cart_id: id } }];
        }
      })();
    const runs = [
      h.stowage.applyRun({ space: 'default', computation: 'carts', id: 'c0' }, slow(['u1', 'u2'])),
      h.stowage.applyRun({ space: 'default', computation: 'vip', id: 'v0' }, slow(['u3', 'u4'])),
    ];
    let ended = 0;
    for (const run of runs) void run.then(() => ended++);
    await h.stowage.close();
    expect(ended).toBe(2);
    // Let go of: another process (here, an engine of its own) may open it.
    const { DuckDBInstance } = await import('@duckdb/node-api');
    (await DuckDBInstance.create(join(h.stowage.config.stateDir, 'state.duckdb'))).closeSync();
    await h.close();
  });
});

describe('a flush of the Storage Actions queue while a run of the same instance is under way', () => {
  // A run's write and the queue's may hold the same events (a run sent again while its events
  // wait in the queue): each looking past the other's uncommitted rows, both inserted them.
  it('waits for the run to end before it writes the queue', async () => {
    const h = await Harness.create(dut, { computations: { carts: { type: 'linked_audience' } }, activations: { a: { computation: 'carts', table: 'carts' } } });
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    try {
      async function* members() {
        yield [{ profileId: 'p1', userId: 'u1', anonymousIds: [], emails: [], mobileIds: [], entityContext: { cart_id: 'c1' } }];
        await gate;
      }
      const run = h.stowage.applyRun({ space: 'default', computation: 'carts', id: 'r1' }, members());
      let flushed = false;
      const flush = h.stowage.flush('wh').then(() => (flushed = true));
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(flushed).toBe(false);
      release();
      await run;
      await flush;
      expect(await h.rows('carts', ['user_id'], ['user_id'], 'wh', 'default')).toEqual([{ user_id: 'u1' }]);
    } finally {
      release();
      await h.close();
    }
  });
});

describe('a state folder restored from a backup older than the warehouse', () => {
  const call = (i: number) => ({ type: 'identify', messageId: `m${i}`, userId: `u${i}`, traits: { plan: 'pro' }, timestamp: '2026-11-23T10:00:00.000Z' });
  /** m1 loaded, the state folder backed up, m2 and m3 loaded, then the backup put back; `restore` puts it back again. */
  async function restoredBehind(h: Harness): Promise<() => void> {
    await h.calls([call(1)]);
    await h.sync();
    const state = join(h.dir, '.stowage');
    const backup = join(h.dir, 'backup');
    cpSync(state, backup, { recursive: true });
    await h.calls([call(2), call(3)]);
    await h.sync();
    const restore = () => {
      rmSync(state, { recursive: true });
      cpSync(backup, state, { recursive: true });
    };
    restore();
    return restore;
  }

  // The ledger had loaded the log past what the restored log held: the calls logged since were
  // skipped as loaded ("Success, 0 calls"), and later syncs read from the middle of a call.
  it('fails the sync, saying so and what to do, and loads nothing', async () => {
    const h = await Harness.create(dut, { computations });
    try {
      await restoredBehind(h);
      // One call after the restore: the log ends short of the ledger's cursor. A check tells it first.
      await h.calls([call(4)]);
      expect(await h.stowage.otherStates('wh')).toEqual([expect.stringMatching(/^engage_default's ledger has loaded this state's call log up to segment 0, byte \d+, which is not where any call of the log ends/)]);
      const short = await h.stowage.sync('wh');
      expect(short).toMatchObject({ status: 'Failure', calls: 0 });
      expect(short.error).toMatch(/^engage_default's ledger has loaded this state's call log up to segment 0, byte \d+, which is not where any call of the log ends \(it ends at segment 0, byte \d+\): the state folder .+ is older than the warehouse \(restored from a backup, say\)\. No call was loaded\. Restore the state folder and the warehouse from the same moment; or begin a new state: move .+ aside, `stowage claim wh`, then send each computation's current run again/);
      // A longer call: the log now reaches past the cursor, which falls inside it.
      await h.calls([{ ...call(5), traits: { plan: 'a longer plan than the calls before' } }]);
      expect(await h.stowage.sync('wh')).toMatchObject({ status: 'Failure', calls: 0, error: expect.stringContaining('which is not where any call of the log ends') });
      expect(await h.rows('identifies', ['user_id'])).toEqual([{ user_id: 'u1' }, { user_id: 'u2' }, { user_id: 'u3' }]);
    } finally {
      await h.close();
    }
  });

  // Calls of one shape are of one length: the calls logged since the restore reached the ledger's
  // cursor exactly, and were skipped as loaded ("Success, 0 calls").
  it('fails the sync where its new calls end at the ledger\'s cursor, by the message id of the call loaded last; the same calls logged again are the ones loaded', async () => {
    const h = await Harness.create(dut, { computations });
    try {
      const restore = await restoredBehind(h);
      await h.calls([call(4), call(5)]);
      const told = /^engage_default's ledger has loaded this state's call log up to segment 0, byte \d+, where the log's call "m5" ends, not the call the ledger loaded last \("m3"\): the state folder .+ is older than the warehouse \(restored from a backup, say\)\. No call was loaded\./;
      expect(await h.stowage.otherStates('wh')).toEqual([expect.stringMatching(told)]);
      const refused = await h.stowage.sync('wh');
      expect(refused).toMatchObject({ status: 'Failure', calls: 0 });
      expect(refused.error).toMatch(told);
      expect(await h.rows('identifies', ['user_id'])).toEqual([{ user_id: 'u1' }, { user_id: 'u2' }, { user_id: 'u3' }]);
      // The same calls logged again, in the same order: loaded already.
      restore();
      await h.calls([call(2), call(3), call(4)]);
      expect(await h.stowage.otherStates('wh')).toEqual([]);
      expect(await h.stowage.sync('wh')).toMatchObject({ status: 'Success', calls: 1 });
      expect(await h.rows('identifies', ['user_id'])).toEqual([{ user_id: 'u1' }, { user_id: 'u2' }, { user_id: 'u3' }, { user_id: 'u4' }]);
    } finally {
      await h.close();
    }
  });
});

describe('a Storage Actions run of a state folder restored from a backup older than the table', () => {
  // Its first attempt took its ids for new (no table could hold them, as far as the state knew)
  // and wrote, without a look, the entry of c3 that a run after the backup had written already.
  it('looks for its ids among all the rows and writes each change once, saying why', async () => {
    const h = await Harness.create(dut, { computations: { carts: { type: 'linked_audience' } }, activations: { a: { computation: 'carts', table: 'carts' } } });
    const member = (i: number) => ({ profileId: `p${i}`, userId: `u${i}`, entityContext: { cart_id: `c${i}` } });
    await h.run({ computation: 'carts', id: 'r1', completedAt: '2026-11-01T10:00:00.000Z' }, [member(1), member(2)]);
    const state = join(h.dir, '.stowage');
    const backup = join(h.dir, 'backup');
    cpSync(state, backup, { recursive: true });
    await h.run({ computation: 'carts', id: 'r2', completedAt: '2026-11-02T10:00:00.000Z' }, [member(1), member(2), member(3)]);
    rmSync(state, { recursive: true });
    cpSync(backup, state, { recursive: true });
    // Days later: the look by the run's own time alone would not reach r2's rows.
    const result = await h.run({ computation: 'carts', id: 'r3', completedAt: '2026-11-09T10:00:00.000Z' }, [member(1), member(2), member(3)]);
    expect(result.writes[0]).toMatchObject({ status: 'Success', duplicates: 1 });
    expect(result.writes[0]!.notices).toContain(
      "default.carts holds rows of runs later than any the profile state has applied (2026-11-01T10:00:00.000Z): the state folder is older than the table (restored from a backup, say), so the run's message ids may already be anywhere in it: it looked for each among all its rows before writing it (slower). Restore the state folder and the warehouse from one moment",
    );
    const rows = await h.rows('carts', ['user_id', 'personas_computation_run_id'], ['user_id'], 'wh', 'default');
    expect(rows).toEqual([
      { user_id: 'u1', personas_computation_run_id: 'r1' },
      { user_id: 'u2', personas_computation_run_id: 'r1' },
      { user_id: 'u3', personas_computation_run_id: 'r2' },
    ]);
    await h.close();
  });
});

describe('a profile state (state.duckdb) restored alone, older than the rest of its folder', () => {
  // It counted again the versions of changes the warehouse held: u2's return made the message ids
  // of its first entry, and the sync skipped them as copies ("Success", u2 still out of vip).
  it('refuses runs and tells `check`, saying so and what to do; marks behind the state, or a state begun anew, are fine', async () => {
    const open = (h?: Harness) => Harness.create(dut, { computations, ...(h ? { reuse: { dir: h.dir, settings: h.settings } } : {}) });
    const first = await open();
    const state = join(first.dir, '.stowage');
    const marks = join(state, 'runs', 'latest', 'default.json');
    const backup = join(first.dir, 'backup');
    mkdirSync(backup);
    await first.run({ computation: 'vip', id: 'r1' }, [{ userId: 'u1' }, { userId: 'u2' }]);
    await first.close();
    copyFileSync(join(state, 'state.duckdb'), join(backup, 'state.duckdb'));
    copyFileSync(marks, join(backup, 'marks.json'));

    const second = await open(first);
    await second.run({ computation: 'vip', id: 'r2' }, [{ userId: 'u1' }]);
    await second.sync();
    await second.close();
    // The marks behind the state: a crash after the state committed a run, before they were written.
    copyFileSync(marks, join(backup, 'marks-now.json'));
    copyFileSync(join(backup, 'marks.json'), marks);
    const behind = await open(first);
    expect(await behind.stowage.stateProblems()).toEqual([]);
    await behind.close();
    copyFileSync(join(backup, 'marks-now.json'), marks);

    rmSync(join(state, 'state.duckdb.wal'), { force: true });
    copyFileSync(join(backup, 'state.duckdb'), join(state, 'state.duckdb'));
    const restored = await open(first);
    const told = /the profile state .+state\.duckdb has not applied run r2 of vip, which this state folder records as applied by it \(runs\/latest\/default\.json\): state\.duckdb is older than the rest of the folder \(restored from a backup alone, say\)\. .+ Nothing was changed\. Put back the state\.duckdb \(with its contexts-\*\.texts\) that applied that run; or restore the whole state folder and the warehouses from one moment; or begin a new state: move .+ aside, `stowage claim <warehouse>` for each warehouse/;
    expect(await restored.stowage.stateProblems()).toEqual([expect.stringMatching(new RegExp(`^space "default": ${told.source}`))]);
    await expect(restored.run({ computation: 'vip', id: 'r3' }, [{ userId: 'u1' }, { userId: 'u2' }])).rejects.toThrow(new RegExp(`^run r3 of default/vip was not applied: ${told.source}`));
    // Another computation of the space as well: its message ids are made by the same old state.
    await expect(restored.run({ computation: 'ltv', id: 't1' }, [{ userId: 'u1', value: 3 }])).rejects.toThrow(/has not applied run r2 of vip/);
    await restored.close();

    // A state begun anew (state.duckdb gone): an epoch and message ids of its own; u2 enters again.
    rmSync(join(state, 'state.duckdb'));
    const anew = await open(first);
    expect(await anew.stowage.stateProblems()).toEqual([]);
    expect((await anew.run({ computation: 'vip', id: 'r3' }, [{ userId: 'u1' }, { userId: 'u2' }])).applied).toBe(true);
    await anew.sync();
    expect(await anew.rows('users', ['id', 'vip'])).toEqual([
      { id: 'u1', vip: true },
      { id: 'u2', vip: true },
    ]);
    await anew.close();
  });
});

describe('a profile that gains a userId while it stays in an audience', () => {
  // It made no change, so no call went to its userId: `users` left a current member out (or
  // null, "never in") until its membership next changed.
  it("sends the current value of each of its audiences and traits to the ids it gained, as identify calls; ids only reordered send nothing", async () => {
    const h = await Harness.create(dut, { computations });
    try {
      await h.run({ computation: 'vip', id: 'r1', completedAt: '2026-11-20T10:00:00.000Z' }, [{ profileId: 'p1', anonymousIds: ['x1', 'x2'] }]);
      await h.run({ computation: 'ltv', id: 't1', completedAt: '2026-11-20T11:00:00.000Z' }, [{ profileId: 'p1', anonymousIds: ['x1', 'x2'], value: 5 }]);
      await h.sync();
      expect([...(await h.tables()).keys()]).not.toContain('users');
      const gained = await h.run({ computation: 'vip', id: 'r2', completedAt: '2026-11-21T10:00:00.000Z' }, [{ profileId: 'p1', userId: 'u9', anonymousIds: ['x1', 'x2'] }]);
      expect(gained).toMatchObject({ changes: 0, calls: 2 });
      expect(gained.notices).toEqual(['1 profile gained a userId, an anonymous id or a mobile id: 2 current values of audiences and computed traits sent to the ids they now have, as identify calls (logged for the next sync)']);
      await h.sync();
      expect(await h.rows('users', ['id', 'vip', 'ltv'])).toEqual([{ id: 'u9', vip: true, ltv: 5 }]);
      // As they were made: at their own times, no event of now.
      expect(await h.rows('identifies', ['user_id', 'vip', 'ltv', 'timestamp'], ['timestamp'])).toEqual([
        { user_id: 'u9', vip: true, ltv: null, timestamp: '2026-11-20T10:00:00.000Z' },
        { user_id: 'u9', vip: null, ltv: 5, timestamp: '2026-11-20T11:00:00.000Z' },
      ]);
      expect([...(await h.tables()).keys()]).not.toContain('audience_entered');
      const reordered = await h.run({ computation: 'vip', id: 'r3', completedAt: '2026-11-22T10:00:00.000Z' }, [{ profileId: 'p1', userId: 'u9', anonymousIds: ['x2', 'x1'] }]);
      expect(reordered).toMatchObject({ changes: 0, calls: 0 });
      // An anonymous id gained beside a userId: calls go to the userId, which has them.
      expect(await h.run({ computation: 'vip', id: 'r4', completedAt: '2026-11-23T10:00:00.000Z' }, [{ profileId: 'p1', userId: 'u9', anonymousIds: ['x1', 'x2', 'x3'] }])).toMatchObject({ changes: 0, calls: 0 });
    } finally {
      await h.close();
    }
  });

  it('tells of no value sent where the computation sends no identify calls', async () => {
    const h = await Harness.create(dut, { computations: { vip: { type: 'audience', warehouses: { wh: { identify: false } } }, ltv: { type: 'trait' } } });
    try {
      await h.run({ computation: 'vip', id: 'r1' }, [{ profileId: 'p1', anonymousIds: ['x1'] }]);
      await h.run({ computation: 'ltv', id: 't1' }, [{ profileId: 'p1', anonymousIds: ['x1'], value: 5 }]);
      const gained = await h.run({ computation: 'vip', id: 'r2' }, [{ profileId: 'p1', userId: 'u9', anonymousIds: ['x1'] }]);
      // ltv's value goes to u9; vip sends identify calls nowhere, so its value is not said to be sent.
      expect(gained).toMatchObject({ changes: 0, calls: 1 });
      expect(gained.notices).toEqual(['1 profile gained a userId, an anonymous id or a mobile id: 1 current value of audiences and computed traits sent to the ids they now have, as identify calls (logged for the next sync)']);
    } finally {
      await h.close();
    }
  });

  it("leaves the run's own computation to the run where it changes the profile: a value changed or removed in the same run is what users shows", async () => {
    const h = await Harness.create(dut, { computations });
    try {
      const at = '2026-11-20T10:00:00.000Z';
      await h.run({ computation: 'ltv', id: 't1', kind: 'delta', completedAt: at }, [{ profileId: 'p1', anonymousIds: ['x1'], value: 5 }, { profileId: 'p2', anonymousIds: ['x2'], value: 6 }]);
      await h.run({ computation: 'vip', id: 'r1', kind: 'delta', completedAt: at }, [{ profileId: 'p1', anonymousIds: ['x1'] }]);
      // At the same moment: p1 gains u1 and a new value, p2 gains u2 and loses its value.
      await h.run({ computation: 'ltv', id: 't2', kind: 'delta', completedAt: at }, [{ profileId: 'p1', userId: 'u1', anonymousIds: ['x1'], value: 7 }, { profileId: 'p2', userId: 'u2', anonymousIds: ['x2'], value: null }]);
      await h.sync();
      expect(await h.rows('users', ['id', 'vip', 'ltv'])).toEqual([{ id: 'u1', vip: true, ltv: 7 }]);
    } finally {
      await h.close();
    }
  });

  it('counts an anonymous id as gained only where calls go to anonymous ids', async () => {
    const withAnonymous = { vip: { type: 'audience', warehouses: { wh: { includeAnonymous: true } } } };
    // With anonymous ids called: one call to each (x1's the one it had: loaded once).
    for (const [config, calls] of [[computations, 0], [withAnonymous, 2]] as const) {
      const h = await Harness.create(dut, { computations: config });
      try {
        await h.run({ computation: 'vip', id: 'r1', completedAt: '2026-11-20T10:00:00.000Z' }, [{ profileId: 'p1', anonymousIds: ['x1'] }]);
        expect(await h.run({ computation: 'vip', id: 'r2', completedAt: '2026-11-21T10:00:00.000Z' }, [{ profileId: 'p1', anonymousIds: ['x1', 'x2'] }])).toMatchObject({ changes: 0, calls });
      } finally {
        await h.close();
      }
    }
  });
});

describe('the library', () => {
  it("reads a run's header as a run file's is, defaults filled in and a bad field refused before anything is applied", async () => {
    const h = await Harness.create(dut, { computations });
    async function* profiles() {
      yield [{ profileId: 'u1', userId: 'u1', anonymousIds: [], emails: [], mobileIds: [] }];
    }
    // No kind, no completedAt: a snapshot, completed now.
    const applied = await h.stowage.applyRun({ space: 'default', computation: 'vip', id: 'r1' }, profiles());
    expect(applied).toMatchObject({ applied: true, changes: 1 });
    await expect(h.stowage.applyRun({ space: 'default', computation: 'vip', id: 'r2', kind: 'full' as never }, profiles())).rejects.toThrow('kind must be "snapshot" or "delta", not "full"');
    await expect(h.stowage.applyRun({ space: 'default', computation: 'vip', id: 'r3', completedAt: '2026-02-30T00:00:00Z' }, profiles())).rejects.toThrow(/completedAt must be an ISO-8601 date-time .* \(2026-02-30T00:00:00 is no day and time of the calendar\)/);
    // A chunk that is no array is said as such (the progress count read its length first, a bare TypeError).
    const nullChunk = async function* () {
      yield null as never;
    };
    await expect(h.stowage.applyRun({ space: 'default', computation: 'vip', id: 'r3' }, nullChunk())).rejects.toThrow('chunk 1 is null; nothing of this run was applied');
    // Profiles that are no iterable at all (a promise of them, a count), said as such: it was a bare TypeError.
    for (const [given, what] of [[undefined, 'undefined'], [5, 'number'], [Promise.resolve([]), 'object']] as const) {
      await expect(h.stowage.applyRun({ space: 'default', computation: 'vip', id: 'r3' }, given as never)).rejects.toThrow(new RunFormatError(`The run's profiles must come in chunks: an iterable of arrays of profiles (\`[[p1, p2], [p3]]\`, or an async generator yielding arrays), not ${what}; nothing of this run was applied`));
    }
    // A Date is said as such: quoted as its ISO text, the refusal read as the very thing it asks for.
    await expect(h.stowage.applyRun({ space: 'default', computation: 'vip', id: 'r3', completedAt: new Date('2030-01-01') as never }, profiles())).rejects.toThrow(
      'completedAt must be an ISO-8601 date-time of the years 0001 to 9999, written as a string, not a Date object (pass its toISOString())',
    );
    expect((await h.stowage.applyRun({ space: 'default', computation: 'vip', id: 'r3' }, profiles())).changes).toBe(0);
    await h.close();
  });

  it('refuses a wait for the profile state that is no number of milliseconds, which never ran out', async () => {
    const h = await Harness.create(dut, { computations });
    await h.run({ computation: 'vip', id: 'r1' }, [{ userId: 'u1' }]);
    await h.stowage.close();
    for (const waitMs of [NaN, -1, Infinity, '5000' as never]) {
      await expect(h.stowage.stateProblems(waitMs), String(waitMs)).rejects.toThrow(UsageError);
    }
    await expect(h.stowage.stateProblems(NaN)).rejects.toThrow('stateProblems(waitMs): waitMs must be a number of milliseconds, 0 or more, not NaN');
    expect(await h.stowage.stateProblems(0)).toEqual([]);
    await h.close();
  });

  it('says which call log it could not write (a full disk), how many calls it kept, and that sending them again is safe', async () => {
    const h = await Harness.create(dut, { computations });
    const lines = async function* (from: number, to: number) {
      for (let i = from; i <= to; i++) yield call(i);
    };
    expect((await h.stowage.ingestCalls('default', lines(1, 3))).accepted).toBe(3);
    // The log's segment made unwritable: a folder where its file was.
    const log = join(h.stowage.config.stateDir, 'log', 'wh', 'default');
    rmSync(join(log, '0000000000.ndjson'));
    mkdirSync(join(log, '0000000000.ndjson'));
    await expect(h.stowage.ingestCalls('default', lines(4, 5))).rejects.toThrow(
      new RegExp(`^The call log ${log.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} could not be written \\(EISDIR: .*\\): 0 calls were logged and are kept, the 2 read after them were not; make room \\(or make the folder writable\\), then send the same lines again`),
    );
    await h.close();
  });

  it('says both failures when reading the calls failed and the log could not take those read before, and which logs may lack them', async () => {
    // Two warehouses: the calls go to both logs; the second one's cannot be written.
    const h = await Harness.create(dut, { computations, more: ['other'] });
    expect((await h.stowage.ingestCalls('default', (async function* () { yield call(1); })())).accepted).toBe(1);
    const log = join(h.stowage.config.stateDir, 'log', 'other', 'default');
    rmSync(join(log, '0000000000.ndjson'));
    mkdirSync(join(log, '0000000000.ndjson'));
    async function* brokenInput() {
      yield call(2);
      yield call(3);
      throw new Error('the connection was reset');
    }
    await expect(h.stowage.ingestCalls('default', brokenInput())).rejects.toThrow(
      new RegExp(`^The call log ${log.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} could not be written \\(EISDIR: .*\\), once reading the calls had failed after line 2 \\(the connection was reset\\): 0 calls were logged and are kept, the 2 read after them were not \\(or not in every warehouse's log\\); make room`),
    );
    await h.close();
  });

  it('refuses a line that is no text among the calls it ingests, and keeps what it accepted when the lines stop coming', async () => {
    const h = await Harness.create(dut, { computations });
    async function* mixed() {
      yield call(1);
      yield { not: 'a line' } as unknown as string;
      // A line's bytes are taken too, once they are found to be UTF-8.
      yield Buffer.from(call(2));
      yield Buffer.concat([Buffer.from(call(4).slice(0, -3)), Buffer.from([0xff]), Buffer.from('"}}')]);
    }
    const result = await h.stowage.ingestCalls('default', mixed());
    expect(result).toMatchObject({
      accepted: 2,
      rejected: 2,
      errors: [
        { line: 2, error: 'a line must be a string of JSON text (or its UTF-8 bytes), not object' },
        { line: 4, error: expect.stringMatching(/^not valid UTF-8: byte \d+ \(0xFF\) begins no character/) },
      ],
    });
    async function* broken() {
      yield call(3);
      throw new Error('the socket closed');
    }
    await expect(h.stowage.ingestCalls('default', broken())).rejects.toThrow('Reading the calls failed after line 1 (1 calls logged, 0 rejected): the socket closed');
    expect(await h.sync()).toMatchObject({ status: 'Success', rows: { identifies: 3 } });
    await h.close();
  });
});

describe('calls handed over as one string, one buffer, or no iterable at all', () => {
  // A string or a Buffer is iterable, by character or byte: each was rejected as a line (a file
  // read whole, a few hundred thousand rejections and nothing accepted); null failed as a TypeError's words.
  it('are refused before any is read, saying to hand over lines', async () => {
    const h = await Harness.create(dut, { computations });
    const text = `${call(1)}\n${call(2)}\n`;
    for (const given of [text, Buffer.from(text), null, 5]) {
      const error = await h.stowage.ingestCalls('default', given as never).catch((e: unknown) => e);
      expect(error, String(given)).toBeInstanceOf(UsageError);
      expect((error as Error).message, String(given)).toMatch(/^The calls must come as lines.*: hand over an iterable of lines, one call each .*; nothing was logged$/);
    }
    await expect(h.stowage.ingestCalls('default', text as never)).rejects.toThrow("The calls must come as lines, not as one string, which would be read a character at a time: hand over an iterable of lines, one call each (an async generator, a readline interface, an array of strings or of their bytes), such as `text.split('\\n')`; nothing was logged");
    expect(await h.stowage.ingestCalls('default', text.split('\n'))).toEqual({ accepted: 2, rejected: 0, errors: [] });
    await h.close();
  });
});

describe('the next sync asked after something that is no Date of a moment', () => {
  // Date.now(), or a Date of text that is no time, failed as croner's TypeError ("CronDate: Invalid type (number) passed to CronDate constructor").
  it('is a UsageError saying what to pass', async () => {
    const h = await Harness.create(dut, { computations });
    for (const after of [Date.now(), new Date('not a time'), null, {}]) {
      expect(() => h.stowage.nextSync('wh', after as never), String(after)).toThrow(UsageError);
    }
    expect(() => h.stowage.nextSync('wh', 1_700_000_000_000 as never)).toThrow('nextSync(warehouse, after): after must be a Date of a moment, not a number (1700000000000): pass new Date(ms)');
    expect(() => h.stowage.nextSync('wh', new Date('x'))).toThrow('nextSync(warehouse, after): after must be a Date of a moment, not an Invalid Date');
    expect(h.stowage.nextSync('wh', new Date('2026-01-01T00:30:00Z'))).toBeInstanceOf(Date);
    await h.close();
  });
});

describe("a sync's or a flush's trigger that is no line of text", () => {
  // Stored as given: `history` printed `[object Object]` or `5`, and a flush named `run r1` was counted among run r1's own write attempts.
  it('is a UsageError before anything is written, and a good one names the sync in the history', async () => {
    const h = await Harness.create(dut, { computations });
    for (const trigger of [5, {}, null, '', 'two\nlines', 'x'.repeat(201)]) {
      await expect(h.stowage.sync('wh', { trigger } as never), String(trigger)).rejects.toThrow(UsageError);
      await expect(h.stowage.flush('wh', { trigger } as never), String(trigger)).rejects.toThrow(UsageError);
    }
    await expect(h.stowage.sync('wh', { trigger: {} } as never)).rejects.toThrow('sync(warehouse, { trigger }): trigger names the sync in the history: a line of text of 1 to 200 characters, not an object');
    await expect(h.stowage.flush('wh', { trigger: 'run r1' })).rejects.toThrow(`flush(warehouse, { trigger }): a trigger "run <id>" names a run's own writes in the history, not a flush's: name it otherwise (not "run r1")`);
    expect(h.stowage.history.list()).toEqual([]);
    expect((await h.stowage.sync('wh', { trigger: 'nightly job' })).trigger).toBe('nightly job');
    await h.close();
  });
});

describe('a line over the size limit', () => {
  // Measured before it is decoded or parsed: a line past what a string holds (~512 MB, a file
  // with one runaway line) was decoded first, which threw, and the ingest stopped there: every
  // line after it was lost. Here a line of 600 KB stands for it: refused by its size, not for
  // its bytes or its JSON, which are not read at all.
  it('is refused by its size before it is decoded or parsed, and the lines after it are kept', async () => {
    const h = await Harness.create(dut, { computations });
    const big = Buffer.concat([Buffer.from('{"type":"identify","userId":"b","traits":{"s":"'), Buffer.alloc(600_000, 0x78), Buffer.from([0xff]), Buffer.from('"}}')]);
    async function* lines() {
      yield Buffer.from(call(1));
      yield big;
      yield 'x'.repeat(600_000);
      yield Buffer.from(call(2));
    }
    const result = await h.stowage.ingestCalls('default', lines());
    expect(result).toMatchObject({
      accepted: 2,
      rejected: 2,
      errors: [
        { line: 2, error: `the call is ${big.length} bytes; the limit is 524288` },
        { line: 3, error: 'the call is 600000 bytes; the limit is 524288' },
      ],
    });
    expect(await h.sync()).toMatchObject({ status: 'Success', rows: { identifies: 2 } });
    await h.close();
  });
});

describe('a byte-order mark before the first line', () => {
  it('is no character of the call, whether the line comes as text or as bytes, as `stowage ingest` reads a file', async () => {
    const h = await Harness.create(dut, { computations });
    expect(await h.stowage.ingestCalls('default', (async function* () {
      yield `\ufeff${call(1)}`;
      yield call(2);
    })())).toMatchObject({ accepted: 2, rejected: 0 });
    expect(await h.stowage.ingestCalls('default', (async function* () {
      yield Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(call(3))]);
      // Past the first line, it is the line's own: JSON refuses it.
      yield `\ufeff${call(4)}`;
    })())).toMatchObject({ accepted: 1, rejected: 1, errors: [{ line: 2, error: expect.stringMatching(/^not valid JSON/) }] });
    expect(await h.sync()).toMatchObject({ status: 'Success', rows: { identifies: 3 } });
    await h.close();
  });
});

describe('an activation pointed at another computation', () => {
  it("starts with that computation's current members, as a new activation does", async () => {
    const computations = { carts: { type: 'linked_audience' }, carts2: { type: 'linked_audience' } };
    const h = await Harness.create(dut, { computations, activations: { a: { computation: 'carts', table: 't' } } });
    await h.run({ computation: 'carts', id: 'c1' }, [{ userId: 'k0', entityContext: { cart_id: 'c0' } }]);
    // carts2 has members while no activation writes it.
    await h.run({ computation: 'carts2', id: 'd1' }, [{ userId: 'k1', entityContext: { cart_id: 'c1' } }, { userId: 'k2', entityContext: { cart_id: 'c2' } }]);
    await h.close();
    const moved = await Harness.create(dut, { computations, activations: { a: { computation: 'carts2', table: 't' } }, reuse: { dir: h.dir, settings: h.settings } });
    await moved.run({ computation: 'carts2', id: 'd2' }, [{ userId: 'k1', entityContext: { cart_id: 'c1' } }, { userId: 'k2', entityContext: { cart_id: 'c2' } }, { userId: 'k3', entityContext: { cart_id: 'c3' } }]);
    const rows = await moved.rows('t', ['user_id', 'event_name', 'personas_computation_key'], ['personas_computation_key', 'user_id'], 'wh', 'default');
    expect(rows).toEqual([
      { user_id: 'k0', event_name: 'Audience Entered', personas_computation_key: 'carts' },
      { user_id: 'k1', event_name: 'Audience Entered', personas_computation_key: 'carts2' },
      { user_id: 'k2', event_name: 'Audience Entered', personas_computation_key: 'carts2' },
      { user_id: 'k3', event_name: 'Audience Entered', personas_computation_key: 'carts2' },
    ]);
    await moved.close();
  });
});

describe('an activation removed from the configuration and added back', () => {
  // The runs in between wrote nothing for it: members who entered meanwhile never got a row, and
  // nothing said so.
  it('starts over with its current members, each written once, saying which run it missed', async () => {
    const computations = { carts: { type: 'linked_audience' } };
    const activations = { a: { computation: 'carts', table: 't' } };
    const member = (id: string) => ({ userId: id, entityContext: { cart_id: `c_${id}` } });
    const h = await Harness.create(dut, { computations, activations });
    await h.run({ computation: 'carts', id: 'r1' }, [member('k1'), member('k2')]);
    await h.close();
    const removed = await Harness.create(dut, { computations, reuse: { dir: h.dir, settings: h.settings } });
    // k3 enters and k2 exits while no activation writes the computation.
    await removed.run({ computation: 'carts', id: 'r2' }, [member('k1'), member('k3')]);
    await removed.run({ computation: 'carts', id: 'r3' }, [member('k1'), member('k3')]);
    await removed.close();
    const back = await Harness.create(dut, { computations, activations, reuse: { dir: h.dir, settings: h.settings } });
    const result = await back.run({ computation: 'carts', id: 'r4' }, [member('k1'), member('k3'), member('k4')]);
    expect(result.notices.join('\n')).toContain(
      'activation "a": it was not configured while run r2 of computation "carts" and any later ones were applied, which wrote nothing to default.t: its 2 current members were queued again',
    );
    expect(result.notices.join('\n')).toContain('members who exited meanwhile have no exit row in it');
    const rows = await back.rows('t', ['user_id', 'event_name'], ['user_id', 'event_name'], 'wh', 'default');
    expect(rows).toEqual([
      { user_id: 'k1', event_name: 'Audience Entered' },
      { user_id: 'k2', event_name: 'Audience Entered' },
      { user_id: 'k3', event_name: 'Audience Entered' },
      { user_id: 'k4', event_name: 'Audience Entered' },
    ]);
    // Started over: the next run says nothing of it, and writes only its own changes.
    const next = await back.run({ computation: 'carts', id: 'r5' }, [member('k1'), member('k4')]);
    expect(next.notices.join('\n')).not.toContain('was not configured');
    expect(next.events).toBe(1);
    await back.close();
  });

  it('starts over though a flush wrote its queued rows after it was added back, before its first run', async () => {
    // Its first rows stayed queued (its schema missing), so its marker was not held yet; the flush
    // that wrote them once it was back marked it held anew, and forgot the runs it had missed.
    const computations = { carts: { type: 'linked_audience' } };
    const activations = { a: { computation: 'carts', table: 't', schema: 'archive' } };
    const member = (id: string) => ({ userId: id, entityContext: { cart_id: `c_${id}` } });
    const h = await Harness.create(dut, { computations, activations });
    await h.run({ computation: 'carts', id: 'r1' }, [member('k1')]);
    await h.close();
    const removed = await Harness.create(dut, { computations, reuse: { dir: h.dir, settings: h.settings } });
    await removed.run({ computation: 'carts', id: 'r2' }, [member('k1'), member('k2')]);
    await removed.close();
    const back = await Harness.create(dut, { computations, activations, reuse: { dir: h.dir, settings: h.settings } });
    await back.execute('CREATE SCHEMA archive');
    const [flush] = await back.stowage.flush('wh');
    expect(flush!.record).toMatchObject({ status: 'Success', rows: { 'archive.t': 1 } });
    const result = await back.run({ computation: 'carts', id: 'r3' }, [member('k1'), member('k2'), member('k3')]);
    expect(result.notices.join('\n')).toContain('activation "a": it was not configured while run r2 of computation "carts" and any later ones were applied');
    expect(await back.rows('t', ['user_id'], ['user_id'], 'wh', 'archive')).toEqual([{ user_id: 'k1' }, { user_id: 'k2' }, { user_id: 'k3' }]);
    await back.close();
  });

  it('of a journey step says which run it missed, whose entries its table lacks', async () => {
    const computations = { welcome: { type: 'journey_step' } };
    const activations = { j: { computation: 'welcome', table: 'steps' } };
    const h = await Harness.create(dut, { computations, activations });
    await h.run({ computation: 'welcome', id: 'w1', kind: 'delta' }, [{ userId: 'u1' }]);
    await h.close();
    const removed = await Harness.create(dut, { computations, reuse: { dir: h.dir, settings: h.settings } });
    await removed.run({ computation: 'welcome', id: 'w2', kind: 'delta' }, [{ userId: 'u2' }]);
    await removed.close();
    const back = await Harness.create(dut, { computations, activations, reuse: { dir: h.dir, settings: h.settings } });
    const result = await back.run({ computation: 'welcome', id: 'w3', kind: 'delta' }, [{ userId: 'u3' }]);
    expect(result.notices).toContain(
      'activation "j": it was not configured while run w2 of computation "welcome" and any later ones were applied, which wrote nothing to default.steps: a journey step has no current members to write again; the entries of those runs are not in its table',
    );
    expect(await back.rows('steps', ['user_id'], ['user_id'], 'wh', 'default')).toEqual([{ user_id: 'u1' }, { user_id: 'u3' }]);
    await back.close();
  });
});

describe('a profile handed over in code', () => {
  it('with a value that is no JSON number (NaN, Infinity) refuses the run, which would have read it as a removed value', async () => {
    const h = await Harness.create(dut, { computations });
    const run = (id: string, value: number) =>
      h.stowage.applyRun({ space: 'default', computation: 'ltv', id }, (async function* () {
        yield [{ profileId: 'u1', userId: 'u1', anonymousIds: [], emails: [], mobileIds: [], value }];
      })());
    expect((await run('t1', 5)).changes).toBe(1);
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY]) await expect(run(`t-${bad}`, bad)).rejects.toThrow(/profile "u1" has the value (NaN|Infinity), which is no JSON number .* nothing of this run was applied/);
    // Nothing of them was applied: the value is still there, and the next run of it changes nothing.
    expect((await run('t2', 5)).changes).toBe(0);
    await h.close();
  });
});

describe("a caller's progress callback that fails", () => {
  // An `async` callback's rejection went unhandled (Node ended the service's process), and a sync
  // whose callback threw was recorded as a Failure though its batches were committed.
  it('never stops the work it reports on: thrown or rejected, in a run, a sync and a flush', async () => {
    const activations = { a: { computation: 'carts', table: 'carts', schema: 'archive' } };
    const h = await Harness.create(dut, { computations: { ...computations, carts: { type: 'linked_audience' } }, activations });
    const calls = { rejected: 0, thrown: 0 };
    const rejected = async () => {
      calls.rejected++;
      return Promise.reject(new Error('metrics down'));
    };
    const thrown = () => {
      calls.thrown++;
      throw new Error('metrics down');
    };
    expect(await h.run({ computation: 'vip', id: 'r1' }, [{ userId: 'u1' }], { onProgress: rejected } as never)).toMatchObject({ applied: true, changes: 1 });
    // The activation's schema is missing: its event waits in the queue, for the flush below.
    expect(await h.run({ computation: 'carts', id: 'c1' }, [{ userId: 'u1', entityContext: { cart_id: 'c1' } }], { onProgress: thrown } as never)).toMatchObject({ applied: true, changes: 1 });
    const before = { ...calls };
    expect(await h.stowage.sync('wh', { onProgress: thrown })).toMatchObject({ status: 'Success', calls: 2 });
    await h.run({ computation: 'vip', id: 'r2' }, [{ userId: 'u1' }, { userId: 'u2' }]);
    expect(await h.stowage.sync('wh', { onProgress: rejected })).toMatchObject({ status: 'Success', calls: 2 });
    expect(calls.thrown).toBeGreaterThan(before.thrown);
    expect(calls.rejected).toBeGreaterThan(before.rejected);
    await h.execute('CREATE SCHEMA archive');
    const flushing = calls.rejected;
    const [flushed] = await h.stowage.flush('wh', { onProgress: rejected });
    expect(flushed?.activations[0]).toMatchObject({ written: 1 });
    expect(calls.rejected).toBeGreaterThan(flushing);
    // The rejections are dropped, not left to the process: a turn for any to surface.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await h.rows('users', ['id', 'vip'])).toEqual([{ id: 'u1', vip: true }, { id: 'u2', vip: true }]);
    expect(await h.rows('carts', ['user_id'], ['user_id'], 'wh', 'archive')).toEqual([{ user_id: 'u1' }]);
    await h.close();
  });
});

describe('a name that only an object prototype holds (toString, constructor)', () => {
  // Looked up as plain properties, `constructor` was a configured space, computation or
  // warehouse: a run crashed with a TypeError or a DuckDB error ("Cannot create values of type
  // ANY"), a sync recorded a Failure under the warehouse "Object", and a flush said nothing to do.
  it('is refused as any name not configured', async () => {
    const h = await Harness.create(dut, { computations });
    async function* profiles() {
      yield [{ profileId: 'u1', userId: 'u1', anonymousIds: [], emails: [], mobileIds: [] }];
    }
    await expect(h.stowage.applyRun({ space: 'constructor', computation: 'vip', id: 'r1' }, profiles())).rejects.toThrow('Unknown space "constructor"; configured: default');
    for (const computation of ['constructor', 'toString', '__proto__']) {
      await expect(h.stowage.applyRun({ space: 'default', computation, id: 'r1' }, profiles())).rejects.toThrow(`Unknown computation "${computation}" in space "default"`);
    }
    for (const name of ['toString', 'constructor', '__proto__']) {
      await expect(h.stowage.sync(name)).rejects.toThrow(`No warehouse named "${name}"; configured: wh`);
      await expect(h.stowage.flush(name)).rejects.toThrow(`No warehouse named "${name}"`);
      await expect(h.stowage.claimWarehouse(name)).rejects.toThrow(`No warehouse named "${name}"`);
      await expect(h.stowage.otherStates(name)).rejects.toThrow(`No warehouse named "${name}"`);
      expect(() => h.stowage.queuedSpaces(name)).toThrow(`No warehouse named "${name}"`);
      expect(() => h.stowage.queueEnd(name, 'default')).toThrow(UsageError);
      // A space misspelt has no queue: its end was '', which no flush's heldUntilConfigured ever matched.
      expect(() => h.stowage.queueEnd('wh', name)).toThrow(new UsageError(`No space named "${name}"; configured: default`));
    }
    expect(() => h.stowage.queueEnd('wh', 'defualt')).toThrow(UsageError);
    expect(h.stowage.history.list()).toEqual([]);
    expect((await h.stowage.applyRun({ space: 'default', computation: 'vip', id: 'r1' }, profiles())).applied).toBe(true);
    await h.close();
  });
});

describe('calls ingested for a space no warehouse loads', () => {
  // They were counted as accepted (`accepted 1 calls for space default`, exit 0) and logged
  // nowhere: a warehouse that loads the space later never received them.
  it('are refused before any is read, saying why and what to do', async () => {
    const h = await Harness.create(dut, { computations, warehouse: { spaces: [] } });
    let read = 0;
    async function* lines() {
      read++;
      yield JSON.stringify({ type: 'identify', userId: 'u1', traits: { plan: 'pro' } });
    }
    const error = await h.stowage.ingestCalls('default', lines()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toMatch(/^No warehouse loads space "default" \(none lists it in its "spaces"\): its calls would be kept nowhere/);
    expect(read).toBe(0);
    await h.close();
  });
});

describe('a warehouse that cannot be reached, asked about by the library', () => {
  // claimWarehouse, otherStates and refusedCalls threw the driver's plain Error: not a StowageError, which library.md says "a warehouse that failed" is.
  it('is a StowageError', async () => {
    const h = await Harness.create(dut, { computations, settings: await dut.unreachable(mkdtempSync(join(tmpdir(), 'unreachable-'))) });
    for (const ask of [() => h.stowage.claimWarehouse('wh'), () => h.stowage.otherStates('wh'), () => h.stowage.refusedCalls('wh', 'default')]) {
      await expect(ask()).rejects.toBeInstanceOf(StowageError);
    }
    await h.close();
  });
});

describe("a computed trait's valueType, configured after the syncing process read its configuration", () => {
  // `stowage serve` reads its configuration once: a trait configured since, whose first run
  // `stowage run` applied with the new configuration, had its columns made from its first value
  // by serve's next sync (a bigint for 12, where `valueType: "double"` was declared; a varchar,
  // for good, for "12").
  it('makes the columns with the type the run was applied with', async () => {
    const h = await Harness.create(dut, { computations: { vip: { type: 'audience' } } });
    const later = await Harness.create(dut, { computations: { vip: { type: 'audience' }, revenue: { type: 'trait', valueType: 'double' }, visits: { type: 'trait' } }, reuse: { dir: h.dir, settings: h.settings } });
    await later.run({ computation: 'revenue', id: 'r1' }, [{ userId: 'u1', value: 450 }, { userId: 'u2', value: '12' }]);
    await later.run({ computation: 'visits', id: 'v1' }, [{ userId: 'u1', value: 3 }]);
    expect(await h.stowage.sync('wh')).toMatchObject({ status: 'Success', rejects: 0 });
    for (const table of ['identifies', 'users', 'trait_computed']) expect(await h.columnTypes(table), table).toMatchObject({ revenue: 'double', visits: 'bigint' });
    expect(await h.rows('users', ['id', 'revenue'])).toEqual([
      { id: 'u1', revenue: 450 },
      { id: 'u2', revenue: 12 },
    ]);
    await later.close();
    await h.close();
  });
});
