import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { processAlive, stowageCommand } from './alive.js';

describe('processAlive', () => {
  it('takes a zombie (exited, never reaped by its parent) for gone, and a live process for alive', async () => {
    // sh starts `true` in the background, then becomes `sleep`, which never reaps it.
    const parent = spawn('sh', ['-c', 'true & echo $!; exec sleep 5'], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      const zombie = Number(await new Promise<string>((resolve) => parent.stdout.once('data', (d: Buffer) => resolve(d.toString().trim()))));
      await sleep(200);
      expect(processAlive(parent.pid)).toBe(true);
      expect(processAlive(zombie)).toBe(false);
    } finally {
      parent.kill('SIGKILL');
    }
  });
});

describe('stowageCommand', () => {
  it('names the Stowage command a process runs, and nothing for another program', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'alive-'));
    const script = join(dir, 'stowage.js');
    writeFileSync(script, 'setTimeout(() => {}, 10_000);');
    const serve = spawn(process.execPath, [script, 'serve', '--config', 'x.json'], { stdio: 'ignore' });
    const other = spawn('sleep', ['10'], { stdio: 'ignore' });
    try {
      await sleep(300);
      expect(stowageCommand(serve.pid!)).toBe('stowage serve');
      expect(stowageCommand(other.pid!)).toBeUndefined();
      expect(stowageCommand(999_999_999)).toBeUndefined();
    } finally {
      serve.kill('SIGKILL');
      other.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
