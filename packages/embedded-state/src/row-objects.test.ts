import { DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';
import { rowObjects } from './row-objects.js';

describe('rows read column by column', () => {
  it("are the driver's own row objects, whatever the columns' types, NULLs and repeated names", async () => {
    const instance = await DuckDBInstance.create(':memory:');
    const db = await instance.connect();
    // Past one chunk (2,048 rows), text of every length, and types the state's queries never read.
    const sql = `SELECT CASE WHEN i % 3 = 0 THEN NULL ELSE 'p' || i END AS a, CASE WHEN i % 5 = 0 THEN NULL ELSE i::BIGINT END AS b,
                        i % 2 = 0 AS c, NULL AS d, i::INTEGER AS e, i / 3.0 AS f, TIMESTAMP '2026-01-01 00:00:00' + INTERVAL (i) SECOND AS g,
                        [i, i] AS h, 'é' || repeat('x', (i % 40)::INTEGER) AS k, i AS a
                 FROM range(5000) r(i)`;
    const driver: unknown[] = [];
    for await (const rows of (await db.stream(sql)).yieldRowObjectJs()) driver.push(...rows);
    const ours: unknown[] = [];
    for await (const rows of rowObjects(await db.stream(sql))) ours.push(...rows);
    expect(ours).toHaveLength(5000);
    expect(ours).toEqual(driver);
    expect(ours[1]).toEqual({ a: 'p1', b: 1n, c: false, d: null, e: 1, f: 1 / 3, g: new Date('2026-01-01T00:00:01.000Z'), h: [1n, 1n], k: 'éx', 'a:1': 1n });
    db.closeSync();
    instance.closeSync();
  });
});
