import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { History } from './history.js';
import { UsageError } from '../engine/errors.js';

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

// A `serve` of years appended forever to one file that every sync read whole: 2 s and 270 MB a
// sync per 100 MB of it, and past 512 MB `stowage history` and a run sent again failed.
describe('the history over years', () => {
  it('is kept in generations of a bounded size, the oldest removed; the recent ones answer a sync, and the newest first the command', () => {
    const folder = join(dir, 'generations');
    mkdirSync(folder);
    const history = new History(join(folder, 'history.ndjson'), 2_000);
    const ids: string[] = [];
    for (let i = 0; i < 200; i++) {
      const record = history.start(i % 2 === 0 ? 'a' : 'b', 'classic', 'schedule');
      record.status = 'Success';
      record.calls = i;
      history.record(record);
      ids.push(record.id);
    }
    const files = readdirSync(folder).filter((f) => f.startsWith('history'));
    // The file in use and at most seven set aside, none of them much past the size.
    expect(files.length).toBeLessThanOrEqual(8);
    expect(files).toContain('history.ndjson');
    const all = history.list({ all: true });
    // The newest kept, in order, none half: what was removed is the oldest.
    expect(all.map((r) => r.id)).toEqual(ids.slice(-all.length));
    expect(all.length).toBeLessThan(200);
    expect(all.every((r) => r.status === 'Success' && r.warehouse !== undefined)).toBe(true);
    const recent = history.list();
    expect(recent.map((r) => r.id)).toEqual(ids.slice(-recent.length));
    expect(recent.length).toBeLessThan(all.length);
    expect(history.latest(5).map((r) => r.calls)).toEqual([195, 196, 197, 198, 199]);
    expect(history.latest(3, (r) => r.warehouse === 'a').map((r) => r.calls)).toEqual([194, 196, 198]);
    // More than the recent generations hold: read further back.
    expect(history.latest(1_000).map((r) => r.id)).toEqual(all.map((r) => r.id));
  });

  it('gives none for a count of 0, and refuses a count that is no whole number 0 or more, which read as all or most of the records', () => {
    const history = new History(join(dir, 'counted', 'history.ndjson'));
    for (let i = 0; i < 3; i++) history.record({ ...history.start('a', 'classic', 'schedule'), status: 'Success' });
    expect(history.latest(0)).toEqual([]);
    expect(history.latest(2)).toHaveLength(2);
    for (const count of [-1, NaN, 1.5, Infinity, '2' as never]) {
      expect(() => history.latest(count), String(count)).toThrow(UsageError);
    }
    expect(() => history.latest(-1)).toThrow('history.latest(n): n must be a whole number of records, 0 or more, not -1');
  });

  it("folds a record whose start was set aside with its later lines in the new file", () => {
    const folder = join(dir, 'straddling');
    mkdirSync(folder);
    const history = new History(join(folder, 'history.ndjson'), 600);
    const long = history.start('a', 'classic', 'manual');
    // Others' records meanwhile fill the file: it is set aside while `long` runs.
    for (let i = 0; i < 5; i++) history.record({ ...history.start('b', 'classic', 'schedule'), status: 'Success' });
    expect(readdirSync(folder).filter((f) => /^history-\d{10}\.ndjson$/.test(f)).length).toBeGreaterThan(0);
    // Only its counts after the set-aside: who and what it is come from its start line.
    history.progress({ ...long, calls: 7, rows: { identifies: 7 } });
    expect(history.list({ all: true }).find((r) => r.id === long.id)).toMatchObject({ warehouse: 'a', trigger: 'manual', status: 'Running', calls: 7, startedAt: long.startedAt });
  });

  it('never takes an ended record back to Running where its lines come out of order (a generation linked twice)', () => {
    const folder = join(dir, 'order');
    mkdirSync(folder);
    const file = join(folder, 'history.ndjson');
    const history = new History(file);
    const started = history.start('a', 'classic', 'manual');
    history.record({ ...started, status: 'Success', calls: 3 });
    // Its start line read again after its end.
    appendFileSync(file, `${JSON.stringify(started)}\n`);
    expect(history.list()).toEqual([expect.objectContaining({ id: started.id, status: 'Success', calls: 3 })]);
  });

  it('names generations by number, so a clock set back never takes the newest for the oldest', () => {
    const folder = join(dir, 'clock');
    mkdirSync(folder);
    const file = join(folder, 'history.ndjson');
    const history = new History(file, 500);
    const ids: string[] = [];
    const realNow = Date.now;
    try {
      for (let i = 0; i < 60; i++) {
        // The clock jumps back a year halfway.
        if (i === 30) Date.now = () => realNow() - 365 * 86_400_000;
        const r = history.start('a', 'classic', 'schedule');
        history.record({ ...r, status: 'Success' });
        ids.push(r.id);
      }
    } finally {
      Date.now = realNow;
    }
    const kept = history.list({ all: true }).map((r) => r.id);
    expect(kept).toEqual(ids.slice(-kept.length));
    expect(kept.at(-1)).toBe(ids.at(-1));
  });

  it('tells whether a warehouse was ever synced by a mark its first ended sync leaves, and by the recent history for one from before marks', () => {
    const folder = join(dir, 'marks');
    mkdirSync(folder);
    const history = new History(join(folder, 'history.ndjson'));
    const failed = history.start('a', 'classic', 'schedule');
    history.record({ ...failed, status: 'Failure', error: 'down' });
    expect(history.everSynced('a')).toBe(false);
    history.record({ ...history.start('a', 'classic', 'schedule'), status: 'Partial' });
    expect(history.everSynced('a')).toBe(true);
    expect(existsSync(join(folder, 'synced', 'a'))).toBe(true);
    // A Storage Actions write is no sync.
    history.record({ ...history.start('b', 'storage-actions', 'run r1'), status: 'Success' });
    expect(history.everSynced('b')).toBe(false);
    // Synced before marks were made: found in the history, and marked.
    appendFileSync(join(folder, 'history.ndjson'), `${JSON.stringify({ ...history.draft('c', 'classic', 'schedule'), status: 'Success' })}\n`);
    expect(history.everSynced('c')).toBe(true);
    expect(existsSync(join(folder, 'synced', 'c'))).toBe(true);
  });

  it('reads only the end of a file an older version grew past the size of a generation', () => {
    const folder = join(dir, 'grown');
    mkdirSync(folder);
    const file = join(folder, 'history.ndjson');
    const old = new History(file, 1e12);
    for (let i = 0; i < 100; i++) old.record({ ...old.start('a', 'classic', 'schedule'), status: 'Success', calls: i });
    // Now with generations of 1 KB: the old file is set aside whole at the next record, and read from its end.
    const history = new History(file, 1_000);
    history.record({ ...history.start('a', 'classic', 'schedule'), status: 'Success', calls: 100 });
    const read = history.list({ all: true }).map((r) => r.calls);
    expect(read.length).toBeLessThan(20);
    expect(read).toEqual(Array.from({ length: read.length }, (_, i) => 101 - read.length + i));
  });
});

describe('the end of a sync that cannot be written', () => {
  it("says why, where the sync failed on something else (the disk's error was left out: nothing told why its end is missing)", () => {
    const file = join(dir, 'unwritable.ndjson');
    const history = new History(file);
    const record = history.start('wh', 'classic', 'manual');
    // Its file made unwritable while the sync ran (a folder in its place).
    rmSync(file);
    mkdirSync(file);
    record.status = 'Failure';
    record.error = 'Cannot connect to db.example.com:5432: connect ECONNREFUSED';
    history.recordEnd(record, 'what stands');
    expect(record.error).toMatch(/^Cannot connect to db\.example\.com:5432: connect ECONNREFUSED; nor could its end be written to the history \(EISDIR: illegal operation on a directory.*\), which shows it unfinished \(interrupted once this process ends\) until this process can write there again: what stands$/);
    // The same disk's failure, already said, is not said twice.
    const again = history.draft('wh', 'classic', 'manual');
    let said: unknown;
    try {
      history.record(again);
    } catch (error) {
      said = error;
    }
    again.error = (said as Error).message;
    history.recordEnd(again, 'what stands');
    expect(again.error).toBe(`${(said as Error).message}; nor could its end be written to the history, which shows it unfinished (interrupted once this process ends) until this process can write there again: what stands`);
    rmSync(file, { recursive: true });
  });
});
