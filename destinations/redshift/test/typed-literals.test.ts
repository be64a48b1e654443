import { afterAll, describe, expect, it } from 'vitest';
import { TableWriter, type Driver } from '@stowage/core';
import { testPostgres } from '@stowage/testkit';
import redshiftOnPostgres from '../src/testing/on-postgres.js';

const server = await testPostgres();
afterAll(() => server.close());

/**
 * Redshift's leader node is PostgreSQL 8.0: a text constant that reaches a DISTINCT untyped, out of
 * a subquery, is refused there (`failed to find conversion function from "unknown" to text`),
 * where PostgreSQL 10 and later type it as text. So what this engine cannot refuse is read from
 * the statements themselves: every constant those statements select is cast.
 */
describe("Redshift's text constants", () => {
  it('are typed where a DISTINCT reads them: the look for the keys of one table', async () => {
    const driver = (await redshiftOnPostgres.connect({ url: await server.freshDatabase(), sslmode: 'disable' }, { root: process.cwd() })) as Driver;
    const statements: string[] = [];
    const query = driver.query.bind(driver);
    driver.query = ((sql: string, params?: never) => {
      statements.push(sql);
      return query(sql, params);
    }) as Driver['query'];
    try {
      await driver.execute('CREATE SCHEMA s');
      await driver.execute(`CREATE TABLE s.identifies (id VARCHAR(65535))`);
      await driver.execute(`INSERT INTO s.identifies VALUES ('m1')`);
      const writer = new TableWriter(driver, redshiftOnPostgres.dialect, redshiftOnPostgres.capabilities);
      const keys = await writer.lookUpKeys('s', 'id', [['m1', 'm2']], { minKeys: 1, skip: new Set() });
      expect(keys).toBeDefined();
      const look = statements.filter((sql) => /SELECT DISTINCT/.test(sql) && sql.includes('identifies'));
      expect(look.length).toBeGreaterThan(0);
      for (const sql of look) {
        expect(sql).toContain(`CAST('identifies' AS ${redshiftOnPostgres.dialect.physicalType('string')})`);
        expect(sql).not.toMatch(/SELECT 'identifies'/);
      }
    } finally {
      await driver.close();
    }
  });
});
