import { statSync, unlinkSync } from 'node:fs';

/**
 * Removes the file an embedded engine refused to open if it is empty, and says whether it did:
 * a command that ran out of disk as it made the file (ENOSPC) left zero bytes, which the engine
 * then refused on every later open ("not a valid DuckDB database file") until someone deleted it
 * by hand. Zero bytes hold nothing to lose. Asked only once the engine failed on the file: one
 * another process is making holds its lock, which fails the open first.
 */
export function removedIfEmpty(path: string): boolean {
  try {
    if (statSync(path).size !== 0) return false;
    unlinkSync(path);
    return true;
  } catch {
    return false;
  }
}
