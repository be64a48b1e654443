import { randomUUID } from 'node:crypto';
import { closeSync, fsyncSync, linkSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';

/**
 * The text of a file made once and never changed (an id): read when it is there, else made.
 * Written whole, then linked into place, which fails if it is there: two processes making it at
 * once agree on the one that got there first, and a reader never sees it half written.
 */
export function madeOnce(file: string, make: () => string): string {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const mine = `${file}.${process.pid}.${randomUUID()}`;
  // On disk before it is linked into place: a power loss must not leave the name on an empty file.
  const fd = openSync(mine, 'w');
  try {
    writeFileSync(fd, make());
    fsyncSync(fd);
  } catch (error) {
    closeSync(fd);
    rmSync(mine, { force: true });
    throw error;
  }
  closeSync(fd);
  try {
    linkSync(mine, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    rmSync(mine, { force: true });
  }
  return readFileSync(file, 'utf8').trim();
}
