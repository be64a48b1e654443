import { existsSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { emptyFileAt, removeIfStillEmpty } from './empty-file.js';

const dir = mkdtempSync(join(tmpdir(), 'empty-file-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('removeIfStillEmpty', () => {
  it('removes the empty file seen before, and never another made in its place meanwhile, a file that holds bytes, or a link', () => {
    const path = join(dir, 'a.duckdb');
    writeFileSync(path, '');
    expect(removeIfStillEmpty(emptyFileAt(path))).toBe(true);
    expect(existsSync(path)).toBe(false);
    // Another process removed it and made the database again: a new file, empty for a moment.
    writeFileSync(path, '');
    const seen = emptyFileAt(path);
    // Moved aside rather than removed, so that the new file cannot take its inode in this test.
    renameSync(path, `${path}.gone`);
    writeFileSync(path, '');
    expect(removeIfStillEmpty(seen)).toBe(false);
    expect(existsSync(path)).toBe(true);
    writeFileSync(path, 'x');
    expect(emptyFileAt(path)).toBeUndefined();
    const empty = join(dir, 'b');
    writeFileSync(empty, '');
    symlinkSync(empty, join(dir, 'link.duckdb'));
    expect(emptyFileAt(join(dir, 'link.duckdb'))).toBeUndefined();
    expect(removeIfStillEmpty(undefined)).toBe(false);
  });
});
