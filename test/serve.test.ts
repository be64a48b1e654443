import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect, it } from 'vitest';
import { BIN, project, stowage } from './support/cli.js';

it('serve runs each warehouse on its own schedule and stops cleanly on SIGTERM', async () => {
  const dir = project({
    warehouses: {
      fast: { type: 'duckdb', settings: { path: 'fast.duckdb' }, schedule: '* * * * * *' },
      hourly: { type: 'duckdb', settings: { path: 'hourly.duckdb' } },
    },
  });
  writeFileSync(join(dir, 'calls.ndjson'), '{"type":"identify","userId":"u1","traits":{"a":1}}\n');
  await stowage(['ingest', 'calls.ndjson', '--space', 'shop'], { cwd: dir });

  const child = spawn(process.execPath, [BIN, 'serve'], { cwd: dir });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  for (let i = 0; i < 100 && !/Success: warehouse fast, 1 calls/.test(out); i++) await sleep(100);
  child.kill('SIGTERM');
  const code = await new Promise((resolve) => child.on('close', resolve));

  expect(out).toContain('warehouse hourly: schedule "0 * * * *" (UTC), next sync');
  expect(out).toMatch(/Success: warehouse fast, 1 calls/);
  expect(code).toBe(0);
  const history = JSON.parse((await stowage(['history', '--json'], { cwd: dir })).stdout);
  expect(history.syncs.every((s: { warehouse: string; trigger: string }) => s.warehouse === 'fast' && s.trigger === 'schedule')).toBe(true);
});
