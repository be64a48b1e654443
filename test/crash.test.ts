import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { DuckDBDriver } from '@stowage/destination-duckdb/driver';
import { dumpSchema } from './support/dump.js';
import { project, stowage } from './support/cli.js';
import { sampleCalls } from './support/calls.js';

const CALLS = sampleCalls(12_000);
const SMALL_BATCHES = { batchSize: 2_000 };

async function ingested(): Promise<string> {
  const dir = project(SMALL_BATCHES);
  writeFileSync(join(dir, 'calls.ndjson'), CALLS);
  const r = await stowage(['ingest', 'calls.ndjson', '--space', 'shop'], { cwd: dir });
  expect(r.stdout).toContain('accepted 12,000 calls');
  return dir;
}

describe('a sync killed with SIGKILL at any point, then run again, leaves exactly the rows of an uninterrupted sync', () => {
  let reference: Record<string, string[]>;

  beforeAll(async () => {
    const dir = await ingested();
    const r = await stowage(['sync'], { cwd: dir });
    expect(r.stdout).toMatch(/^Partial: warehouse local, 12,000 calls/m);
    reference = await dumpSchema(dir, 'engage_shop');
    expect(reference.identifies!.length).toBeGreaterThan(5_000);
    expect(reference._stowage_rejects!.length).toBeGreaterThan(0);
  });

  it.each([
    'writer:after-stage:1',
    'writer:after-stage:7',
    'writer:before-commit:1',
    'writer:before-commit:3',
    'writer:after-commit:2',
    'writer:after-commit:6',
    'writer:before-refresh-commit:1',
  ])('killed at %s', async (failpoint) => {
    const dir = await ingested();
    // A temporary folder of this test's own: a session of another test, in another process,
    // sweeps the load files of any dead process it finds, this one's too, before it is looked at.
    const tmp = join(dir, 'tmp');
    mkdirSync(tmp);
    const killed = await stowage(['sync'], { cwd: dir, env: { STOWAGE_FAILPOINT: failpoint, TMPDIR: tmp } });
    expect(killed.signal).toBe('SIGKILL');
    const leftover = readdirSync(tmp).filter((d) => d.startsWith(`stowage-load-${killed.pid}-`));
    expect(leftover).toHaveLength(1);
    const history = await stowage(['history', '--json'], { cwd: dir });
    expect(JSON.parse(history.stdout).syncs[0]).toMatchObject({ status: 'Failure', error: expect.stringContaining('interrupted') });
    const again = await stowage(['sync'], { cwd: dir, env: { TMPDIR: tmp } });
    expect(again.stdout).not.toContain('Failure');
    // The killed sync's load files are swept by the next session.
    for (const d of leftover) expect(existsSync(join(tmp, d))).toBe(false);
    expect(await dumpSchema(dir, 'engage_shop')).toEqual(reference);
  });

  it('killed at random moments, three times in a row', async () => {
    const dir = await ingested();
    for (const ms of [150, 450, 900]) await stowage(['sync', '--quiet'], { cwd: dir, killAfterMs: ms });
    await stowage(['sync'], { cwd: dir });
    expect(await dumpSchema(dir, 'engage_shop')).toEqual(reference);
  });

  it('an ingest killed mid-append, fed again, loses and doubles nothing', async () => {
    const dir = project(SMALL_BATCHES);
    writeFileSync(join(dir, 'calls.ndjson'), CALLS);
    const killed = await stowage(['ingest', 'calls.ndjson', '--space', 'shop'], { cwd: dir, env: { STOWAGE_FAILPOINT: 'log:mid-append:1' } });
    expect(killed.signal).toBe('SIGKILL');
    // The caller was never told the calls were accepted, so it sends them again.
    await stowage(['ingest', 'calls.ndjson', '--space', 'shop'], { cwd: dir });
    await stowage(['sync'], { cwd: dir });
    expect(await dumpSchema(dir, 'engage_shop')).toEqual(reference);
  });
});

describe('a run killed before its state commits, applied again, logs each change once', () => {
  const run = (id: string, users: string[]) =>
    [{ space: 'shop', computation: 'vip', id, kind: 'snapshot', completedAt: '2026-11-23T10:00:00Z' }, ...users.map((u) => ({ userId: u }))]
      .map((x) => JSON.stringify(x)).join('\n');

  it('replays the same message ids, so the warehouse holds each call once', async () => {
    const dir = project();
    writeFileSync(join(dir, 'r1.ndjson'), run('r1', ['u1', 'u2', 'u3']));
    const killed = await stowage(['run', 'r1.ndjson'], { cwd: dir, env: { STOWAGE_FAILPOINT: 'state:before-commit' } });
    expect(killed.signal).toBe('SIGKILL');
    const again = await stowage(['run', 'r1.ndjson'], { cwd: dir });
    expect(again.stdout).toContain('3 changes');
    const sync = await stowage(['sync'], { cwd: dir });
    expect(sync.code).toBe(0);
    const tables = await dumpSchema(dir, 'engage_shop');
    expect(tables.identifies).toHaveLength(3);
    expect(tables.audience_entered).toHaveLength(3);
    expect(tables.users).toHaveLength(3);
  });
});

describe('a run killed after handing its changes on, and not sent again', () => {
  /** A snapshot of the trait ltv: every user's value. */
  const trait = (id: string, day: number, value: number) =>
    [{ space: 'shop', computation: 'ltv', id, kind: 'snapshot', completedAt: `2026-11-${day}T10:00:00Z` }, ...['u1', 'u2', 'u3'].map((u) => ({ userId: u, value }))]
      .map((x) => JSON.stringify(x)).join('\n');

  it('holds back the next run of its computation until it is applied, and then nothing is lost', async () => {
    const dir = project();
    writeFileSync(join(dir, 'a.ndjson'), trait('a', 20, 1));
    writeFileSync(join(dir, 'b.ndjson'), trait('b', 21, 2));
    writeFileSync(join(dir, 'c.ndjson'), trait('c', 22, 3));
    expect((await stowage(['run', 'a.ndjson'], { cwd: dir })).code).toBe(0);
    expect((await stowage(['run', 'b.ndjson'], { cwd: dir, env: { STOWAGE_FAILPOINT: 'state:before-commit' } })).signal).toBe('SIGKILL');
    // Applied over b, c's changes would take the message ids of b's, already logged: skipped as duplicates.
    const refused = await stowage(['run', 'c.ndjson'], { cwd: dir });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('run b of shop/ltv was interrupted after handing changes on');
    expect(refused.stderr).toContain('nothing of run c was applied');
    expect((await stowage(['run', 'b.ndjson', 'c.ndjson'], { cwd: dir })).code).toBe(0);
    expect((await stowage(['sync'], { cwd: dir })).code).toBe(0);
    const tables = await dumpSchema(dir, 'engage_shop');
    expect(tables.users!.map((row) => JSON.parse(row).ltv)).toEqual([3, 3, 3]);
    expect(tables.identifies).toHaveLength(9);
  });

  it('is given up with --abandon-interrupted, said once, and later runs go on', async () => {
    const dir = project();
    writeFileSync(join(dir, 'b.ndjson'), trait('b', 21, 2));
    writeFileSync(join(dir, 'c.ndjson'), trait('c', 22, 3));
    writeFileSync(join(dir, 'd.ndjson'), trait('d', 23, 4));
    expect((await stowage(['run', 'b.ndjson'], { cwd: dir, env: { STOWAGE_FAILPOINT: 'state:before-commit' } })).signal).toBe('SIGKILL');
    const c = await stowage(['run', '--abandon-interrupted', 'c.ndjson'], { cwd: dir });
    expect(c.code, c.stderr).toBe(0);
    expect(c.stdout).toContain('applied over the interrupted attempt of run b (--abandon-interrupted, the library\'s abandonInterrupted)');
    const d = await stowage(['run', 'd.ndjson'], { cwd: dir });
    expect(d.code, d.stderr).toBe(0);
    expect(d.stdout).not.toContain('interrupted');
  });

  it('refuses a run older than one applied: an older state would take the profiles back', async () => {
    const dir = project();
    writeFileSync(join(dir, 'b.ndjson'), trait('b', 21, 2));
    writeFileSync(join(dir, 'c.ndjson'), trait('c', 22, 3));
    expect((await stowage(['run', 'c.ndjson'], { cwd: dir })).code).toBe(0);
    const older = await stowage(['run', 'b.ndjson'], { cwd: dir });
    expect(older.code).toBe(1);
    expect(older.stderr).toContain('run b of shop/ltv completed at 2026-11-21T10:00:00.000Z, before run c, which completed at 2026-11-22T10:00:00.000Z and is applied');
    expect((await stowage(['sync'], { cwd: dir })).code).toBe(0);
    expect((await dumpSchema(dir, 'engage_shop')).users!.map((row) => JSON.parse(row).ltv)).toEqual([3, 3, 3]);
  });
});

describe('a Storage Actions write killed with SIGKILL at any point, then retried, leaves each row exactly once', () => {
  const PROFILES = 3_000;
  const config = {
    spaces: {
      shop: {
        id: 'spa_shop',
        computations: { carts: { type: 'linked_audience' } },
        activations: { carts_to_local: { computation: 'carts', warehouse: 'local', table: 'abandoned_carts' } },
      },
    },
  };
  const run = (completedAt = '2026-11-23T10:00:00Z') =>
    [
      { space: 'shop', computation: 'carts', id: 'r1', kind: 'snapshot', completedAt },
      ...Array.from({ length: PROFILES }, (_, i) => ({ userId: `u${i}`, entityContext: { cart_id: `c${i}`, items: [i, i + 1] } })),
    ].map((x) => JSON.stringify(x)).join('\n');

  // After the state's COMMIT, the run is in its WAL alone (checkpoints wait for 256 MB of it).
  it.each(['writer:after-stage:1', 'writer:before-commit:1', 'writer:after-commit:1', 'state:before-commit', 'state:after-commit'])('killed at %s', async (failpoint) => {
    const dir = project(config);
    writeFileSync(join(dir, 'r1.ndjson'), run());
    const killed = await stowage(['run', 'r1.ndjson'], { cwd: dir, env: { STOWAGE_FAILPOINT: failpoint } });
    expect(killed.signal).toBe('SIGKILL');
    // The run again (a re-sent run is a no-op for the state, and writes what is still queued), then an explicit retry.
    const again = await stowage(['run', 'r1.ndjson'], { cwd: dir });
    expect(again.code, again.stdout + again.stderr).toBe(0);
    // Committed before the kill, the run is found in the state (its WAL replayed), not diffed again.
    if (failpoint === 'state:after-commit') expect(again.stdout + again.stderr).toMatch(/was applied before/);
    // The killed attempt's rows are its own, stamped with its time: no sign of a state older than the table.
    expect(again.stdout + again.stderr).not.toContain('the profile state has applied');
    const retry = await stowage(['flush'], { cwd: dir });
    expect(retry.code, retry.stdout + retry.stderr).toBe(0);
    const rows = (await dumpSchema(dir, 'shop')).abandoned_carts!;
    expect(rows).toHaveLength(PROFILES);
    expect(new Set(rows).size).toBe(PROFILES);
  });
  it('is sent again at the first moment a timestamp holds (0001-01-01), its look for the killed attempt\'s rows kept within the years', async () => {
    // The look spans a day each side of the run's time: past the years a timestamp holds, DuckDB
    // refused the bound, and the write failed. (The last moment, 9999-12-31, is now refused as a
    // completedAt ahead of the clock.)
    const dir = project(config);
    writeFileSync(join(dir, 'r1.ndjson'), run('0001-01-01T00:00:00.000Z'));
    expect((await stowage(['run', 'r1.ndjson'], { cwd: dir, env: { STOWAGE_FAILPOINT: 'state:before-commit' } })).signal).toBe('SIGKILL');
    const again = await stowage(['run', 'r1.ndjson'], { cwd: dir });
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(again.stdout).toContain(`0 rows written, ${PROFILES.toLocaleString("en-US")} already there`);
    const rows = (await dumpSchema(dir, 'shop')).abandoned_carts!;
    expect(new Set(rows).size).toBe(PROFILES);
    expect(rows).toHaveLength(PROFILES);
  });
});

describe('a write of the Storage Actions queue killed after it queued held events again, before its cursor passed them', () => {
  it('keeps each held event queued once, and writes it once when it can be', async () => {
    // An existing schema that is missing holds the activation's events back: each drain queues them again at the end.
    const dir = project({
      spaces: {
        shop: {
          id: 'spa_shop',
          computations: { carts: { type: 'linked_audience' } },
          activations: { carts_to_archive: { computation: 'carts', warehouse: 'local', table: 'carts', schema: 'archive' } },
        },
      },
    });
    writeFileSync(join(dir, 'r1.ndjson'), [
      { space: 'shop', computation: 'carts', id: 'r1', kind: 'snapshot', completedAt: '2026-11-23T10:00:00Z' },
      ...['u1', 'u2', 'u3'].map((u) => ({ userId: u, entityContext: { cart_id: `c-${u}` } })),
    ].map((x) => JSON.stringify(x)).join('\n'));
    expect((await stowage(['run', 'r1.ndjson'], { cwd: dir })).stdout).toContain('3 events stay queued');
    // Marked while a drain queues events again, until it ends: only a drain after a kill there looks for copies.
    const marker = join(dir, '.stowage', 'actions', 'local', 'shop', 'requeued');
    for (let kill = 0; kill < 2; kill++) {
      expect((await stowage(['flush'], { cwd: dir, env: { STOWAGE_FAILPOINT: 'actions:after-requeue' } })).signal).toBe('SIGKILL');
      expect(existsSync(marker)).toBe(true);
      const again = await stowage(['flush'], { cwd: dir });
      expect(again.stdout).toContain('3 events stay queued: activation "carts_to_archive": the schema "archive" does not exist');
      expect(existsSync(marker)).toBe(false);
    }
    // Killed there once more, then the schema made: the events are written, and their copies passed by.
    expect((await stowage(['flush'], { cwd: dir, env: { STOWAGE_FAILPOINT: 'actions:after-requeue' } })).signal).toBe('SIGKILL');
    const driver = await DuckDBDriver.open({ path: join(dir, 'warehouse.duckdb') });
    await driver.execute('CREATE SCHEMA archive');
    await driver.close();
    const written = await stowage(['flush'], { cwd: dir });
    expect(written.code, written.stdout + written.stderr).toBe(0);
    expect(written.stdout).toContain('3 events in');
    expect(written.stdout).not.toContain('duplicate');
    expect((await dumpSchema(dir, 'archive')).carts).toHaveLength(3);
  });
});

describe('a run killed right after its state committed, while an activation of its computation was not configured', () => {
  // The run's miss was noted in the activation's marker after the commit: killed in between, the
  // activation added back took its table for up to date, and the members who entered in that run
  // never got a row.
  it('is still noted as missed: the activation added back starts over with its current members', async () => {
    const activations = { a: { computation: 'carts', warehouse: 'local', table: 't' } };
    const space = (withActivation: boolean) => ({ spaces: { shop: { id: 'spa_shop', computations: { carts: { type: 'linked_audience' } }, ...(withActivation ? { activations } : {}) } } });
    const dir = project(space(true));
    const config = (withActivation: boolean) => writeFileSync(join(dir, 'stowage.config.json'), JSON.stringify({ ...space(withActivation), warehouses: { local: { type: 'duckdb', settings: { path: 'warehouse.duckdb' } } } }));
    const run = (id: string, users: string[]) =>
      writeFileSync(join(dir, `${id}.ndjson`), [{ space: 'shop', computation: 'carts', id, kind: 'snapshot', completedAt: `2026-11-2${id.slice(1)}T10:00:00Z` }, ...users.map((u) => ({ userId: u, entityContext: { cart_id: `c_${u}` } }))].map((x) => JSON.stringify(x)).join('\n'));
    run('r1', ['k1']);
    expect((await stowage(['run', 'r1.ndjson'], { cwd: dir })).code).toBe(0);
    config(false);
    run('r2', ['k1', 'k2']);
    expect((await stowage(['run', 'r2.ndjson'], { cwd: dir, env: { STOWAGE_FAILPOINT: 'state:after-commit' } })).signal).toBe('SIGKILL');
    config(true);
    run('r3', ['k1', 'k2', 'k3']);
    const back = await stowage(['run', 'r3.ndjson'], { cwd: dir });
    expect(back.code, back.stdout + back.stderr).toBe(0);
    expect(back.stdout + back.stderr).toContain('it was not configured while run r2 of computation "carts" and any later ones were applied');
    const rows = (await dumpSchema(dir, 'shop')).t!;
    expect(rows.map((r) => JSON.parse(r).user_id).sort()).toEqual(['k1', 'k2', 'k3']);
  });
});
