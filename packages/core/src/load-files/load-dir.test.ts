import { existsSync, mkdirSync, readlinkSync, rmSync, utimesSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openLoadDir } from './load-dir.js';

const prefix = `stowage-loadtest-${randomUUID().slice(0, 8)}-`;
const made: string[] = [];
afterAll(() => {
  for (const path of made) rmSync(path, { recursive: true, force: true });
});

/** This process's pid namespace, as the folders name it ('' where the system has none to tell). */
const namespace = (() => {
  try {
    return /\[(\d+)\]/.exec(readlinkSync('/proc/self/ns/pid'))?.[1] ?? '';
  } catch {
    return '';
  }
})();

function folder(pid: number, ageMs: number, ns = namespace ? `ns${namespace}` : 'x'): string {
  const path = join(tmpdir(), `${prefix}${pid}-${ns}-${randomUUID().slice(0, 6)}`);
  mkdirSync(path);
  const at = new Date(Date.now() - ageMs);
  utimesSync(path, at, at);
  made.push(path);
  return path;
}

const deadPid = () => Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout);
const DAY = 24 * 3600 * 1000;

describe("a session's load folder", () => {
  it("sweeps the folder of a process of this pid namespace that died, or whose pid another process took since, and keeps a live one's", async () => {
    const dead = folder(deadPid(), 60_000);
    // The pid alive now, but started after the folder was last written: another process's pid.
    const reused = folder(process.ppid, DAY + process.uptime() * 1000);
    const live = folder(process.ppid, 0);
    made.push(await openLoadDir(prefix));
    expect([dead, reused, live].map((p) => existsSync(p))).toEqual([false, false, true]);
  });

  it('sweeps a folder of another pid namespace (another container sharing the folder) only once nothing was written in it for hours', async () => {
    const recent = folder(deadPid(), 60_000, 'ns1');
    const old = folder(deadPid(), DAY, 'ns1');
    made.push(await openLoadDir(prefix));
    expect([recent, old].map((p) => existsSync(p))).toEqual([true, false]);
  });
});
