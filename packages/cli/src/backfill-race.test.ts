import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig, parseRunHeader, Stowage, type Destination } from '@stowage/core';
import { duckdb } from '@stowage/destination-duckdb';
import { EmbeddedProfileStore } from '@stowage/embedded-state';

const dir = mkdtempSync(join(tmpdir(), 'stowage-backfill-race-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const destinations = new Map<string, Destination>([['duckdb', duckdb]]);
const config = (warehouses: string[]) =>
  parseConfig(
    {
      spaces: { default: { computations: { vip: { type: 'audience' } } } },
      warehouses: Object.fromEntries(warehouses.map((w) => [w, { type: 'duckdb', settings: { path: `${w}.duckdb` } }])),
    },
    dir,
    destinations,
  );
const members = (...users: string[]) =>
  (async function* () {
    yield users.map((u) => ({ profileId: u, userId: u, anonymousIds: [], emails: [], mobileIds: [] }));
  })();
const header = (id: string, hour: number) => parseRunHeader({ space: 'default', computation: 'vip', id, kind: 'snapshot', completedAt: `2026-11-22T${hour}:00:00Z` });

describe('A new warehouse met by a sync and a run in another process at once', () => {
  it('is backfilled once: the sync reads the marker and the marks holding the profile state', async () => {
    const open = (stateDir: string) => EmbeddedProfileStore.open(stateDir);
    const before = new Stowage(config(['wh']), { destinations, openProfileStore: open });
    await before.applyRun(header('r1', 10), members('u1', 'u2'));
    await before.close();

    // wh2 is added. The sync finds it not backfilled, then waits for the profile state, which a run
    // in another process holds meanwhile: the run backfills wh2, and logs its own changes for it.
    const runner = new Stowage(config(['wh', 'wh2']), { destinations, openProfileStore: open });
    const syncer = new Stowage(config(['wh', 'wh2']), {
      destinations,
      openProfileStore: async (stateDir) => {
        await runner.applyRun(header('r2', 11), members('u1', 'u2', 'u3'));
        await runner.close();
        return open(stateDir);
      },
    });
    const record = await syncer.sync('wh2');
    await syncer.close();

    // r1's state (u1, u2: an identify and an Audience Entered each), then r2's entry of u3: once.
    expect(record).toMatchObject({ status: 'Success', calls: 6, duplicates: 0 });
    const sent = JSON.parse(readFileSync(join(dir, '.stowage', 'runs', 'sent', 'wh2', 'default.json'), 'utf8')) as Record<string, unknown>;
    expect(sent.vip).toMatchObject({ run: 'r2' });
    // Nothing is sent again by the next sync either.
    expect(await syncer.sync('wh2')).toMatchObject({ status: 'Success', calls: 0 });
    await syncer.close();
  });
});
