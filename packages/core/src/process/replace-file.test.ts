import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
