import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';

/** The paths fsynced, in order: a folder's, when the names it holds are made durable. */
const synced: string[] = [];

vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>();
  const paths = new Map<number, string>();
  return {
    ...fs,
    openSync: (path: string, ...rest: []) => {
      const fd = fs.openSync(path, ...rest);
      paths.set(fd, String(path));
      return fd;
    },
    fsyncSync: (fd: number) => {
      synced.push(paths.get(fd) ?? `fd ${fd}`);
      fs.fsyncSync(fd);
    },
  };
});

const { CallLog } = await import('./call-log.js');

describe('a call log on disk', () => {
  it('makes durable the name of each segment an append makes, and of each folder it makes, not only their bytes: a power loss could take a new file whole', async () => {
    const root = mkdtempSync(join(tmpdir(), 'call-log-durable-'));
    const dir = join(root, 'log', 'local', 'default');
    const log = new CallLog(dir, 100);
    // The folders made, each named in its parent.
    expect(synced).toEqual(expect.arrayContaining([root, join(root, 'log'), join(root, 'log', 'local')]));
    synced.length = 0;
    await log.append([{ messageId: 'm1', pad: 'x'.repeat(80) }]);
    expect(synced).toEqual([join(dir, '0000000000.ndjson'), dir]);
    synced.length = 0;
    // Past the segment's size: a new one, named durably too.
    await log.append([{ messageId: 'm2', pad: 'x'.repeat(80) }]);
    expect(synced).toEqual([join(dir, '0000000001.ndjson'), dir]);
    synced.length = 0;
    await log.append([{ messageId: 'm3' }].slice(0, 0));
    expect(synced).toEqual([]);
    // Another instance in this process (a run makes one a batch): the names are durable already.
    await new CallLog(dir, 1_000_000).append([{ messageId: 'm4' }]);
    expect(synced).toEqual([join(dir, '0000000001.ndjson')]);
    synced.length = 0;
    // Another process's, after one killed between making a segment and syncing its folder: its
    // first append makes the names durable, once.
    vi.resetModules();
    const { CallLog: InAnotherProcess } = await import('./call-log.js');
    const later = new InAnotherProcess(dir, 1_000_000);
    await later.append([{ messageId: 'm5' }]);
    expect(synced).toEqual([join(dir, '0000000001.ndjson'), dir]);
    synced.length = 0;
    await later.append([{ messageId: 'm6' }]);
    expect(synced).toEqual([join(dir, '0000000001.ndjson')]);
  });
});
