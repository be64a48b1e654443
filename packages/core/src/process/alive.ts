import { readFileSync } from 'node:fs';
import { basename } from 'node:path';

/**
 * Whether a process with this pid is running (EPERM: it is, but belongs to another user). A
 * zombie is not: killed, it holds its pid only until its parent reaps it, and a parent that never
 * does kept the locks it held taken for good.
 */
export function processAlive(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  return !zombie(pid);
}

/** Whether /proc says the process has exited and waits to be reaped (state Z); false where /proc does not say. */
function zombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z';
  } catch {
    return false;
  }
}

/** Linux's clock ticks a second in /proc (USER_HZ: 100 on every architecture Node runs on). */
const TICKS_PER_SECOND = 100;

/** When the process with this pid started, in ms since the epoch; undefined where /proc does not say (not Linux). */
export function processStartedAt(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name, in parentheses, may hold spaces: the fields are counted after it.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[19]);
    const boot = /^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'));
    if (!Number.isFinite(ticks) || !boot) return undefined;
    return Number(boot[1]) * 1000 + (ticks / TICKS_PER_SECOND) * 1000;
  } catch {
    return undefined;
  }
}

/**
 * Whether something a process with this pid made at `madeAt` (ms since the epoch) can no longer be
 * that process's: no process has the pid, or the one that has it started after it was made (the
 * pid reused, as a container's PID 1 is by every start). Two seconds of slack: /proc gives the
 * start in hundredths of a second after a boot time in whole seconds.
 */
export function ownerGone(pid: number, madeAt: number): boolean {
  if (!processAlive(pid)) return true;
  const started = processStartedAt(pid);
  return started !== undefined && started > madeAt + 2_000;
}

/**
 * The Stowage command a process runs (`stowage serve`), as its command line says, for messages
 * about what holds a lock; undefined for another program, or where /proc does not say.
 */
export function stowageCommand(pid: number): string | undefined {
  try {
    const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    // The command's script (bin/stowage.js, or the `stowage` link npm makes), then its arguments.
    const script = args.findIndex((arg) => /^stowage(\.js)?$/.test(basename(arg)));
    if (script < 0) return undefined;
    const command = args.slice(script + 1).find((arg) => !arg.startsWith('-'));
    return command ? `stowage ${command}` : 'stowage';
  } catch {
    return undefined;
  }
}
