import { describe, expect, it } from 'vitest';
import { CLASSIC_DEFAULTS, type ComputationConfig } from '../config/config.js';
import type { Change } from '../runs/run.js';
import { callsFromChange } from './calls-from-change.js';

const audience: ComputationConfig = { key: 'first_time_shopper', type: 'audience', id: 'aud_1', warehouses: {} };
const trait: ComputationConfig = { key: 'total_revenue_180_days', type: 'trait', id: 'tr_1', warehouses: {} };
const change = (over: Partial<Change> = {}): Change => ({
  space: 'default', computation: 'first_time_shopper', kind: 'entered', value: 'true', version: 1, runId: 'run_1', at: '2026-11-23T10:00:00.000Z',
  profile: { profileId: 'p1', userId: 'u123', anonymousIds: ['a1', 'a2'], emails: ['x@example.com'], mobileIds: [{ id: 'idfa-1', type: 'ios' }] },
  ...over,
});
const NOW = '2026-11-23T10:05:00.000Z';

describe('callsFromChange', () => {
  it('makes the spec\'s identify and track calls for an audience entry', () => {
    const [identify, track] = callsFromChange(change(), audience, CLASSIC_DEFAULTS, 'spa_1', NOW);
    expect(identify).toMatchObject({ type: 'identify', userId: 'u123', traits: { first_time_shopper: true }, originalTimestamp: change().at, sentAt: NOW, receivedAt: NOW });
    expect(identify!.context).toEqual({ personas: { computation_class: 'audience', computation_id: 'aud_1', computation_key: 'first_time_shopper', computation_run_id: 'run_1', namespace: 'spa_1', space_id: 'spa_1' } });
    expect(track).toMatchObject({ type: 'track', event: 'Audience Entered', properties: { audience_key: 'first_time_shopper', first_time_shopper: true } });
  });

  it('sends false on exit, and the configured event names', () => {
    const calls = callsFromChange(change({ kind: 'exited', value: 'false' }), audience, { ...CLASSIC_DEFAULTS, exitedEvent: 'Left Segment' }, 'spa_1', NOW);
    expect(calls.map((c) => [c.type, c.event, c.traits ?? c.properties])).toEqual([
      ['identify', undefined, { first_time_shopper: false }],
      ['track', 'Left Segment', { audience_key: 'first_time_shopper', first_time_shopper: false }],
    ]);
  });

  it('sends Trait Computed with trait_key for computed traits', () => {
    const [, track] = callsFromChange(change({ computation: trait.key, kind: 'changed', value: 450 }), trait, CLASSIC_DEFAULTS, 'spa_1', NOW);
    expect(track).toMatchObject({ event: 'Trait Computed', properties: { trait_key: 'total_revenue_180_days', total_revenue_180_days: 450 } });
    expect(track!.context).toMatchObject({ personas: { computation_class: 'trait', namespace: 'spa_1' } });
  });

  it('sends one call per anonymousId for anonymous profiles only when asked, and per mobile id when asked', () => {
    const anonymous = change({ profile: { ...change().profile, userId: null } });
    expect(callsFromChange(anonymous, audience, { ...CLASSIC_DEFAULTS, track: false }, 's', NOW)).toEqual([]);
    const calls = callsFromChange(anonymous, audience, { ...CLASSIC_DEFAULTS, track: false, includeAnonymous: true, includeMobileIds: true }, 's', NOW);
    expect(calls.map((c) => [c.anonymousId, (c.context as any).device])).toEqual([
      ['a1', { advertisingId: 'idfa-1', type: 'ios' }],
      ['a2', { advertisingId: 'idfa-1', type: 'ios' }],
    ]);
  });

  it('derives message ids from the change, so a replay or a backfill of it has the same ids', () => {
    const a = callsFromChange(change(), audience, CLASSIC_DEFAULTS, 's', NOW);
    const b = callsFromChange(change(), audience, CLASSIC_DEFAULTS, 's', '2026-12-01T00:00:00.000Z');
    expect(a.map((c) => c.messageId)).toEqual(b.map((c) => c.messageId));
    expect(new Set(a.map((c) => c.messageId)).size).toBe(2);
    expect(callsFromChange(change({ version: 2 }), audience, CLASSIC_DEFAULTS, 's', NOW)[0]!.messageId).not.toBe(a[0]!.messageId);
  });
});
