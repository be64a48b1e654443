import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openStowage } from '@stowage/cli';
import { project, stowage } from './support/cli.js';

describe('a sync or write whose history cannot be written', () => {
  // A full disk under the state folder fails the history's appends, after batches committed: the
  // sync must still say what it loaded, not be told as one that never began ("not synced").
  it('returns its record, a Failure that counts the calls it loaded, and the next sync loads none of them twice', async () => {
    const dir = project({ batchSize: 1 });
    writeFileSync(join(dir, 'calls.ndjson'), ['m1', 'm2'].map((id, i) => JSON.stringify({ type: 'identify', userId: `u${i}`, messageId: id, traits: { plan: 'pro' } })).join('\n'));
    expect((await stowage(['ingest', 'calls.ndjson', '--space', 'shop'], { cwd: dir })).code).toBe(0);
    const history = join(dir, '.stowage', 'history.ndjson');
    const s = openStowage(join(dir, 'stowage.config.json'));
    let broken = false;
    // After the first batch commits, the history file cannot be appended to (a folder in its place).
    const breakHistory = () => {
      if (broken) return;
      broken = true;
      rmSync(history);
      mkdirSync(history);
    };
    const record = await s.sync('local', { onProgress: breakHistory });
    await s.close();
    expect(record).toMatchObject({ status: 'Failure', calls: 2 });
    expect(record.error).toContain('nor could its end be written to the history, which shows it unfinished (interrupted once this process ends) until this process can write there again: the calls counted here were loaded');
    // Room again: the history begins anew.
    rmSync(history, { recursive: true });
    const again = await stowage(['sync', 'local'], { cwd: dir });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('Success: warehouse local, 0 calls');
  });

  // The same for a Storage Actions write: thrown, the run was told as failed, though it was
  // applied (sent again, it is "applied before") and its events were queued.
  it('returns the run, its write a Failure that says what stands, and a flush writes the events once', async () => {
    const dir = project({ spaces: { shop: { id: 'spa_shop', computations: { carts: { type: 'linked_audience' } }, activations: { a: { computation: 'carts', warehouse: 'local', table: 'carts' } } } } });
    const s = openStowage(join(dir, 'stowage.config.json'));
    const profile = (id: string) => ({ profileId: id, userId: id, anonymousIds: [], emails: [], mobileIds: [] });
    const run = (id: string, day: number, ids: string[]) => s.applyRun({ space: 'shop', computation: 'carts', id, kind: 'snapshot', completedAt: `2026-01-0${day}T00:00:00Z` } as never, [ids.map(profile)] as never);
    expect((await run('r1', 1, ['u1'])).writes?.[0]?.status).toBe('Success');
    const history = join(dir, '.stowage', 'history.ndjson');
    rmSync(history);
    mkdirSync(history);
    const outcome = await run('r2', 2, ['u1', 'u2']);
    expect(outcome.writes?.[0]).toMatchObject({ status: 'Failure', error: expect.stringContaining('nor could its end be written to the history, which shows it unfinished (interrupted once this process ends) until this process can write there again: the events counted here were written, and those not written stay queued') });
    expect(outcome.activations).toEqual([expect.objectContaining({ written: 0, queued: 1 })]);
    rmSync(history, { recursive: true });
    const [flushed] = await s.flush('local');
    expect(flushed!.record).toMatchObject({ status: 'Success', rows: { 'shop.carts': 1 } });
    await s.close();
  });
});

describe('a sync whose end could not be written, in a process that goes on (serve)', () => {
  it('is written, as the Failure it returned, before the next record that can be: not left Running while the process lives', async () => {
    const dir = project({ batchSize: 1 });
    writeFileSync(join(dir, 'calls.ndjson'), ['m1', 'm2'].map((id, i) => JSON.stringify({ type: 'identify', userId: `u${i}`, messageId: id, traits: { plan: 'pro' } })).join('\n'));
    expect((await stowage(['ingest', 'calls.ndjson', '--space', 'shop'], { cwd: dir })).code).toBe(0);
    const history = join(dir, '.stowage', 'history.ndjson');
    const s = openStowage(join(dir, 'stowage.config.json'));
    try {
      let broken = false;
      const record = await s.sync('local', {
        onProgress: () => {
          if (broken) return;
          broken = true;
          rmSync(history);
          mkdirSync(history);
        },
      });
      expect(record).toMatchObject({ status: 'Failure', calls: 2 });
      // Read in this process meanwhile, it is what it returned.
      expect(s.history.list().find((r) => r.id === record.id)).toMatchObject({ status: 'Failure', error: record.error });
      // Room again: the next sync of the same process writes the end first.
      rmSync(history, { recursive: true });
      expect(await s.sync('local')).toMatchObject({ status: 'Success', calls: 0 });
      const shown = await stowage(['history'], { cwd: dir });
      expect(shown.code, shown.stderr).toBe(0);
      expect(shown.stdout).not.toContain('Running');
      expect(shown.stdout).toMatch(/Failure .* 2 +identifies=2 users=2 .* EISDIR/);
    } finally {
      await s.close();
    }
  });
});
