import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { duckdb } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'stowage-shared-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('DuckDB sessions on one file in one process', () => {
  // Two engines on one file each believe they own it: the first to checkpoint writes its own view
  // of the database over the other's commits. A library user's service may write a run's
  // Storage Actions events while a sync of the same warehouse runs.
  it("share one engine: whichever closes or checkpoints first, every session's commits stay", async () => {
    const settings = { path: join(dir, 'wh.duckdb') };
    const a = await duckdb.connect(settings as never, { root: dir });
    await a.execute('CREATE TABLE t (id VARCHAR)');
    await a.execute("INSERT INTO t VALUES ('from a')");
    const b = await duckdb.connect(settings as never, { root: dir });
    await b.execute("INSERT INTO t VALUES ('from b')");
    await b.checkpoint!();
    await a.execute("INSERT INTO t VALUES ('from a, later')");
    await a.close();
    expect(await b.query('SELECT id FROM t ORDER BY id')).toEqual([{ id: 'from a' }, { id: 'from a, later' }, { id: 'from b' }]);
    await b.close();
    const c = await duckdb.connect(settings as never, { root: dir });
    try {
      expect(await c.query('SELECT id FROM t ORDER BY id')).toEqual([{ id: 'from a' }, { id: 'from a, later' }, { id: 'from b' }]);
    } finally {
      await c.close();
    }
  });
});
