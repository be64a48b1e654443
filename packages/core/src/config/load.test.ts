import { describe, expect, it } from 'vitest';
import type { Destination } from '../contract/destination.js';
import { ConfigError, parseConfig } from './load.js';

const fake = { type: 'memory', settingsSchema: { type: 'object', properties: { path: { type: 'string' } }, required: ['path'] } } as unknown as Destination;
const destinations = new Map([['memory', fake]]);
const parse = (raw: unknown) => parseConfig(raw, '/srv/stowage', destinations);

describe('configuration', () => {
  it('fills the documented defaults', () => {
    const config = parse({
      spaces: { default: { computations: { vip: { type: 'audience' } } } },
      warehouses: { wh: { type: 'memory', settings: { path: 'x' } } },
    });
    expect(config.stateDir).toBe('/srv/stowage/.stowage');
    expect(config.batchSize).toBe(20_000);
    expect(config.spaces.default!.id).toBe('spa_default');
    expect(config.warehouses.wh).toMatchObject({ schedule: '0 * * * *', schemaPrefix: 'engage_', spaces: ['default'], disabled: { tables: [], columns: {} } });
    expect(config.spaces.default!.computations.vip).toMatchObject({
      id: 'aud_vip',
      warehouses: { wh: { identify: true, track: true, enteredEvent: 'Audience Entered', exitedEvent: 'Audience Exited', computedEvent: 'Trait Computed', includeAnonymous: false, includeMobileIds: false } },
    });
  });

  it('lists every problem with the path of the bad key', () => {
    const attempt = () => parse({
      spaces: { 'Bad Space': {}, ok: { computations: { vip: { type: 'segment', warehouses: { nowhere: {} } } } } },
      warehouses: { wh: { type: 'memory', settings: {}, disabled: { tables: ['identifies'], columns: { users: ['id'] } } }, other: { type: 'oracle', settings: {} } },
    });
    expect(attempt).toThrow(ConfigError);
    try {
      attempt();
    } catch (error) {
      expect((error as ConfigError).problems).toEqual(expect.arrayContaining([
        expect.stringContaining('/spaces: name "Bad Space" is not allowed'),
        '/spaces/ok/computations/vip/type: must be one of "audience", "trait"',
      ]));
    }
    const semantic = () => parse({
      spaces: { ok: { computations: { vip: { type: 'audience', warehouses: { nowhere: {} } } } } },
      warehouses: { wh: { type: 'memory', settings: {}, disabled: { tables: ['identifies'], columns: { users: ['id'] } } }, other: { type: 'oracle', settings: {} } },
    });
    try {
      semantic();
      expect.unreachable();
    } catch (error) {
      expect((error as ConfigError).problems).toEqual([
        "/warehouses/wh/settings: must have required property 'path'",
        '/warehouses/wh/disabled/tables: "users" is computed from "identifies"; disable both, or neither',
        '/warehouses/wh/disabled/columns/users: id cannot be disabled (loads are keyed and merged on them)',
        '/warehouses/other/type: unknown warehouse type "oracle"; installed: memory',
        '/spaces/ok/computations/vip/warehouses/nowhere: no warehouse of that name',
      ]);
    }
  });
});
