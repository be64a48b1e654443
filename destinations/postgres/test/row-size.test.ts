import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { seededRandom, type Column, type LogicalType } from '@stowage/core';
import { removeHarnessDirs, testPostgres } from '@stowage/testkit';
import { connectPostgres, postgres } from '../src/index.js';

const server = await testPostgres();
afterEach(() => server.afterEach());
afterAll(async () => {
  await server.close();
  removeHarnessDirs();
});

/** Every type in an order where alignment matters: an 8-byte value after a 1-byte one, and so on. */
const CYCLE: LogicalType[] = ['boolean', 'double', 'string', 'bigint', 'json', 'timestamp', 'string', 'boolean', 'string'];
const COLUMNS: Column[] = Array.from({ length: 1400 }, (_, i) => ({ name: `c${i}`, type: CYCLE[i % CYCLE.length]! }));

/** The same rows on every run. */
const random = seededRandom;

/** Text around every size where PostgreSQL's storage of it changes: inline, toasted, compressed. */
function text(next: () => number): string {
  const length = [0, 5, 19, 22, 23, 24, 30, 126, 127, 300, 3000][Math.floor(next() * 11)]!;
  if (next() < 0.3) return 'a'.repeat(length);
  return Array.from({ length }, () => String.fromCharCode(33 + Math.floor(next() * 90))).join('') + (next() < 0.2 ? 'é' : '');
}

function value(type: LogicalType, next: () => number): unknown {
  switch (type) {
    case 'boolean':
      return next() < 0.5;
    case 'double':
      return next() * 1e6;
    case 'bigint':
      return Math.floor(next() * 1e12);
    case 'timestamp':
      return new Date(Date.UTC(2026, 0, 1) + Math.floor(next() * 1e10)).toISOString();
    case 'json':
      return next() < 0.5 ? '{}' : JSON.stringify({ k: text(next) });
    default:
      return text(next);
  }
}

describe(`PostgreSQL row size (${server.label})`, () => {
  it('never puts a row the server refuses as too big within the limit, and comes near it', async () => {
    const url = await server.freshDatabase();
    const driver = await connectPostgres({ url, ...(server.copy ? {} : { bulkLoad: 'insert' }) });
    const limit = postgres.capabilities.rowLimit!;
    const next = random(20261203);
    const outcomes: Array<{ estimate: number; stored: boolean }> = [];
    try {
      await driver.execute(`CREATE TABLE "t" (${COLUMNS.map((c) => `"${c.name}" ${postgres.dialect.physicalType(c.type)}`).join(', ')})`);
      for (let n = 0; n < 150; n++) {
        // Rows from a few values to most columns, so that the estimates straddle the limit.
        const density = 0.2 + next() * 0.8;
        const row = Object.fromEntries(COLUMNS.filter(() => next() < density).map((c) => [c.name, value(c.type, next)]));
        const names = Object.keys(row);
        const estimate = limit.rowBytes(COLUMNS, row);
        const stored = await driver
          .execute(`INSERT INTO "t" (${names.map((c) => `"${c}"`).join(', ')}) VALUES (${names.map((_, i) => `$${i + 1}`).join(', ')})`, Object.values(row) as never[])
          .then(
            () => true,
            (error: Error) => {
              if (!/row is too big/.test(error.message)) throw error;
              return false;
            },
          );
        outcomes.push({ estimate, stored });
      }
    } finally {
      await driver.close();
    }
    // Sound: every row the estimate puts within the limit is stored.
    expect(outcomes.filter((o) => o.estimate <= limit.maxBytes && !o.stored)).toEqual([]);
    // And the test reaches the limit from both sides: rows refused, rows stored close to it.
    expect(outcomes.some((o) => !o.stored)).toBe(true);
    expect(outcomes.some((o) => o.stored && o.estimate > limit.maxBytes * 0.8 && o.estimate <= limit.maxBytes)).toBe(true);
    // Not far from the truth: at these values (a third of the text very compressible, a ninth of
    // the values JSON), a minority of the rows the server stores are over the estimate's limit.
    const overEstimated = outcomes.filter((o) => o.stored && o.estimate > limit.maxBytes).length;
    expect(overEstimated / outcomes.filter((o) => o.stored).length).toBeLessThan(1 / 3);
  });
});
