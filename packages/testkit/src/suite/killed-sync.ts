import { beforeAll, describe, expect, it } from 'vitest';
import { LEDGER_TABLE, LoadedKeys, loadedKeysDir, REJECTS_TABLE, STATES_TABLE } from '@stowage/core';
import { runChild } from '../child/run-child.js';
import { dialectFingerprint, type ChildAction, type ChildRun, type ChildTask } from '../child/task.js';
import { Harness, identify, track, type DestinationUnderTest, type HarnessOptions } from '../harness.js';
import { strictTable } from './refused-calls.js';

const at = (minute: number) => `2026-11-23T10:${String(minute).padStart(2, '0')}:00.000Z`;
/** Days after the runs: past the margin the look for a message id keeps around a chunk's times. */
const LATER = '2026-11-27T10:00:00.000Z';
/** Times after r1's (at(0)) and before r2's (at(1)): a computation's runs are applied in the order they completed. */
const AFTER_R1 = '2026-11-23T10:00:20.000Z';
const LATER_AFTER_R1 = '2026-11-23T10:00:40.000Z';

/**
 * Classic: six batches of eight calls, so that a kill lands between batches as well as inside one.
 * Where tables have no key index, the sync looks its message ids up twenty calls at a time: a kill
 * also lands between a window's look and its batches, and the sync run again looks again.
 */
const CLASSIC: Omit<HarnessOptions, 'reuse' | 'more'> = { batchSize: 8, keyWindow: 20 };

/**
 * The same sync as a first sync into empty tables makes it, where tables have no key index: no
 * look before the batches, each batch hashing its own calls into the index of loaded ids (and
 * looking for its ids in its table). Synced again, the index holds the ids of a batch killed
 * before its commit, and the look asks the tables about them.
 */
const CLASSIC_FIRST: Omit<HarnessOptions, 'reuse' | 'more'> = { batchSize: 8 };

/**
 * Calls that exercise every rule the writer holds across batches: users from calls whose
 * timestamps run backwards, columns and a table first seen in later batches, a fraction where
 * integers were (widened or quarantined, as the warehouse can), a word where a number was,
 * an anonymous call, and calls sent again (one of them changed).
 */
function classicCalls(): object[] {
  const calls: object[] = [];
  for (let i = 0; i < 42; i++) {
    const ids = { messageId: `c${i}`, receivedAt: at(i), timestamp: at(i % 2 === 1 ? 59 - i : i) };
    if (i % 3 === 2) {
      calls.push(track(`u${i % 5}`, i < 30 ? 'Order Completed' : 'Plan Upgraded', { total: i, items: [i, i + 1], ...(i > 20 ? { coupon: `C${i}` } : {}) }, ids));
    } else {
      calls.push(identify(`u${i % 5}`, { plan: `p${i}`, seats: i, address: { city: `c${i % 3}` }, ...(i > 12 ? { later: `v${i}` } : {}) }, ids));
    }
  }
  calls.push(identify('u1', { seats: 2.5 }, { messageId: 'c-fraction', receivedAt: at(50), timestamp: at(50) }));
  calls.push(identify('u2', { seats: 'many' }, { messageId: 'c-word', receivedAt: at(51), timestamp: at(51) }));
  calls.push(identify(null, { plan: 'anonymous' }, { anonymousId: 'a1', messageId: 'c-anonymous', receivedAt: at(52), timestamp: at(52) }));
  // Sent again: two as they were, one with other values (a word where a number was, a new key),
  // which the copy, skipped, must leave out of the tables as an uninterrupted sync does.
  calls.push(calls[3]!, { ...calls[20]!, properties: { total: 'lots', gift_wrap: true } }, calls[40]!);
  return calls;
}

/** Storage Actions: a linked audience with a mapped column and a quarantined context, and an audience, over three runs. */
const ACTIONS: Omit<HarnessOptions, 'reuse' | 'more'> = {
  computations: { carts: { type: 'linked_audience' }, vip: { type: 'audience' } },
  activations: {
    carts_a: { computation: 'carts', table: 'carts', maxEntityContextBytes: 300, columns: { cart_total: { '@path': '$.properties.data_graph_entity_context.total' } } },
    vip_a: { computation: 'vip', table: 'members' },
  },
};

function actionRuns(): ChildRun[] {
  const cart = (i: number) => ({ userId: `u${i}`, entityContext: { cart_id: `c${i}`, total: i * 1.5, ...(i === 11 ? { notes: 'x'.repeat(400) } : {}) } });
  return [
    { header: { computation: 'carts', id: 'r1', completedAt: at(0) }, profiles: [...Array.from({ length: 12 }, (_, i) => cart(i)), { userId: 'u20', entities: [{ id: 'e1', context: { cart_id: 'e1' } }] }] },
    { header: { computation: 'carts', id: 'r2', completedAt: at(1) }, profiles: [...[0, 1, 2, 3, 4, 5, 12, 13, 14].map(cart), { userId: 'u20', entities: [{ id: 'e2', context: { cart_id: 'e2' } }] }] },
    { header: { computation: 'vip', id: 'r3', completedAt: at(2) }, profiles: Array.from({ length: 8 }, (_, i) => ({ userId: `u${i}` })) },
  ];
}

/** A schema as comparable data: per table its columns with their types, and its rows, in a stable order. */
type Snapshot = Record<string, { columns: string[]; rows: string[] }>;

/** Columns that record when, or by which sync, a row was loaded: they differ between any two syncs. */
const LOAD_TIME: Record<string, readonly string[]> = { [REJECTS_TABLE]: ['sync_id', 'rejected_at'] };

/** Every table of a schema but the ledger (which records the syncs themselves), every column but load times (and `alsoSkipped`'s). */
async function snapshot(h: Harness, schema: string, alsoSkipped: Record<string, readonly string[]> = {}): Promise<Snapshot> {
  const out: Snapshot = {};
  for (const [table, columns] of [...(await h.tables(schema))].sort(([a], [b]) => a.localeCompare(b))) {
    if (table === LEDGER_TABLE) continue;
    if (table === STATES_TABLE) {
      // Which state took the schema, and when, differs between installs: only the claims' number is compared (one, never twice).
      out[table] = { columns: [], rows: (await h.rows(table, ['state_id'], [], 'wh', schema)).map(() => 'claim') };
      continue;
    }
    const skipped = new Set(['uuid_ts', ...(LOAD_TIME[table] ?? []), ...(alsoSkipped[table] ?? [])]);
    const kept = columns.map((c) => c.name).filter((c) => !skipped.has(c)).sort();
    const rows = await h.rows(table, kept, [], 'wh', schema);
    out[table] = { columns: columns.map((c) => `${c.name} ${c.type}`).sort(), rows: rows.map((r) => JSON.stringify(kept.map((c) => r[c]))).sort() };
  }
  return out;
}

/**
 * The Storage Actions schema as comparable data, without its message ids: they carry the profile
 * state's epoch, which differs between two installs (the reference's and the killed one's). Each
 * table's ids are held unique instead; a change written twice still shows as its row twice.
 */
async function actionsSnapshot(h: Harness): Promise<Snapshot> {
  const skipped: Record<string, string[]> = {};
  for (const [table, columns] of await h.tables('default')) {
    if (!columns.some((c) => c.name === 'id') || table === STATES_TABLE) continue;
    skipped[table] = ['id'];
    // A value quarantined twice for one event (two columns) shares its id.
    if (table === REJECTS_TABLE) continue;
    const ids = (await h.rows(table, ['id'], [], 'wh', 'default')).map((r) => r.id);
    expect(ids.length - new Set(ids).size, `message ids written twice in ${table}`).toBe(0);
  }
  return snapshot(h, 'default', skipped);
}

/** A harness's install, described for a child process. */
function task(dut: DestinationUnderTest, h: Harness, options: ChildTask['options'], action: ChildAction): ChildTask {
  return { module: dut.module, type: dut.destination.type, dialect: dialectFingerprint(dut.destination.dialect), dir: h.dir, settings: h.settings, options, action };
}

/**
 * Effectively once: a sync or a Storage Actions write killed with SIGKILL at a failpoint (in a
 * separate process, built from `dut.module`), then run again, leaves exactly the rows of an
 * uninterrupted one — none lost, none twice. Failpoints are counted per process: `name:n` is the
 * n-th time the process passes `name`.
 */
export function killedSync(dut: DestinationUnderTest): void {
  describe('effectively once under a killed sync', () => {
    if (typeof dut.module !== 'string' || dut.module === '') {
      it('needs DestinationUnderTest.module to run a sync in a process it can kill', () => {
        expect.fail('set `module` to where `node` imports the destination from (its default export), e.g. its package name');
      });
      return;
    }

    describe('Classic sync', () => {
      const calls = classicCalls();
      let reference: Snapshot;

      /** A fresh warehouse with the calls ingested, not yet synced. */
      async function ingested(): Promise<Harness> {
        const h = await Harness.create(dut, CLASSIC);
        await h.calls(calls);
        await h.close();
        return h;
      }

      beforeAll(async () => {
        const h = await ingested();
        const run = await runChild(task(dut, h, CLASSIC, { kind: 'sync', warehouse: 'wh' }));
        expect(run.code, run.stderr).toBe(0);
        reference = await snapshot(h, 'engage_default');
      });

      it('the uninterrupted sync, in a child process, loads every call once (the reference the others are held to)', () => {
        expect(reference.identifies!.rows).toHaveLength(31);
        expect(reference.tracks!.rows).toHaveLength(14);
        expect(reference.order_completed!.rows).toHaveLength(10);
        expect(reference.plan_upgraded!.rows).toHaveLength(4);
        expect(reference.users!.rows).toHaveLength(5);
        expect(reference[REJECTS_TABLE]!.rows.length).toBeGreaterThan(0);
      });

      /** The calls' sync killed at each failpoint in turn (with `options`), then the install opened again. */
      async function killed(options: typeof CLASSIC, ...failpoints: string[]): Promise<Harness> {
        const h = await ingested();
        for (const failpoint of failpoints) {
          const run = await runChild(task(dut, h, options, { kind: 'sync', warehouse: 'wh' }), failpoint);
          expect(run.signal, `the sync was not killed at ${failpoint}: ${run.stderr}`).toBe('SIGKILL');
        }
        return Harness.create(dut, { ...options, reuse: { dir: h.dir, settings: h.settings } });
      }

      it.each([
        'writer:after-stage:1',
        'writer:after-stage:8',
        'writer:before-commit:1',
        'writer:before-commit:4',
        'writer:after-commit:2',
        'writer:after-commit:6',
        'writer:before-refresh-commit:1',
      ])('killed at %s, then synced again', async (failpoint) => {
        const again = await killed(CLASSIC, failpoint);
        const [interrupted, ...others] = again.stowage.history.list().filter((r) => r.path === 'classic');
        expect(others).toEqual([]);
        expect(interrupted).toMatchObject({ status: 'Failure', error: expect.stringContaining('interrupted') });
        // What it committed before it was killed is in its record (the next sync loads only the rest).
        const committedBefore = failpoint.includes('refresh') || Number(failpoint.split(':').at(-1)) > 1;
        expect(interrupted!.calls > 0, `${interrupted!.calls} calls`).toBe(committedBefore);
        await again.sync();
        await again.close();
        expect(await snapshot(again, 'engage_default')).toEqual(reference);
      });

      // Where tables have no key index: also killed after its batches, before the index took their ids.
      const firstSyncKills = ['writer:before-commit:2', 'writer:after-commit:3', 'writer:after-stage:5', 'writer:before-refresh-commit:1', ...(dut.destination.capabilities.keyIndexes ? [] : ['sync:before-indexing-the-rest:1'])];
      it.each(firstSyncKills)('killed at %s in a first sync whose batches leave their ids to the index for later, then synced again', async (failpoint) => {
        const again = await killed(CLASSIC_FIRST, failpoint);
        await again.sync();
        // The index holds every loaded id again, taken from the log before it was pruned (not rebuilt from the tables later).
        if (!dut.destination.capabilities.keyIndexes) expect(LoadedKeys.open(loadedKeysDir(again.stowage.config.stateDir, 'wh', 'default'))?.coveredUntil).toEqual(again.stowage.log('wh', 'default').end());
        await again.close();
        expect(await snapshot(again, 'engage_default')).toEqual(reference);
      });

      it('killed twice in a row at different points, then synced again', async () => {
        const again = await killed(CLASSIC, 'writer:after-commit:3', 'writer:before-commit:2');
        await again.sync();
        await again.close();
        expect(await snapshot(again, 'engage_default')).toEqual(reference);
      });
    });

    // One batch of identifies into the user's own identifies (or users) whose email may not be
    // null: the refused call (or key) is found by writing the batch (or the refresh) again in parts.
    refusedInParts(dut, {
      title: 'Classic sync of a batch the warehouse refuses a call of',
      table: 'identifies',
      calls: Array.from({ length: 40 }, (_, i) => identify(`u${i % 7}`, i === 29 ? { plan: 'none' } : { email: `e${i}`, plan: `p${i}` }, { messageId: `r${i}`, receivedAt: at(i), timestamp: at(i) })),
      loaded: 39,
      refused: '"r29"',
      reason: /^the warehouse refused the call: .*email/,
      // The first write of the batch fails; then its parts commit one by one (after-commit:n is
      // the n-th part written), and the last commit sets the call apart with the ledger.
      failpoints: ['writer:after-commit:1', 'writer:after-commit:3', 'writer:before-commit:4', 'writer:after-stage:6'],
    });
    refusedInParts(dut, {
      title: 'Classic sync whose users refresh the warehouse refuses a key of',
      table: 'users',
      // u3 never sends an email.
      calls: Array.from({ length: 30 }, (_, i) => identify(`u${i % 9}`, i % 9 === 3 ? { plan: `p${i}` } : { email: `e${i}`, plan: `p${i}` }, { messageId: `k${i}`, receivedAt: at(i), timestamp: at(i) })),
      loaded: 8,
      refused: '"u3"',
      reason: /^the warehouse refused the key's users row: .*email/,
      // The slice's transaction fails; its parts then commit one by one, the key set apart in one of its own.
      failpoints: ['writer:before-refresh-commit:1', 'writer:before-refresh-commit:2', 'writer:before-refresh-commit:4'],
    });

    describe('Storage Actions write', () => {
      const runs = actionRuns();
      let reference: Snapshot;

      beforeAll(async () => {
        const h = await Harness.create(dut, ACTIONS);
        const run = await runChild(task(dut, h, ACTIONS, { kind: 'runs', runs }));
        expect(run.code, run.stderr).toBe(0);
        reference = await actionsSnapshot(h);
      });

      it('the uninterrupted runs, in a child process, write every change once (the reference the others are held to)', () => {
        // r1: 12 entered, u11's context quarantined; r2: 6 exited (u11's quarantined again), 3 entered, u20's entity swapped.
        expect(reference.carts!.rows).toHaveLength(11 + 1 + 5 + 3 + 2);
        // The two oversized contexts. u0's 0 and the fractional totals come in one batch, which creates cart_total as double everywhere.
        expect(reference[REJECTS_TABLE]!.rows).toHaveLength(2);
        // r3: 8 entered.
        expect(reference.members!.rows).toHaveLength(8);
      });

      it.each([
        'writer:after-stage:1',
        'writer:before-commit:2',
        'writer:after-commit:1',
        'writer:after-commit:3',
        'state:before-commit:1',
        'state:before-commit:2',
        // r1's state committed (in the state's WAL only, not checkpointed): applied again, it is found applied.
        'state:after-commit:1',
      ])('killed at %s, then the runs applied again and the queue flushed', async (failpoint) => {
        const h = await Harness.create(dut, ACTIONS);
        const killed = await runChild(task(dut, h, ACTIONS, { kind: 'runs', runs }), failpoint);
        expect(killed.signal, `the write was not killed at ${failpoint}: ${killed.stderr}`).toBe('SIGKILL');
        const again = await Harness.create(dut, { ...ACTIONS, reuse: { dir: h.dir, settings: h.settings } });
        for (const { header, profiles } of runs) {
          const result = await again.run(header, profiles);
          expect(result.writes.filter((w) => w.status === 'Failure')).toEqual([]);
        }
        if (failpoint === 'state:before-commit:1') {
          // The killed attempt did not apply r1; the next did. Sent a third time, r1 is found
          // applied: the killed attempt's record stays interrupted, not told it wrote the run.
          expect(await again.run(runs[0]!.header, runs[0]!.profiles)).toMatchObject({ applied: false });
          const r1 = again.stowage.history.list().filter((r) => r.trigger === 'run r1');
          expect(r1.filter((r) => r.status === 'Failure' && r.error?.startsWith('interrupted:'))).toHaveLength(1);
          expect(r1.flatMap((r) => r.notices)).not.toContainEqual(expect.stringMatching(/found when the run was sent again/));
        }
        const flushed = await again.stowage.flush('wh');
        expect(flushed.map((f) => f.record.status)).not.toContain('Failure');
        await again.close();
        expect(await actionsSnapshot(again)).toEqual(reference);
        if (failpoint.startsWith('state:after-commit')) {
          // r1 was applied before its writes' records ended: sent again, they end as they were.
          const r1 = again.stowage.history.list().filter((r) => r.trigger === 'run r1');
          expect(r1.map((r) => r.status)).not.toContain('Failure');
          expect(r1.flatMap((r) => r.notices)).toContainEqual(expect.stringMatching(/^its process stopped after run r1 was applied, before this record ended \(found when the run was sent again\): every event of the run was written/));
        }
      });

      it("a new activation's start killed as it queued the current members, then the run sent again: each member's entered row once, none counted as already there", async () => {
        const h = await Harness.create(dut, ACTIONS);
        await h.run(runs[0]!.header, runs[0]!.profiles);
        await h.close();
        // A second activation of the linked audience, added now: its first run queues an entered row per current member.
        const added = { ...ACTIONS, activations: { ...ACTIONS.activations, carts_b: { computation: 'carts', table: 'carts_b' } } };
        const killed = await runChild(task(dut, h, added, { kind: 'runs', runs: [runs[1]!] }), 'actions:after-queueing-members:1');
        expect(killed.signal, `the start was not killed: ${killed.stderr}`).toBe('SIGKILL');
        const again = await Harness.create(dut, { ...added, reuse: { dir: h.dir, settings: h.settings } });
        const result = await again.run(runs[1]!.header, runs[1]!.profiles);
        const b = result.activations.find((a) => a.activation === 'carts_b')!;
        // r1's 13 members entered, then r2's changes; none was in carts_b before.
        expect(b).toMatchObject({ duplicates: 0, refused: 0 });
        expect(b.written).toBeGreaterThan(13);
        const ids = (await again.rows('carts_b', ['id'], [], 'wh', 'default')).map((r) => r.id);
        expect(ids.length).toBe(b.written);
        expect(new Set(ids).size).toBe(ids.length);
        await again.close();
      });

      /** The runs killed after their first write, then applied again with r1's header changed as `r1` says. */
      async function killedThenSentAs(r1: (header: ChildRun['header']) => ChildRun['header']): Promise<Snapshot> {
        const h = await Harness.create(dut, ACTIONS);
        const killed = await runChild(task(dut, h, ACTIONS, { kind: 'runs', runs }), 'writer:after-commit:1');
        expect(killed.signal, `the write was not killed: ${killed.stderr}`).toBe('SIGKILL');
        const again = await Harness.create(dut, { ...ACTIONS, reuse: { dir: h.dir, settings: h.settings } });
        const [first, ...rest] = runs;
        const header = r1(first!.header);
        if (header.id !== first!.header.id) {
          // Another run in place of the killed one is refused until the user gives that one up.
          await expect(again.run(header, first!.profiles)).rejects.toThrow(/run r1 of default\/carts was interrupted after handing changes on/);
          await again.run(header, first!.profiles, { abandonInterrupted: true });
        } else await again.run(header, first!.profiles);
        for (const { header, profiles } of rest) await again.run(header, profiles);
        await again.stowage.flush('wh');
        await again.close();
        return actionsSnapshot(again);
      }

      it('killed after its first write, then the run sent again with another completion time: each change lands once, with the first time', async () => {
        // r1 was cut short; a caller that makes its header anew gives it the time of sending.
        expect(await killedThenSentAs((header) => ({ ...header, completedAt: LATER }))).toEqual(reference);
      });

      it('killed after its first write, then another run with the same members instead: the changes it shares with the first land once', async () => {
        // r1 is never sent again (given up): a run of the same members under another id and time
        // replaces it. Diffed against the same state, it makes r1's changes again, with the same ids.
        expect(await killedThenSentAs((header) => ({ ...header, id: 'r1-replaced', completedAt: AFTER_R1 }))).toEqual(reference);
      });

      it('killed after its first write, then a run of another member applied, then a run of the killed one\'s members: the changes it shares with the killed one land once', async () => {
        const h = await Harness.create(dut, ACTIONS);
        const killed = await runChild(task(dut, h, ACTIONS, { kind: 'runs', runs }), 'writer:after-commit:1');
        expect(killed.signal, `the write was not killed: ${killed.stderr}`).toBe('SIGKILL');
        const again = await Harness.create(dut, { ...ACTIONS, reuse: { dir: h.dir, settings: h.settings } });
        const [first, ...rest] = runs;
        // Applied, a delta moves the state of its own member only: the killed run's members
        // keep theirs, and a later run of them makes the killed run's message ids again.
        await again.run({ computation: 'carts', id: 'r0-other', kind: 'delta', completedAt: AFTER_R1 }, [{ userId: 'u99', entityContext: { cart_id: 'c99' } }], { abandonInterrupted: true });
        await again.run({ ...first!.header, id: 'r1-replaced', completedAt: LATER_AFTER_R1 }, first!.profiles);
        for (const { header, profiles } of rest) await again.run(header, profiles);
        await again.stowage.flush('wh');
        await again.close();
        const ids = (await again.rows('carts', ['id'], [], 'wh', 'default')).map((r) => r.id);
        expect(ids.length - new Set(ids).size, 'message ids written twice').toBe(0);
        // The reference's rows, and u99's: entered with its delta, exited with the snapshot that does not list it.
        const { carts, ...others } = await actionsSnapshot(again);
        const u99 = carts!.rows.filter((row) => row.includes('"u99"'));
        expect(u99).toHaveLength(2);
        expect({ ...others, carts: { ...carts!, rows: carts!.rows.filter((row) => !u99.includes(row)) } }).toEqual(reference);
      });
    });
  });
}

/**
 * A Classic sync into a table of the user's (`strictTable`) that refuses one call or key, killed
 * among the parts it is written again in, then run again: the same rows as uninterrupted.
 */
function refusedInParts(dut: DestinationUnderTest, c: { title: string; table: 'identifies' | 'users'; calls: object[]; loaded: number; refused: string; reason: RegExp; failpoints: string[] }): void {
  describe(c.title, () => {
    const options = { batchSize: 1000 };
    // A refusal's reason quotes the failing row, load time included (PostgreSQL): compared apart.
    const refusal = { [REJECTS_TABLE]: ['reason'] };
    let reference: Snapshot;

    async function ingested(): Promise<Harness> {
      const h = await Harness.create(dut, options);
      await strictTable(h, c.table);
      await h.calls(c.calls);
      await h.close();
      return h;
    }

    beforeAll(async () => {
      const h = await ingested();
      const run = await runChild(task(dut, h, options, { kind: 'sync', warehouse: 'wh' }));
      expect(run.code, run.stderr).toBe(0);
      reference = await snapshot(h, 'engage_default', refusal);
    });

    it('the uninterrupted sync sets the refused one apart and loads the others once', () => {
      expect(reference[c.table]!.rows).toHaveLength(c.loaded);
      expect(reference[REJECTS_TABLE]!.rows).toEqual([expect.stringContaining(c.refused)]);
    });

    it.each(c.failpoints)('killed at %s among the parts, then synced again', async (failpoint) => {
      const h = await ingested();
      const killed = await runChild(task(dut, h, options, { kind: 'sync', warehouse: 'wh' }), failpoint);
      expect(killed.signal, `the sync was not killed at ${failpoint}: ${killed.stderr}`).toBe('SIGKILL');
      const again = await Harness.create(dut, { ...options, reuse: { dir: h.dir, settings: h.settings } });
      // Partial, or Success where the kill came after the refused one was set apart: the rows are the same.
      await again.sync();
      await again.close();
      expect(await snapshot(again, 'engage_default', refusal)).toEqual(reference);
      expect(await again.rows(REJECTS_TABLE, ['reason'])).toEqual([{ reason: expect.stringMatching(c.reason) }]);
    });
  });
}
