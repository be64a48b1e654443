import { closeSync, fsyncSync, openSync } from 'node:fs';

/** What a system says where a folder cannot be opened or flushed so (Windows, some network file systems): there it is left to the file system. */
const UNSUPPORTED = new Set(['EISDIR', 'EINVAL', 'ENOTSUP', 'EPERM', 'EACCES', 'EBADF']);

/**
 * Flushes a folder's entries to disk: the names of the files and folders made in it. By POSIX,
 * an fsync of a file made anew does not make its name durable, and a power loss could take the
 * whole file with it: a log segment holding calls its append said were logged.
 */
export function syncFolder(dir: string): void {
  let fd: number;
  try {
    fd = openSync(dir, 'r');
  } catch (error) {
    if (UNSUPPORTED.has((error as NodeJS.ErrnoException).code ?? '')) return;
    throw error;
  }
  try {
    fsyncSync(fd);
  } catch (error) {
    if (!UNSUPPORTED.has((error as NodeJS.ErrnoException).code ?? '')) throw error;
  } finally {
    closeSync(fd);
  }
}
