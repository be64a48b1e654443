import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Change, ComputationKind, RunHeader, RunProfile } from '@stowage/core';
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
    async (batch) => void changes.push(...batch),
  );
  return { outcome, changes: changes.map((c) => [c.profile.profileId, c.kind, c.value, c.version]) };
}

const open = () => EmbeddedProfileStore.open(mkdtempSync(join(tmpdir(), 'state-')));

describe('EmbeddedProfileStore', () => {
  it('diffs audience snapshots: members enter, missing members exit, unchanged members send nothing', async () => {
    const store = await open();
    expect((await apply(store, 'audience', { id: 'r1' }, [profile('a'), profile('b')])).changes).toEqual([['a', 'entered', true, 1], ['b', 'entered', true, 1]]);
    expect((await apply(store, 'audience', { id: 'r2' }, [profile('a'), profile('c')])).changes).toEqual([['b', 'exited', false, 2], ['c', 'entered', true, 1]]);
    expect((await apply(store, 'audience', { id: 'r3' }, [profile('a'), profile('b'), profile('c')])).changes).toEqual([['b', 'entered', true, 3]]);
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

  it('applies a run id once; a re-sent run changes nothing', async () => {
    const store = await open();
    await apply(store, 'audience', { id: 'r1' }, [profile('a')]);
    const again = await apply(store, 'audience', { id: 'r1' }, [profile('b')]);
    expect(again.outcome.applied).toBe(false);
    expect(again.changes).toEqual([]);
    await store.close();
  });

  it('keeps the identifiers of a profile for its exit, and hands the current state to a backfill', async () => {
    const store = await open();
    await apply(store, 'audience', { id: 'r1' }, [profile('p1', { userId: null, anonymousIds: ['x1', 'x2'], mobileIds: [{ id: 'idfa', type: 'ios' }] })]);
    const changes: Change[] = [];
    await store.applyRun({ space: 's', computation: 'c', id: 'r2', kind: 'snapshot', completedAt: '2026-11-24T00:00:00.000Z' }, 'audience', (async function* () {})(), async (b) => void changes.push(...b));
    expect(changes[0]).toMatchObject({ kind: 'exited', at: '2026-11-24T00:00:00.000Z', profile: { userId: null, anonymousIds: ['x1', 'x2'], mobileIds: [{ id: 'idfa', type: 'ios' }] } });
    const state: Change[] = [];
    await store.currentState('s', async (b) => void state.push(...b));
    expect(state.map((c) => [c.computation, c.profile.profileId, c.kind, c.version, c.at])).toEqual([['c', 'p1', 'exited', 2, '2026-11-24T00:00:00.000Z']]);
    await store.close();
  });
});
