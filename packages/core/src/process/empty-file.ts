import { lstatSync, unlinkSync, type BigIntStats } from 'node:fs';

/** A file as it was seen before an engine opened it: which file, and that it was empty. */
export interface EmptyFile {
  readonly path: string;
  readonly seen: BigIntStats;
}

/** The file at `path` if it is a regular file of zero bytes now (not a link), for `removeIfStillEmpty`. */
export function emptyFileAt(path: string): EmptyFile | undefined {
  try {
    const seen = lstatSync(path, { bigint: true });
    return seen.isFile() && seen.size === 0n ? { path, seen } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Removes a file an embedded engine refused to open, if it is still the empty file seen before
 * the open, and says whether it did: a command that ran out of disk as it made the file (ENOSPC)
 * left zero bytes, which the engine then refused on every later open ("not a valid DuckDB
 * database file") until someone deleted it by hand. Zero bytes hold nothing to lose. Only the
 * same file (device, inode and change time): another process that removed it meanwhile and made
 * the database again holds a new file, however empty it still is, and keeps it.
 */
export function removeIfStillEmpty(file: EmptyFile | undefined): boolean {
  if (!file) return false;
  try {
    const now = lstatSync(file.path, { bigint: true });
    if (now.size !== 0n || now.dev !== file.seen.dev || now.ino !== file.seen.ino || now.ctimeNs !== file.seen.ctimeNs) return false;
    unlinkSync(file.path);
    return true;
  } catch {
    return false;
  }
}
