import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { byteSize, errorMessage } from './output.js';

describe('byteSize', () => {
  it('gives less than a tenth of a megabyte in kB, where a slow pipe read `0.0 MB`', () => {
    expect([0, 400, 12_345, 99_999, 100_000, 46_000_000].map(byteSize)).toEqual(['0 kB', '1 kB', '12 kB', '100 kB', '0.1 MB', '46.0 MB']);
  });
});

describe('errorMessage', () => {
  it('says where a write that ran out of room may have been, which the system does not name', () => {
    const full = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    expect(errorMessage(full, ['/srv/stowage/.stowage'])).toBe(
      `ENOSPC: no space left on device, write (a disk Stowage writes to is full: the state folder's, /srv/stowage/.stowage, a DuckDB warehouse file's, or the temporary folder's, ${tmpdir()}, for load files; make room and run the command again: what was committed stays, and nothing loads twice)`,
    );
    // One that names its file in the state folder says to check it, as before; others are as they are.
    const named = Object.assign(new Error("EACCES: permission denied, open '/srv/stowage/.stowage/history.ndjson'"), { code: 'EACCES', path: '/srv/stowage/.stowage/history.ndjson' });
    expect(errorMessage(named, ['/srv/stowage/.stowage'])).toContain('(`stowage check` tests the state folder');
    expect(errorMessage(new Error('boom'), ['/srv/stowage/.stowage'])).toBe('boom');
  });

  it('says to shorten the state folder where its path is too long for the file system', () => {
    const dir = `/srv/${'x'.repeat(300)}`;
    const long = Object.assign(new Error(`ENAMETOOLONG: name too long, mkdir '${dir}/locks'`), { code: 'ENAMETOOLONG', path: `${dir}/locks` });
    expect(errorMessage(long, [dir])).toBe(`ENAMETOOLONG: name too long, mkdir '${dir}/locks' (the state folder's path, \`stateDir\`, is too long for the file system: give it a shorter one; \`stowage check\` tests it)`);
  });
});
