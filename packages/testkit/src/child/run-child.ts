import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ChildTask } from './task.js';

/** The child's entry, built next to this module in dist. */
const ENTRY = fileURLToPath(new URL('./stowage-child.js', import.meta.url));

/** How a child process ended, and what it printed. */
export interface ChildExit<T> {
  pid: number | undefined;
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  /** The result it printed, when it finished (code 0). */
  result?: T;
}

/**
 * Runs a task in a separate `node` process, killed with SIGKILL at `failpoint` when one is given
 * (`<name>[:<n>]`, as `STOWAGE_FAILPOINT`). Resolves however the process ends; the test decides.
 */
export function runChild<T>(task: ChildTask, failpoint?: string): Promise<ChildExit<T>> {
  if (!existsSync(ENTRY)) throw new Error(`${ENTRY} is missing: build @stowage/testkit first (npm run build)`);
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.STOWAGE_FAILPOINT;
  if (failpoint !== undefined) env.STOWAGE_FAILPOINT = failpoint;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [ENTRY], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const last = stdout.trimEnd().split('\n').at(-1);
      resolve({ pid: child.pid, code, signal, stderr, ...(code === 0 && last ? { result: JSON.parse(last) as T } : {}) });
    });
    // A child that dies before reading its task closes the pipe; its exit says why.
    child.stdin.on('error', () => undefined);
    child.stdin.end(JSON.stringify(task));
  });
}
