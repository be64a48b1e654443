import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { makeFolder } from './make-folder.js';
import { syncFolder } from './sync-folder.js';

/** The name a file being replaced is written under first (`replaceFile`): such names are no file of the folder's. */
export const isReplacement = (name: string) => name.endsWith('.tmp');

/**
 * Writes `text` to `path` whole or not at all: into a file of this process's own beside it, then
 * renamed over it, so that a crash or a full disk mid-write leaves the file as it was rather than
 * torn (an empty marker read as another one). Makes the folder first.
 *
 * The new text is flushed before the rename and the folder after it: without the first, a power
 * loss can leave the new name on an empty file (a file system may order the rename before the
 * data); without the second, the old text back after the caller went on as if the new one held
 * (a cursor behind the events it says were written).
 */
export function replaceFile(path: string, text: string): void {
  const dir = dirname(path);
  makeFolder(dir);
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    const fd = openSync(tmp, 'w');
    try {
      const bytes = Buffer.from(text);
      for (let at = 0; at < bytes.length; ) at += writeSync(fd, bytes, at);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (error) {
    try {
      rmSync(tmp, { force: true });
    } catch {
      // The write's error is the one to tell.
    }
    throw error;
  }
  syncFolder(dir);
}
