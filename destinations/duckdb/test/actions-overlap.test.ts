import { afterAll, describe, expect, it } from 'vitest';
import { parseRunHeader, type Destination, type RunProfile } from '@stowage/core';
import { Harness, removeHarnessDirs } from '@stowage/testkit';
import { duckdb } from '../src/index.js';
import { duckdbUnderTest, duckdbWithSessions } from './support/under-test.js';

afterAll(() => removeHarnessDirs());

/** The profile state streams changes in chunks of at least 5,000 (embedded-state's CHUNK): 12,000 members are two or more. */
const MEMBERS = 12_000;

/**
 * The DuckDB destination, its sessions reporting load files made and transactions committed into
 * `log`. The first transaction that writes a chunk (of any session) holds its commit until the next chunk's load file is
 * made (or two seconds pass): a write whose client work waits for the previous write's statements never gets there.
 */
function observed(log: string[], failFirst = false): Destination {
  let transactions = 0;
  return duckdbWithSessions((driver) => {
    // A connection the server closed answers nothing more.
    let closed = false;
    return {
      writeLoadFile: async (columns, rows) => {
        const file = await driver.writeLoadFile(columns, rows);
        log.push('load');
        return file;
      },
      execute: (sql, params) => (closed ? Promise.reject(new Error('the connection is closed')) : driver.execute(sql, params)),
      transaction: (fn) => {
        // A chunk's: the state's claim on the schema, in a transaction of its own, comes before any load file (and is not logged).
        const chunk = log.includes('load');
        return driver.transaction(async () => {
          const result = await fn();
          if (chunk && transactions++ === 0) {
            const deadline = Date.now() + 2000;
            while (log.filter((e) => e === 'load').length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
            if (failFirst) {
              closed = true;
              throw new Error('the server closed the connection');
            }
          }
          return result;
        }).then((result) => {
          if (chunk) log.push('commit');
          return result;
        });
      },
    };
  });
}

async function* members(): AsyncGenerator<RunProfile[]> {
  for (let start = 0; start < MEMBERS; start += 1000) {
    yield Array.from({ length: 1000 }, (_, k) => {
      const i = start + k;
      return { profileId: `p${i}`, userId: `u${i}`, anonymousIds: [], emails: [], mobileIds: [], entityContext: { cart_id: `c${i}` } };
    });
  }
}

async function harness(destination: Destination) {
  return Harness.create(
    duckdbUnderTest(destination),
    { computations: { carts: { type: 'linked_audience' } }, activations: { a: { computation: 'carts', table: 'carts' } } },
  );
}

/** Rows in the activation's table; none before its schema exists. */
async function count(h: Harness): Promise<number> {
  try {
    return (await h.rows('carts', ['user_id'], ['user_id'], 'wh', 'default')).length;
  } catch (error) {
    if (/does not exist/.test((error as Error).message)) return 0;
    throw error;
  }
}

describe("A run's Storage Actions writes", () => {
  it("map and encode the next chunk of changes while the previous chunk's statements run, and write every row once", async () => {
    const log: string[] = [];
    const h = await harness(observed(log));
    try {
      const result = await h.stowage.applyRun(parseRunHeader({ space: 'default', computation: 'carts', id: 'r1', kind: 'snapshot' }), members());
      expect(result.writes[0]).toMatchObject({ status: 'Success', rows: { 'default.carts': MEMBERS } });
      // The second chunk's load file was made before the first chunk's write committed.
      expect(log.indexOf('load', log.indexOf('load') + 1)).toBeLessThan(log.indexOf('commit'));
      const loads = log.filter((e) => e === 'load').length;
      expect(loads).toBeGreaterThanOrEqual(2);
      expect(log.filter((e) => e === 'commit')).toHaveLength(loads);
      expect(await count(h)).toBe(MEMBERS);
    } finally {
      await h.close();
    }
  });

  it('queue the chunks prepared behind a failed write instead of writing them, and the flush writes each row once', async () => {
    const log: string[] = [];
    const h = await harness(observed(log, true));
    try {
      const result = await h.stowage.applyRun(parseRunHeader({ space: 'default', computation: 'carts', id: 'r1', kind: 'snapshot' }), members());
      expect(result.writes[0]).toMatchObject({ status: 'Failure' });
      expect(result.writes[0]?.error).toMatch(/the server closed the connection/);
      // Prepared while the first was in flight, never applied after it failed.
      expect(log.filter((e) => e === 'load').length).toBeGreaterThanOrEqual(2);
      expect(log).not.toContain('commit');
      expect(await count(h)).toBe(0);
      const [flushed] = await h.stowage.flush('wh');
      expect(flushed?.record).toMatchObject({ status: 'Success', rows: { 'default.carts': MEMBERS } });
      expect(await count(h)).toBe(MEMBERS);
    } finally {
      await h.close();
    }
  });

  it('open the warehouse again at the first write when it could not be opened as the run started', async () => {
    let connects = 0;
    const destination: Destination = {
      ...(duckdb as unknown as Destination),
      connect: async (settings, context) => {
        // The early open, beside the staging: the file is still held by another process.
        if (connects++ === 0) throw new Error('Could not set lock on file: Conflicting lock is held');
        return duckdb.connect(settings as never, context);
      },
    };
    const h = await harness(destination);
    try {
      const result = await h.stowage.applyRun(parseRunHeader({ space: 'default', computation: 'carts', id: 'r1', kind: 'snapshot' }), members());
      expect(result.writes[0], result.writes[0]?.error).toMatchObject({ status: 'Success', rows: { 'default.carts': MEMBERS } });
      expect(connects).toBe(2);
      expect(await count(h)).toBe(MEMBERS);
    } finally {
      await h.close();
    }
  });
});
