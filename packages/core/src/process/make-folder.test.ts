import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeFolder } from './make-folder.js';

const dir = mkdtempSync(join(tmpdir(), 'make-folder-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('makeFolder', () => {
  it('makes the missing folders, parent first, and tells which it made', () => {
    const deep = join(dir, 'a', 'b', 'c');
    expect(makeFolder(deep)).toEqual([join(dir, 'a'), join(dir, 'a', 'b'), deep]);
    expect(statSync(deep).isDirectory()).toBe(true);
    expect(makeFolder(deep)).toEqual([]);
  });

  it('throws the refusal of a folder under a file, or of a file where the folder is, with its code and path', () => {
    writeFileSync(join(dir, 'file'), '');
    expect(() => makeFolder(join(dir, 'file', 'x'))).toThrow(expect.objectContaining({ code: 'ENOTDIR' }));
    expect(() => makeFolder(join(dir, 'file'))).toThrow(expect.objectContaining({ code: 'EEXIST', path: join(dir, 'file') }));
  });

  // /proc refuses a folder with ENOENT though it is there: Node's recursive mkdirSync then makes
  // /proc and the folder again and again, for good (a command hung on a full core, saying nothing).
  it.runIf(process.platform === 'linux')('ends where the file system refuses a folder whose parent is there (/proc), naming it', () => {
    const error = (() => {
      try {
        makeFolder('/proc/stowage-state');
      } catch (e) {
        return e as NodeJS.ErrnoException;
      }
      return undefined;
    })();
    expect(error?.path).toBe('/proc/stowage-state');
    if (error?.code === 'ENOENT') expect(error.message).toBe("ENOENT: the file system refuses a folder here, mkdir '/proc/stowage-state' (its parent /proc is there)");
  });
});
