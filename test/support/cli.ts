import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll } from 'vitest';

/** Folders made by the tests of the importing file, removed when its tests are done. */
const made: string[] = [];
afterAll(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A fresh temporary folder, removed after the file's tests. */
export function tempDir(prefix = 'stowage-e2e-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

export const BIN = resolve(import.meta.dirname, '../../packages/cli/bin/stowage.js');

export interface CliResult {
  pid: number | undefined;
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs the `stowage` command as a user would, in `cwd`, optionally killing it after `killAfterMs`. */
export function stowage(args: string[], opts: { cwd: string; env?: Record<string, string>; killAfterMs?: number; input?: string | AsyncIterable<string>; onStderr?: (soFar: string) => void }): Promise<CliResult> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: opts.cwd, env: { ...process.env, ...opts.env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => {
      stderr += d;
      opts.onStderr?.(stderr);
    });
    if (typeof opts.input === 'string') child.stdin.end(opts.input);
    else if (opts.input !== undefined) {
      // Fed as it comes (a slow producer on the other end of a pipe).
      const input = opts.input;
      void (async () => {
        for await (const chunk of input) if (!child.stdin.write(chunk)) await new Promise((drained) => child.stdin.once('drain', drained));
        child.stdin.end();
      })().catch(() => child.stdin.destroy());
    }
    const timer = opts.killAfterMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), opts.killAfterMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      done({ pid: child.pid, code, signal, stdout, stderr });
    });
  });
}

/** A fresh folder with a configuration: space `shop`, DuckDB warehouse `local` in warehouse.duckdb. */
export function project(config: Record<string, unknown> = {}): string {
  const dir = tempDir();
  writeFileSync(join(dir, 'stowage.config.json'), JSON.stringify({
    spaces: { shop: { id: 'spa_shop', computations: { vip: { type: 'audience' }, ltv: { type: 'trait' } } } },
    warehouses: { local: { type: 'duckdb', settings: { path: 'warehouse.duckdb' } } },
    ...config,
  }, null, 2));
  return dir;
}
