import { tmpdir } from 'node:os';

/**
 * What to do about an error of a full disk (ENOSPC, EDQUOT), or undefined for any other: which
 * disks Stowage writes to, since a failed write often names no file (`ENOSPC: no space left on
 * device, write`), and that running the command again after making room loses and doubles nothing.
 */
export function fullDiskAdvice(error: unknown, stateDirs: Iterable<string>): string | undefined {
  const { code } = (error ?? {}) as NodeJS.ErrnoException;
  const message = (error as Error)?.message ?? String(error);
  if (code !== 'ENOSPC' && code !== 'EDQUOT' && !/\bENOSPC\b|no space left on device|disk quota exceeded/i.test(message)) return undefined;
  return `a disk Stowage writes to is full: the state folder's, ${[...stateDirs].join(', ')}, a DuckDB warehouse file's, or the temporary folder's, ${tmpdir()}, for load files; make room and run the command again: what was committed stays, and nothing loads twice`;
}
