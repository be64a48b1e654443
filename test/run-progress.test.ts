import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { destinations, openStowage } from '@stowage/cli';
import { loadConfig, Stowage, type Destination, type FlushProgress, type RunProgress } from '@stowage/core';
import { EmbeddedProfileStore } from '@stowage/embedded-state';
import { project, stowage } from './support/cli.js';

const LINKED = {
  spaces: {
    shop: {
      id: 'spa_shop',
      computations: { carts: { type: 'linked_audience' } },
      activations: { carts_to_local: { computation: 'carts', warehouse: 'local', table: 'abandoned_carts' } },
    },
  },
};

describe('the progress of a run', () => {
  it('reports each phase in order, with the profiles read, the changes handed on and the events written', async () => {
    const dir = project(LINKED);
    const s = openStowage(join(dir, 'stowage.config.json'));
    const reports: RunProgress[] = [];
    const members = Array.from({ length: 12_000 }, (_, i) => ({ profileId: `p${i}`, userId: `u${i}`, anonymousIds: [], emails: [], mobileIds: [], entityContext: { cart_id: `c${i}` } }));
    async function* chunks() {
      for (let i = 0; i < members.length; i += 4_000) yield members.slice(i, i + 4_000);
    }
    const result = await s.applyRun({ space: 'shop', computation: 'carts', id: 'r1', kind: 'snapshot', completedAt: '2026-11-23T10:00:00.000Z' }, chunks(), { onProgress: (p) => reports.push(p) });
    await s.close();
    expect(result.activations[0]).toMatchObject({ written: 12_000 });
    const phases = reports.map((p) => p.phase).filter((p, i, all) => p !== all[i - 1]);
    expect(phases).toEqual(['staging', 'diffing', 'writing', 'committing']);
    // Counts only grow, and the last report has them all.
    for (const key of ['profiles', 'changes', 'events', 'elapsedMs'] as const) {
      expect(reports.map((p) => p[key])).toEqual([...reports.map((p) => p[key])].sort((a, b) => a - b));
    }
    expect(reports.at(-1)).toMatchObject({ space: 'shop', computation: 'carts', run: 'r1', phase: 'committing', profiles: 12_000, changes: 12_000, events: 12_000 });
  });

  it('shows on stderr while `stowage run` works, unless --quiet', async () => {
    const dir = project(LINKED);
    writeFileSync(join(dir, 'r1.ndjson'), [{ space: 'shop', computation: 'carts', id: 'r1' }, { userId: 'u1', entityContext: { cart_id: 'c1' } }].map((x) => JSON.stringify(x)).join('\n'));
    writeFileSync(join(dir, 'r2.ndjson'), [{ space: 'shop', computation: 'carts', id: 'r2' }, { userId: 'u2', entityContext: { cart_id: 'c2' } }].map((x) => JSON.stringify(x)).join('\n'));
    const shown = await stowage(['run', 'r1.ndjson'], { cwd: dir });
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stderr).toMatch(/^run r1 of shop\/carts: reading and staging profiles: 1 \(/m);
    const quiet = await stowage(['run', '--quiet', 'r2.ndjson'], { cwd: dir });
    expect(quiet.code, quiet.stderr).toBe(0);
    expect(quiet.stderr).toBe('');
    // A snapshot: u1 exits, u2 enters.
    expect(quiet.stdout).toContain('2 rows written');
  });

  it('counts the queued events a flush writes', async () => {
    // The warehouse cannot be opened (its folder is missing): the run's events are queued.
    const dir = project({ ...LINKED, warehouses: { local: { type: 'duckdb', settings: { path: 'missing/warehouse.duckdb' } } } });
    const down = openStowage(join(dir, 'stowage.config.json'));
    const members = Array.from({ length: 25_000 }, (_, i) => ({ profileId: `p${i}`, userId: `u${i}`, anonymousIds: [], emails: [], mobileIds: [], entityContext: { cart_id: `c${i}` } }));
    const failed = await down.applyRun({ space: 'shop', computation: 'carts', id: 'r1', kind: 'snapshot', completedAt: '2026-11-23T10:00:00.000Z' }, (async function* () {
      yield members;
    })());
    await down.close();
    expect(failed.writes[0]?.status).toBe('Failure');
    mkdirSync(join(dir, 'missing'));
    const up = openStowage(join(dir, 'stowage.config.json'));
    const reports: FlushProgress[] = [];
    const [flushed] = await up.flush('local', { onProgress: (p) => reports.push(p) });
    await up.close();
    expect(flushed?.record).toMatchObject({ status: 'Success', calls: 25_000 });
    // The queue is written 10,000 events at a time: one report each.
    expect(reports.map((p) => [p.warehouse, p.space, p.events])).toEqual([['local', 'shop', 10_000], ['local', 'shop', 20_000], ['local', 'shop', 25_000]]);
  });

  it('shows a flush going through the queue on stderr, unless --quiet', async () => {
    const dir = project({ ...LINKED, warehouses: { local: { type: 'duckdb', settings: { path: 'missing/warehouse.duckdb' } } } });
    writeFileSync(join(dir, 'r1.ndjson'), [{ space: 'shop', computation: 'carts', id: 'r1' }, { userId: 'u1', entityContext: { cart_id: 'c1' } }].map((x) => JSON.stringify(x)).join('\n'));
    expect((await stowage(['run', '-q', 'r1.ndjson'], { cwd: dir })).code).toBe(1);
    mkdirSync(join(dir, 'missing'));
    const quiet = await stowage(['flush', '--quiet'], { cwd: dir });
    expect(quiet.code, quiet.stderr).toBe(0);
    expect(quiet.stderr).toBe('');
    expect(quiet.stdout).toMatch(/^Success: Storage Actions write to warehouse local, 1 events/m);
    // Queue it again (a second run while the warehouse is down), then a flush that shows its progress.
    rmSync(join(dir, 'missing'), { recursive: true });
    writeFileSync(join(dir, 'r2.ndjson'), [{ space: 'shop', computation: 'carts', id: 'r2' }, { userId: 'u2', entityContext: { cart_id: 'c2' } }].map((x) => JSON.stringify(x)).join('\n'));
    expect((await stowage(['run', '-q', 'r2.ndjson'], { cwd: dir })).code).toBe(1);
    mkdirSync(join(dir, 'missing'));
    const shown = await stowage(['flush'], { cwd: dir });
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stderr).toMatch(/^local\/shop: 2 queued events handled \(written, refused or kept queued\), [\d,]+ events\/s$/m);
  });

  it('refuses to write through a destination whose definition lacks the Storage Actions action, and keeps the events queued', async () => {
    const dir = project(LINKED);
    const bare = { ...destinations.get('duckdb')!, definition: { name: 'bare', mode: 'cloud', authentication: { scheme: 'custom', fields: {} }, actions: {} } } as Destination;
    const registry = new Map([['duckdb', bare]]);
    const s = new Stowage(loadConfig(join(dir, 'stowage.config.json'), registry), { destinations: registry, openProfileStore: (d) => EmbeddedProfileStore.open(d) });
    const result = await s.applyRun({ space: 'shop', computation: 'carts', id: 'r1', kind: 'snapshot', completedAt: '2026-11-23T10:00:00.000Z' }, (async function* () {
      yield [{ profileId: 'p1', userId: 'u1', anonymousIds: [], emails: [], mobileIds: [], entityContext: { cart_id: 'c1' } }];
    })());
    await s.close();
    expect(result.writes[0]).toMatchObject({ status: 'Failure', error: expect.stringContaining("definition has no Storage Actions action (sendCustomEvent): wrap it with withStorageActions") });
    expect(result.events).toBe(1);
  });
});
