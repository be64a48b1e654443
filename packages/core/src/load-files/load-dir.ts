import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ownerGone } from '../process/alive.js';

/**
 * A folder whose owner looks gone is swept only once nothing was written in it for this long:
 * a process in another pid namespace sharing the temporary folder (two containers) looks dead
 * from here while its session still loads from it.
 */
const SWEPT_AFTER_MS = 6 * 3600 * 1000;

/**
 * A session's folder for its load files, `<tmp>/<prefix><pid>-…`: removed when the session
 * closes, and swept by a later session when its process died first (kill -9), so that a killed
 * sync never leaves load files behind for long.
 */
export async function openLoadDir(prefix: string): Promise<string> {
  for (const name of await readdir(tmpdir()).catch(() => [] as string[])) {
    if (!name.startsWith(prefix)) continue;
    const pid = Number(name.slice(prefix.length).split('-')[0]);
    // This process's pid too: an earlier process with it (a container's PID 1) left it.
    if (!Number.isSafeInteger(pid) || pid <= 0) continue;
    const path = join(tmpdir(), name);
    const written = await stat(path).then((s) => s.mtimeMs).catch(() => undefined);
    if (written !== undefined && Date.now() - written > SWEPT_AFTER_MS && ownerGone(pid, written)) await rm(path, { recursive: true, force: true });
  }
  return mkdtemp(join(tmpdir(), `${prefix}${process.pid}-`));
}
