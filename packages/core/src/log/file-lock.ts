import { closeSync, linkSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ownerGone, processAlive, stowageCommand } from '../process/alive.js';
import { StowageError } from '../engine/errors.js';

/**
 * A lock file with no owner in it is one whose maker died between creating and writing it (made
 * by an earlier version, which wrote the pid after creating the file): taken over once it is this
 * old, far longer than writing a pid takes.
 */
const OWNERLESS_AFTER_MS = 5_000;

/** A breaker (`removeStaleLock`) is held for a few system calls: one this old, with no owner written, was left by a process killed making it. */
const BREAKER_LEFT_AFTER_MS = 5_000;

/** How long a waiter waits for another one that is taking a dead owner's lock over, even one that waits for no lock (a sync). */
const BREAKER_WAIT_MS = 1_000;

/**
 * An exclusive lock between processes: a file holding the owner's pid. A lock whose owner died
 * (kill -9) is taken over, so a crash never leaves the log or a sync stuck. The file is made
 * whole before it is the lock: the pid is written to a file of this process's own, which is then
 * linked to the lock's name (a link fails if the name exists), so that no kill leaves a lock file
 * without its owner.
 */
export async function withFileLock<T>(path: string, what: string, fn: () => Promise<T>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  const mine = `${path}.${process.pid}.tmp`;
  removeDeadOwnersFiles(path);
  let ours: LockFile | undefined;
  /** Until when a breaker held by another waiter is waited for, whatever the timeout: it is held for a few system calls. */
  let breakerWait: number | undefined;
  for (;;) {
    try {
      writeFileSync(mine, String(process.pid));
      try {
        linkSync(mine, path);
      } finally {
        rmSync(mine, { force: true });
      }
      ours = madeHere(path);
      heldHere.add(path);
      break;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      // The folder cannot hold a file (read-only, full, not a folder): said as such, not as the bare error of a temporary file.
      if (code !== 'EEXIST') throw new Error(`${what} cannot take its lock: ${path} cannot be written (${(error as Error).message}); Stowage's state folder (\`stateDir\`) must be a folder it can write`, { cause: error });
      // The owner read is the one of the file judged: another waiter may replace it meanwhile.
      const judged = lockFile(path);
      const owner = Number(judged?.owner);
      if (judged !== undefined && sameLock(lockFile(path), judged) && (owner ? ownerLeft(path, owner) : olderThan(path, OWNERLESS_AFTER_MS))) {
        if (removeStaleLock(path, judged)) continue;
        // Another waiter is taking it over: a sync, which waits for no lock, is not refused for that.
        breakerWait ??= Date.now() + BREAKER_WAIT_MS;
        if (Date.now() < breakerWait) {
          await sleep(5);
          continue;
        }
      }
      if (Date.now() > deadline) {
        // This process holds it (a library caller started the same work twice): its lock file must not be removed.
        if (owner === process.pid) throw new StowageError(`${what} is under way in this process already (lock file ${path}): one runs at a time; wait for it to end, then start this one`);
        throw new StowageError(`${what} is held by process ${owner || 'unknown'}${heldBy(owner)} (lock file ${path}); wait for it to finish, or remove the file if that process is gone.`);
      }
      await sleep(50);
    }
  }
  try {
    return await fn();
  } finally {
    heldHere.delete(path);
    release(path, ours);
  }
}

/** The lock just linked at `path`: its inode, and this process as its owner; undefined where it cannot be told. */
function madeHere(path: string): LockFile | undefined {
  try {
    return { ino: statSync(path).ino, owner: String(process.pid) };
  } catch {
    return undefined;
  }
}

/**
 * Lets go of this process's lock, and of no other: one taken over meanwhile (this process judged
 * gone) is its new owner's. A file that cannot be read for a moment (too many open files) is
 * told by its inode: kept, it would hold every other process off for this one's lifetime.
 */
function release(path: string, ours: LockFile | undefined): void {
  if (ours === undefined) return rmSync(path, { force: true });
  let ino: number;
  try {
    ino = statSync(path).ino;
  } catch {
    return;
  }
  if (ino !== ours.ino) return;
  let owner = ours.owner;
  try {
    owner = readFileSync(path, 'utf8');
  } catch {
    // Its inode is the one this process made.
  }
  if (owner === ours.owner) rmSync(path, { force: true });
}

/**
 * Removes a lock judged left by its owner, unless the file at its name is another by now; false
 * when another waiter is at it. Two waiters judge the same dead owner's lock: the first removes
 * it and takes the lock, and the second, had it removed what it judged without looking again,
 * would have removed the first one's lock and taken it too (both then in the log, the sync or
 * the queue at once). So removing takes a breaker of its own (`<lock>.break`, made exclusively),
 * and looks again under it. The breaker holds its maker's pid: one left by a process killed
 * holding it is taken over once that process is gone (one with no pid written yet, once old).
 */
export function removeStaleLock(path: string, judged: LockFile): boolean {
  const breaker = `${path}.break`;
  let fd: number;
  try {
    fd = openSync(breaker, 'wx');
  } catch {
    // Left by a process killed holding it (its owner gone, or none written and old): removed if
    // it is still the one judged, as a lock is.
    const left = lockFile(breaker);
    const holder = Number(left?.owner);
    if (left !== undefined && (holder ? !processAlive(holder) : olderThan(breaker, BREAKER_LEFT_AFTER_MS)) && sameLock(lockFile(breaker), left)) rmSync(breaker, { force: true });
    return false;
  }
  try {
    writeSync(fd, String(process.pid));
    if (sameLock(lockFile(path), judged)) rmSync(path, { force: true });
    return true;
  } finally {
    closeSync(fd);
    rmSync(breaker, { force: true });
  }
}

/**
 * What tells one lock file from the next at the same name: its inode and its owner. The inode
 * alone does not: a lock removed frees it, and the next one made often gets it again.
 */
export interface LockFile {
  ino: number;
  owner: string;
}

/** The lock file at `path` now; undefined when there is none. */
function lockFile(path: string): LockFile | undefined {
  try {
    const { ino } = statSync(path);
    return { ino, owner: readFileSync(path, 'utf8') };
  } catch {
    return undefined;
  }
}

const sameLock = (a: LockFile | undefined, b: LockFile | undefined) => a !== undefined && b !== undefined && a.ino === b.ino && a.owner === b.owner;

/** Locks this process holds now: one naming this pid and not among them was left by an earlier process with the same pid. */
const heldHere = new Set<string>();

/**
 * Whether the lock's owner is gone: dead, or its pid now another process's (a container's PID 1,
 * killed and started again, is PID 1 once more; the lock must not wait for itself).
 */
function ownerLeft(path: string, owner: number): boolean {
  if (owner === process.pid) return !heldHere.has(path);
  let made: number;
  try {
    made = statSync(path).mtimeMs;
  } catch {
    return false;
  }
  return ownerGone(owner, made);
}

/** The pid files of processes killed while taking the lock (`<lock>.<pid>.tmp`). */
function removeDeadOwnersFiles(path: string): void {
  const prefix = `${basename(path)}.`;
  let names: string[];
  try {
    names = readdirSync(dirname(path));
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(prefix) || !name.endsWith('.tmp')) continue;
    const pid = Number(name.slice(prefix.length, -'.tmp'.length));
    if (pid && pid !== process.pid && !processAlive(pid)) rmSync(join(dirname(path), name), { force: true });
  }
}

function olderThan(path: string, ms: number): boolean {
  try {
    return Date.now() - statSync(path).mtimeMs > ms;
  } catch {
    return false;
  }
}

/**
 * What the owner of a lock runs, where it is a Stowage command: a sync refused while `stowage
 * serve` syncs says so (serve's syncs come and go on its schedule; trying again shortly succeeds).
 */
function heldBy(owner: number): string {
  const command = owner ? stowageCommand(owner) : undefined;
  if (!command) return '';
  return command === 'stowage serve' ? ' (`stowage serve`, syncing on its schedule: try again once that sync ends)' : ` (\`${command}\`)`;
}
