import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { History } from './history.js';

const dir = mkdtempSync(join(tmpdir(), 'stowage-history-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the history of an interrupted sync', () => {
  it('shows what it committed and the notices it wrote ahead, as a Failure, interrupted', () => {
    const history = new History(join(dir, 'history.ndjson'));
    const record = history.start('wh', 'classic', 'manual');
    // The process that ran it is gone.
    record.pid = Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout);
    history.record(record);
    record.notices.push('engage_default holds no record of the calls loaded into it before …');
    history.progress(record, { notices: true });
    record.calls = 20_000;
    record.rows = { identifies: 10_000 };
    record.notices.push('a later notice, not written ahead');
    history.progress(record);
    expect(new History(join(dir, 'history.ndjson')).list()).toEqual([
      expect.objectContaining({
        status: 'Failure',
        calls: 20_000,
        rows: { identifies: 10_000 },
        notices: ['engage_default holds no record of the calls loaded into it before …'],
        error: 'interrupted: the process running this sync stopped before it finished (what it had committed is counted)',
      }),
    ]);
  });

  it('keeps a record written after a line cut short (a write that ran out of disk): it starts a line of its own', () => {
    const file = join(dir, 'cut.ndjson');
    const history = new History(file);
    const first = history.start('wh', 'classic', 'manual');
    // The last record's write was cut short.
    appendFileSync(file, '{"id":"sync_x","warehouse":"lo');
    const second = history.start('wh', 'classic', 'manual');
    expect(new History(file).list().map((r) => r.id)).toEqual(expect.arrayContaining([first.id, second.id]));
    expect(readFileSync(file, 'utf8').split('\n').filter(Boolean).at(-1)).toBe(JSON.stringify(second));
  });

  it("shows as interrupted a sync whose pid a later process has (a container's PID 1), this one too", () => {
    const file = join(dir, 'reused.ndjson');
    const history = new History(file);
    // Written by another process that had this one's pid, before this one started.
    const record = { ...history.draft('wh', 'classic', 'schedule'), id: 'sync_from_before', startedAt: '2020-01-01T00:00:00.000Z', pid: process.pid };
    history.record(record);
    const mine = history.start('wh', 'classic', 'manual');
    const listed = new History(file).list();
    expect(listed.find((r) => r.id === 'sync_from_before')).toMatchObject({ status: 'Failure', error: expect.stringMatching(/^interrupted/) });
    expect(listed.find((r) => r.id === mine.id)).toMatchObject({ status: 'Running' });
  });
});
