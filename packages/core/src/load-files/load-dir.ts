import { readlinkSync } from 'node:fs';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ownerGone } from '../process/alive.js';

/**
 * A folder made in another pid namespace (another container sharing the temporary folder), or
 * one that does not say, is swept only once nothing was written in it for this long: its owner's
 * pid means nothing here, and it may be loading from it still.
 */
const SWEPT_AFTER_MS = 6 * 3600 * 1000;

/** This process's pid namespace (Linux: the number in `pid:[…]`); '' where there is none to tell. */
function pidNamespace(): string {
  try {
    return /\[(\d+)\]/.exec(readlinkSync('/proc/self/ns/pid'))?.[1] ?? '';
  } catch {
    return '';
  }
}

const NAMESPACE = pidNamespace();

/**
 * A session's folder for its load files, `<tmp>/<prefix><pid>-ns<namespace>-…`: removed when the
 * session closes, and swept by a later session when its process died first (kill -9), so that a
 * killed sync never leaves load files behind for long.
 */
export async function openLoadDir(prefix: string): Promise<string> {
  for (const name of await readdir(tmpdir()).catch(() => [] as string[])) {
    if (!name.startsWith(prefix)) continue;
    const [pidText, nsPart] = name.slice(prefix.length).split('-');
    const pid = Number(pidText);
    // This process's pid too: an earlier process with it (a container's PID 1) left it.
    if (!Number.isSafeInteger(pid) || pid <= 0) continue;
    const path = join(tmpdir(), name);
    const written = await stat(path).then((s) => s.mtimeMs).catch(() => undefined);
    if (written === undefined) continue;
    const here = nsPart === `ns${NAMESPACE}` || (NAMESPACE === '' && !nsPart?.startsWith('ns'));
    if ((here || Date.now() - written > SWEPT_AFTER_MS) && ownerGone(pid, written)) await rm(path, { recursive: true, force: true });
  }
  return mkdtemp(join(tmpdir(), `${prefix}${process.pid}-${NAMESPACE ? `ns${NAMESPACE}-` : ''}`));
}
