import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/**
 * Makes a folder and the folders above it that are missing, parent first, and returns those it
 * made (the topmost first). Not Node's `mkdirSync(…, { recursive: true })`, which loops for good
 * where the system refuses a folder with ENOENT though its parent is there (a state folder under
 * /proc, some FUSE mounts): it makes the parent again, then the folder, again and again, and the
 * command hangs on a full core saying nothing. A refusal is thrown with the system's code and the
 * folder's path (`errorMessage` of the CLI then names `stateDir`).
 */
export function makeFolder(path: string): string[] {
  const made: string[] = [];
  // A parent removed between the look and the mkdir (an empty folder `stowage check` made and
  // removes again) is made again: a few times, then the refusal stands.
  for (let attempt = 1; ; attempt++) {
    const missing: string[] = [];
    for (let at = resolve(path); !existsSync(at); ) {
      missing.push(at);
      const up = dirname(at);
      if (up === at) break;
      at = up;
    }
    if (missing.length === 0 && !statSync(path).isDirectory()) {
      throw Object.assign(new Error(`EEXIST: file already exists, mkdir '${path}' (a file, where a folder is needed)`), { code: 'EEXIST', path, syscall: 'mkdir' });
    }
    try {
      for (const dir of missing.reverse()) {
        try {
          mkdirSync(dir);
          made.push(dir);
        } catch (error) {
          const e = error as NodeJS.ErrnoException;
          // Made meanwhile by another process.
          if (e.code === 'EEXIST' && statSync(dir, { throwIfNoEntry: false })?.isDirectory()) continue;
          if (e.code === 'ENOENT' && existsSync(dirname(dir))) {
            throw Object.assign(new Error(`ENOENT: the file system refuses a folder here, mkdir '${dir}' (its parent ${dirname(dir)} is there)`), { code: e.code, path: dir, syscall: 'mkdir', cause: error });
          }
          throw error;
        }
      }
      return made;
    } catch (error) {
      const e = error as NodeJS.ErrnoException;
      // The parent went meanwhile (the refusal above needs it there): look again.
      if (e.code === 'ENOENT' && e.cause === undefined && attempt < 3) continue;
      throw error;
    }
  }
}
