import { existsSync, mkdirSync, rmSync, utimesSync } from 'node:fs';
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

function folder(pid: number, ageMs: number): string {
  const path = join(tmpdir(), `${prefix}${pid}-${randomUUID().slice(0, 6)}`);
  mkdirSync(path);
  const at = new Date(Date.now() - ageMs);
  utimesSync(path, at, at);
  made.push(path);
  return path;
}

const deadPid = () => Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout);
const DAY = 24 * 3600 * 1000;

describe("a session's load folder", () => {
  it("sweeps a dead process's folder once nothing was written in it for hours, and keeps a recent one (its owner may live in another pid namespace)", async () => {
    const dead = deadPid();
    const old = folder(dead, DAY);
    const recent = folder(dead, 60_000);
    // The pid alive now, but started after the folder was last written: another process's pid.
    const reused = folder(process.ppid, DAY + process.uptime() * 1000);
    const live = folder(process.ppid, 0);
    made.push(await openLoadDir(prefix));
    expect([old, recent, reused, live].map((p) => existsSync(p))).toEqual([false, true, false, true]);
  });
});
