import fs, { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { replaceFile } from './replace-file.js';

const dir = mkdtempSync(join(tmpdir(), 'stowage-replace-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Written in place, a marker cut short by a full disk was left empty, and read as another one.
it('replaces a file whole, or leaves it as it was when the write fails', () => {
  const path = join(dir, 'a', 'marker');
  replaceFile(path, '{"v":1}');
  expect(readFileSync(path, 'utf8')).toBe('{"v":1}');
  replaceFile(path, '{"v":2}');
  expect(readFileSync(path, 'utf8')).toBe('{"v":2}');
  // The write of the new text fails (its file cannot be made): the old text stays, whole.
  mkdirSync(`${path}.${process.pid}.tmp`);
  writeFileSync(join(`${path}.${process.pid}.tmp`, 'x'), '');
  expect(() => replaceFile(path, '{"v":3}')).toThrow(/EISDIR|illegal operation on a directory/);
  expect(readFileSync(path, 'utf8')).toBe('{"v":2}');
  expect(readdirSync(join(dir, 'a')).sort()).toEqual(['marker', `marker.${process.pid}.tmp`]);
});

// Renamed before its text reached the disk, a cursor could come back from a power loss empty;
// with its folder unflushed, as the cursor before it.
it('flushes the new text before the rename, and the folder after it', () => {
  const path = join(dir, 'b', 'cursor.json');
  replaceFile(path, '{"at":1}');
  const steps: string[] = [];
  const { fsyncSync, renameSync, openSync } = fs;
  const opened = new Map<number, string>();
  fs.openSync = ((file: string, ...rest: unknown[]) => {
    const fd = (openSync as (...a: unknown[]) => number)(file, ...rest);
    opened.set(fd, String(file));
    return fd;
  }) as typeof fs.openSync;
  fs.fsyncSync = ((fd: number) => {
    steps.push(`fsync ${opened.get(fd) === path ? 'file' : opened.get(fd) === join(dir, 'b') ? 'folder' : opened.get(fd)?.endsWith('.tmp') ? 'tmp' : '?'}`);
    fsyncSync(fd);
  }) as typeof fs.fsyncSync;
  fs.renameSync = ((from: fs.PathLike, to: fs.PathLike) => {
    steps.push('rename');
    renameSync(from, to);
  }) as typeof fs.renameSync;
  syncBuiltinESMExports();
  try {
    replaceFile(path, '{"at":2}');
  } finally {
    Object.assign(fs, { fsyncSync, renameSync, openSync });
    syncBuiltinESMExports();
  }
  expect(steps).toEqual(['fsync tmp', 'rename', 'fsync folder']);
  expect(readFileSync(path, 'utf8')).toBe('{"at":2}');
});
