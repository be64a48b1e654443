import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { processAlive } from '../process/alive.js';

/**
 * A session's folder for its load files, `<tmp>/<prefix><pid>-…`: removed when the session
 * closes, and swept by the next session when its process died first (kill -9), so that a killed
 * sync never leaves load files behind for long.
 */
export async function openLoadDir(prefix: string): Promise<string> {
  for (const name of await readdir(tmpdir()).catch(() => [] as string[])) {
    if (!name.startsWith(prefix)) continue;
    const pid = Number(name.slice(prefix.length).split('-')[0]);
    if (Number.isSafeInteger(pid) && pid > 0 && pid !== process.pid && !processAlive(pid)) await rm(join(tmpdir(), name), { recursive: true, force: true });
  }
  return mkdtemp(join(tmpdir(), `${prefix}${process.pid}-`));
}
