import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { makeFolder } from './make-folder.js';

/** The name a file being replaced is written under first (`replaceFile`): such names are no file of the folder's. */
export const isReplacement = (name: string) => name.endsWith('.tmp');

/**
 * Writes `text` to `path` whole or not at all: into a file of this process's own beside it, then
 * renamed over it, so that a crash or a full disk mid-write leaves the file as it was rather than
 * torn (an empty marker read as another one). Makes the folder first.
 */
export function replaceFile(path: string, text: string): void {
  makeFolder(dirname(path));
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, text);
    renameSync(tmp, path);
  } catch (error) {
    try {
      rmSync(tmp, { force: true });
    } catch {
      // The write's error is the one to tell.
    }
    throw error;
  }
}
