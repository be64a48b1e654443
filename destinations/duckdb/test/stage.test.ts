import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { DuckDBDriver } from '../src/driver.js';

const dir = mkdtempSync(join(tmpdir(), 'stowage-stage-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The file system removes a dropped stage's file after dropStage returns: wait for it, briefly. */
async function gone(path: string): Promise<boolean> {
  for (let i = 0; i < 50 && existsSync(path); i++) await sleep(10);
  return !existsSync(path);
}

describe('DuckDB stages', () => {
  it('are the load file itself: read by two statements, its file removed when dropped, its folder at close', async () => {
    const driver = await DuckDBDriver.open({ path: join(dir, 'w.duckdb') });
    const file = await driver.writeLoadFile([{ name: 'id', type: 'string' }, { name: 'user_id', type: 'string' }], [{ id: 'm1', user_id: 'u1' }, { id: 'm2', user_id: 'u1' }, { id: 'm3', user_id: null }]);
    // Read without the option that says it is read once, as identifies is (rows, then the users it marks).
    const stage = await driver.stage('_stowage_stage_identifies', file);
    expect(await driver.query(`SELECT count(*) AS n FROM ${stage}`)).toEqual([{ n: 3 }]);
    expect(await driver.query(`SELECT DISTINCT user_id FROM ${stage} WHERE user_id IS NOT NULL`)).toEqual([{ user_id: 'u1' }]);
    await driver.dropStage(stage);
    expect(await gone(file.path)).toBe(true);
    const other = await driver.writeLoadFile([{ name: 'id', type: 'string' }], [{ id: 'm4' }]);
    await driver.close();
    expect(existsSync(dirname(other.path))).toBe(false);
  });
});
