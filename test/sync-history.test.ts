import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openStowage } from '@stowage/cli';
import { project, stowage } from './support/cli.js';

describe('a sync whose history cannot be written', () => {
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
    expect(record.error).toContain('nor could its end be written to the history, which shows it interrupted: the calls counted here were loaded');
    // Room again: the history begins anew.
    rmSync(history, { recursive: true });
    const again = await stowage(['sync', 'local'], { cwd: dir });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('Success: warehouse local, 0 calls');
  });
});
