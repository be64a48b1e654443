import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { removeStaleLock, withFileLock } from './file-lock.js';
import { StowageError } from '../engine/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'stowage-lock-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The pid of a process that has exited. */
function deadPid(): number {
  return Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout);
}

/** Whether the lock is taken (the function run) within two seconds. */
async function taken(lock: string): Promise<boolean> {
  let ran = false;
  await withFileLock(lock, 'L', async () => {
    ran = true;
  }, 2_000);
  return ran;
}

describe('the file lock', () => {
  it('holds its owner while it runs, and is gone after', async () => {
    const lock = join(dir, 'a.lock');
    await withFileLock(lock, 'A', async () => {
      expect(readFileSync(lock, 'utf8')).toBe(String(process.pid));
    });
    expect(existsSync(lock)).toBe(false);
    expect(readdirSync(dir).filter((f) => f.startsWith('a.lock'))).toEqual([]);
  });

  it('says a lock that cannot be written is the state folder\'s to mend, the system\'s error kept as its cause', async () => {
    writeFileSync(join(dir, 'not-a-folder'), '');
    const attempt = withFileLock(join(dir, 'not-a-folder', 'x.lock'), 'A sync of warehouse "wh"', async () => undefined);
    await expect(attempt).rejects.toThrow(/^A sync of warehouse "wh" cannot take its lock: .*x\.lock cannot be written \(ENOTDIR.*\); Stowage's state folder \(`stateDir`\) must be a folder it can write$/);
    await expect(attempt).rejects.toHaveProperty('cause.code', 'ENOTDIR');
  });

  it('takes over a lock whose owner died, and the pid file of one killed while taking it', async () => {
    const lock = join(dir, 'b.lock');
    const dead = deadPid();
    writeFileSync(lock, String(dead));
    writeFileSync(`${lock}.${dead}.tmp`, String(dead));
    expect(await taken(lock)).toBe(true);
    expect(readdirSync(dir).filter((f) => f.startsWith('b.lock'))).toEqual([]);
  });

  it('takes over a lock file left empty (a kill between making it and writing its owner, by an earlier version) once it is old', async () => {
    const lock = join(dir, 'c.lock');
    writeFileSync(lock, '');
    // A fresh empty one may be a lock being made: it is waited for.
    await expect(withFileLock(lock, 'C', async () => undefined, 200)).rejects.toThrow(/C is held by process unknown/);
    const old = new Date(Date.now() - 60_000);
    utimesSync(lock, old, old);
    expect(await taken(lock)).toBe(true);
  });

  it("takes over a lock naming this process's pid that this process does not hold (a container's PID 1, killed and started again)", async () => {
    const lock = join(dir, 'e.lock');
    writeFileSync(lock, String(process.pid));
    expect(await taken(lock)).toBe(true);
  });

  it('takes over a lock whose pid is now a process that started after the lock was made (the pid reused)', async () => {
    const lock = join(dir, 'f.lock');
    // The parent process (vitest) is alive; the lock is dated a day before it started.
    writeFileSync(lock, String(process.ppid));
    const before = new Date(Date.now() - 24 * 3600 * 1000 - process.uptime() * 1000);
    utimesSync(lock, before, before);
    expect(await taken(lock)).toBe(true);
  });

  it('waits while another task of this process holds it', async () => {
    const lock = join(dir, 'g.lock');
    const order: string[] = [];
    await Promise.all([
      withFileLock(lock, 'G', async () => {
        order.push('first in');
        await new Promise((resolve) => setTimeout(resolve, 150));
        order.push('first out');
      }),
      new Promise((resolve) => setTimeout(resolve, 20)).then(() => withFileLock(lock, 'G', async () => void order.push('second'))),
    ]);
    expect(order).toEqual(['first in', 'first out', 'second']);
  });

  it('says work this process holds already is under way here, never to remove its lock file, when it gives up', async () => {
    const lock = join(dir, 'h.lock');
    let release = () => undefined as void;
    const held = withFileLock(lock, 'H', () => new Promise<void>((resolve) => (release = resolve)));
    await new Promise((resolve) => setTimeout(resolve, 20));
    const error = await withFileLock(lock, 'H', async () => undefined, 0).then(() => undefined, (e: Error) => e);
    expect(error?.message).toBe(`H is under way in this process already (lock file ${lock}): one runs at a time; wait for it to end, then start this one`);
    // A StowageError: a library caller's second sync of a warehouse is told from a fault (library.md); it was a plain Error.
    expect(error).toBeInstanceOf(StowageError);
    release();
    await held;
  });

  it('waits for a live owner, and says who holds it when it gives up', async () => {
    const lock = join(dir, 'd.lock');
    writeFileSync(lock, String(process.ppid));
    await expect(withFileLock(lock, 'D', async () => undefined, 200)).rejects.toThrow(new RegExp(`D is held by process ${process.ppid}`));
    await expect(withFileLock(lock, 'D', async () => undefined, 0)).rejects.toBeInstanceOf(StowageError);
    rmSync(lock);
  });

  it('removes a lock judged left only if it is still the one judged: not the next waiter\'s, made at its name meanwhile', () => {
    const lock = join(dir, 'e.lock');
    const dead = deadPid();
    writeFileSync(lock, String(dead));
    const judged = { ino: statSync(lock).ino, owner: String(dead) };
    // Another waiter removed it and made its own, which may even get the freed inode back.
    rmSync(lock);
    writeFileSync(lock, String(process.ppid));
    expect(removeStaleLock(lock, { ...judged, ino: statSync(lock).ino })).toBe(true);
    expect(readFileSync(lock, 'utf8')).toBe(String(process.ppid));
    // The one judged, still there: removed.
    writeFileSync(lock, String(dead));
    expect(removeStaleLock(lock, { ino: statSync(lock).ino, owner: String(dead) })).toBe(true);
    expect(existsSync(lock)).toBe(false);
  });

  it('leaves a lock to a waiter at its breaker, and takes over a breaker left by a process killed holding it', () => {
    const lock = join(dir, 'f.lock');
    const dead = deadPid();
    writeFileSync(lock, String(dead));
    const judged = { ino: statSync(lock).ino, owner: String(dead) };
    writeFileSync(`${lock}.break`, '');
    expect(removeStaleLock(lock, judged)).toBe(false);
    expect(existsSync(lock)).toBe(true);
    const old = new Date(Date.now() - 60_000);
    utimesSync(`${lock}.break`, old, old);
    expect(removeStaleLock(lock, judged)).toBe(false);
    expect(removeStaleLock(lock, judged)).toBe(true);
    expect(readdirSync(dir).filter((f) => f.startsWith('f.lock'))).toEqual([]);
  });

  it('takes over at once a breaker whose holder died, and waits a moment for a live one even where it waits for no lock', async () => {
    const lock = join(dir, 'h.lock');
    const dead = deadPid();
    writeFileSync(lock, String(dead));
    writeFileSync(`${lock}.break`, String(deadPid()));
    const judged = { ino: statSync(lock).ino, owner: String(dead) };
    expect(removeStaleLock(lock, judged)).toBe(false);
    expect(removeStaleLock(lock, judged)).toBe(true);
    // Another waiter taking the dead lock over: a sync (timeout 0) is not refused for it.
    writeFileSync(lock, String(dead));
    writeFileSync(`${lock}.break`, String(process.ppid));
    setTimeout(() => rmSync(`${lock}.break`), 200);
    let ran = false;
    await withFileLock(lock, 'H', async () => {
      ran = true;
    }, 0);
    expect(ran).toBe(true);
  });

  it('lets go of its lock only: one taken over meanwhile stays its new owner\'s', async () => {
    const lock = join(dir, 'g.lock');
    await withFileLock(lock, 'G', async () => {
      // Taken over while this process was judged gone (as a waiter would, had it misjudged).
      rmSync(lock);
      writeFileSync(lock, String(process.ppid));
    });
    expect(readFileSync(lock, 'utf8')).toBe(String(process.ppid));
    rmSync(lock);
  });
});
