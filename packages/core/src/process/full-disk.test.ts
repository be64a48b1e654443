import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { fullDiskAdvice } from './full-disk.js';

describe('fullDiskAdvice', () => {
  it('names the disks Stowage writes to for a full disk, by its code or its words, and nothing for another error', () => {
    const advice = `a disk Stowage writes to is full: the state folder's, /srv/.stowage, a DuckDB warehouse file's, or the temporary folder's, ${tmpdir()}, for load files; make room and run the command again: what was committed stays, and nothing loads twice`;
    expect(fullDiskAdvice(Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' }), ['/srv/.stowage'])).toBe(advice);
    expect(fullDiskAdvice(Object.assign(new Error('EDQUOT: disk quota exceeded, write'), { code: 'EDQUOT' }), ['/srv/.stowage'])).toBe(advice);
    // DuckDB's own words, no code.
    expect(fullDiskAdvice(new Error('IO Error: Could not write file "/srv/w.duckdb.wal": No space left on device'), ['/srv/.stowage'])).toBe(advice);
    expect(fullDiskAdvice(Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' }), ['/srv/.stowage'])).toBeUndefined();
  });
});
