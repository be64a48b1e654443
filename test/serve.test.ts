import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DuckDBInstance } from '@duckdb/node-api';
import { expect, it } from 'vitest';
import { BIN, project, stowage } from './support/cli.js';

it('serve runs each warehouse on its own schedule and stops cleanly on SIGTERM', async () => {
  const dir = project({
    warehouses: {
      fast: { type: 'duckdb', settings: { path: 'fast.duckdb' }, schedule: '* * * * * *' },
      hourly: { type: 'duckdb', settings: { path: 'hourly.duckdb' } },
      // Its last time has passed: never synced, not even at the start.
      past: { type: 'duckdb', settings: { path: 'past.duckdb' }, schedule: '0 0 0 1 1 * 2020' },
    },
  });
  writeFileSync(join(dir, 'calls.ndjson'), '{"type":"identify","userId":"u1","traits":{"a":1}}\n');
  await stowage(['ingest', 'calls.ndjson', '--space', 'shop'], { cwd: dir });

  // Calls logged for a warehouse since removed from the configuration: told at the start.
  mkdirSync(join(dir, '.stowage', 'log', 'gone', 'shop'), { recursive: true });
  writeFileSync(join(dir, '.stowage', 'log', 'gone', 'shop', '0000000000.ndjson'), '{"type":"identify","userId":"u9"}\n');

  const child = spawn(process.execPath, [BIN, 'serve'], { cwd: dir });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  for (let i = 0; i < 100 && !/Success: warehouse fast, 1 calls/.test(out); i++) await sleep(100);
  const signalled = new Date().toISOString();
  child.kill('SIGTERM');
  const code = await new Promise((resolve) => child.on('close', resolve));

  expect(out).toContain('warehouse hourly: schedule "0 * * * *" (UTC), next sync');
  expect(out).toMatch(/Classic calls logged for warehouse "gone", space "shop" are kept in .*, which no sync reads: warehouse "gone" is no longer configured/);
  expect(out).toMatch(/Success: warehouse fast, 1 calls/);
  expect(code).toBe(0);
  // The signal is told, with the time; a sync under way then ends, and none starts after it.
  expect(out).toMatch(/\[\d{4}-\d\d-\d\dT[\d:.]+Z\] SIGTERM: stopping/);
  expect(out.slice(out.indexOf('SIGTERM: stopping'))).not.toMatch(/next sync of/);
  const history = JSON.parse((await stowage(['history', '--json'], { cwd: dir })).stdout);
  // Each warehouse, never synced before, is synced at the start (as Engage fills a warehouse once
  // connected), hourly's not again before its hour; fast's on its schedule besides.
  expect(out).toContain('warehouse hourly: never synced: syncing now');
  expect(out).toContain('warehouse past: schedule "0 0 0 1 1 * 2020" (UTC) has no time to come');
  expect(out).not.toContain('warehouse past: never synced');
  expect(history.syncs.filter((s: { warehouse: string }) => s.warehouse === 'past')).toEqual([]);
  const syncs = (history.syncs as Array<{ warehouse: string; trigger: string; startedAt: string }>).reverse();
  expect(syncs.filter((s) => s.warehouse === 'hourly').map((s) => s.trigger)).toEqual(['connected']);
  expect(syncs.filter((s) => s.warehouse === 'fast')[0]!.trigger).toBe('connected');
  expect(syncs.filter((s) => s.warehouse === 'fast').slice(1).every((s) => s.trigger === 'schedule')).toBe(true);
  // (A slot may fire in the moment the signal takes to arrive.)
  expect(syncs.filter((s) => Date.parse(s.startedAt) > Date.parse(signalled) + 500)).toEqual([]);

  // Started again: both have synced, so each waits for its own schedule.
  const again = spawn(process.execPath, [BIN, 'serve'], { cwd: dir });
  let second = '';
  again.stdout.on('data', (d) => (second += d));
  for (let i = 0; i < 100 && !/next sync of fast/.test(second); i++) await sleep(100);
  again.kill('SIGTERM');
  expect(await new Promise((resolve) => again.on('close', resolve))).toBe(0);
  expect(second).toContain('warehouse hourly: schedule "0 * * * *" (UTC), next sync');
  expect(second).not.toContain('never synced');
});

it('serve writes again the Storage Actions events a failed write left queued: later and later while they stay queued, then once they can be written', async () => {
  // The activation names a schema that does not exist yet: the run's events stay queued.
  const dir = project({
    spaces: { shop: { id: 'spa_shop', computations: { carts: { type: 'linked_audience' } }, activations: { a: { computation: 'carts', warehouse: 'local', table: 'carts', schema: 'archive' } } } },
    // No Classic sync while the test runs.
    warehouses: { local: { type: 'duckdb', settings: { path: 'warehouse.duckdb' }, schedule: '0 0 1 1 *' } },
  });
  writeFileSync(join(dir, 'r1.ndjson'), [{ space: 'shop', computation: 'carts', id: 'r1' }, { userId: 'u1', entityContext: { cart_id: 'c1' } }, { userId: 'u2', entityContext: { cart_id: 'c2' } }].map((x) => JSON.stringify(x)).join('\n'));
  expect((await stowage(['run', 'r1.ndjson'], { cwd: dir })).code).toBe(3);

  const child = spawn(process.execPath, [BIN, 'serve', '--retry-after', '1'], { cwd: dir });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const waitFor = async (pattern: RegExp) => {
    for (let i = 0; i < 200 && !pattern.test(out); i++) await sleep(100);
    expect(out).toMatch(pattern);
  };
  await waitFor(/stay queued for warehouse local \(space shop\): next retry/);
  // Between two retries nothing holds the database file: the schema is made.
  for (let attempt = 0; ; attempt++) {
    try {
      const warehouse = await DuckDBInstance.create(join(dir, 'warehouse.duckdb'));
      const connection = await warehouse.connect();
      await connection.run('CREATE SCHEMA archive');
      connection.closeSync();
      warehouse.closeSync();
      break;
    } catch (error) {
      if (attempt > 50 || !/lock/i.test((error as Error).message)) throw error;
      await sleep(100);
    }
  }
  await waitFor(/Success: Storage Actions write to warehouse local, 2 events in .* → archive\.carts 2/);
  child.kill('SIGTERM');
  expect(await new Promise((resolve) => child.on('close', resolve))).toBe(0);

  // The first retry came a second after serve saw the queue, the next two seconds after it.
  const retries = JSON.parse((await stowage(['history', '--json'], { cwd: dir })).stdout).syncs.filter((s: { trigger: string }) => s.trigger === 'retry').reverse();
  expect(retries.map((s: { status: string }) => s.status)).toEqual([...retries.slice(0, -1).map(() => 'Partial'), 'Success']);
  if (retries.length > 1) expect(Date.parse(retries[1].startedAt) - Date.parse(retries[0].startedAt)).toBeGreaterThanOrEqual(1900);
  const warehouse = await DuckDBInstance.create(join(dir, 'warehouse.duckdb'));
  const connection = await warehouse.connect();
  const rows = (await connection.runAndReadAll('SELECT user_id FROM archive.carts ORDER BY user_id')).getRowObjectsJS();
  connection.closeSync();
  warehouse.closeSync();
  expect(rows).toEqual([{ user_id: 'u1' }, { user_id: 'u2' }]);
}, 60_000);

it('serve does not write again, retry after retry, queued events that only a change of the configuration lets be written', async () => {
  const warehouses = { local: { type: 'duckdb', settings: { path: 'warehouse.duckdb' }, schedule: '0 0 1 1 *' } };
  const computations = { carts: { type: 'linked_audience' } };
  // Queued for a schema that does not exist; then the activation is removed from the configuration.
  const dir = project({ spaces: { shop: { id: 'spa_shop', computations, activations: { a: { computation: 'carts', warehouse: 'local', table: 'carts', schema: 'archive' } } } }, warehouses });
  writeFileSync(join(dir, 'r1.ndjson'), [{ space: 'shop', computation: 'carts', id: 'r1' }, { userId: 'u1', entityContext: { cart_id: 'c1' } }].map((x) => JSON.stringify(x)).join('\n'));
  expect((await stowage(['run', 'r1.ndjson'], { cwd: dir })).code).toBe(3);
  writeFileSync(join(dir, 'stowage.config.json'), JSON.stringify({ spaces: { shop: { id: 'spa_shop', computations } }, warehouses }));

  const child = spawn(process.execPath, [BIN, 'serve', '--retry-after', '1'], { cwd: dir });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  for (let i = 0; i < 200 && !/wait for a change of the configuration/.test(out); i++) await sleep(100);
  expect(out).toContain('local: the 1 events queued for space shop wait for a change of the configuration (above; `stowage check` lists them): not retried until more events are queued for it');
  // Retried a second after serve saw the queue; without the wait, again 2 s and 4 s later.
  await sleep(4_000);
  child.kill('SIGTERM');
  expect(await new Promise((resolve) => child.on('close', resolve))).toBe(0);
  const retries = JSON.parse((await stowage(['history', '--json'], { cwd: dir })).stdout).syncs.filter((s: { trigger: string }) => s.trigger === 'retry');
  expect(retries.map((s: { status: string; notices: string[] }) => [s.status, s.notices])).toEqual([['Partial', ['1 event stays queued: activation "a" is not configured (configure it again, under that name, to write them)']]]);
  expect(out).not.toMatch(/next retry/);
}, 60_000);

it('serve stops as on SIGTERM when its terminal hangs up (SIGHUP): the work under way ends, and it exits 0', async () => {
  const dir = project({ warehouses: { local: { type: 'duckdb', settings: { path: 'warehouse.duckdb' }, schedule: '0 0 1 1 *' } } });
  const child = spawn(process.execPath, [BIN, 'serve'], { cwd: dir });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  for (let i = 0; i < 200 && !/next sync/.test(out); i++) await sleep(100);
  child.kill('SIGHUP');
  expect(await new Promise((resolve) => child.on('close', resolve))).toBe(0);
  expect(out).toMatch(/SIGHUP: stopping/);
}, 60_000);

// A second serve of one state folder (a unit file and a terminal) synced on the same schedules:
// each of its syncs was refused as under way in the first, a Failure in the history every time.
it('serve refuses to start where another serve serves the state folder, saying which, and starts once it is gone', async () => {
  const dir = project({ warehouses: { wh: { type: 'duckdb', settings: { path: 'wh.duckdb' } } } });
  const first = spawn(process.execPath, [BIN, 'serve'], { cwd: dir });
  let out = '';
  first.stdout.on('data', (d) => (out += d));
  for (let i = 0; i < 100 && !/next sync of wh/.test(out); i++) await sleep(100);
  const second = await stowage(['serve'], { cwd: dir, killAfterMs: 20_000 });
  expect(second.code).toBe(1);
  expect(second.stderr).toContain(`another \`stowage serve\` (process ${first.pid}) serves the state folder ${join(dir, '.stowage')}`);
  expect(second.stderr).toContain(`(lock file ${join(dir, '.stowage', 'locks', 'serve.lock')})`);
  expect(second.stderr).toContain('Stop it before starting this one');
  first.kill('SIGTERM');
  expect(await new Promise((resolve) => first.on('close', resolve))).toBe(0);
  // Let go of as the first ended: a serve starts again.
  const again = spawn(process.execPath, [BIN, 'serve'], { cwd: dir });
  let third = '';
  again.stdout.on('data', (d) => (third += d));
  for (let i = 0; i < 100 && !/schedule "0 \* \* \* \*"/.test(third); i++) await sleep(100);
  again.kill('SIGTERM');
  expect(await new Promise((resolve) => again.on('close', resolve))).toBe(0);
  expect(third).toContain('warehouse wh: schedule');
});
