import { afterAll, describe, expect, it } from 'vitest';
import { Harness, identify, removeHarnessDirs } from '@stowage/testkit';
import { duckdb } from '../src/index.js';
import { duckdbUnderTest } from './support/under-test.js';

afterAll(removeHarnessDirs);

describe('a batch with hundreds of thousands of rejects', () => {
  it('quarantines them all and ends Partial, never failing the batch', async () => {
    // A table of at most 20 columns, and calls of 1,000 traits each: 200 calls, one batch,
    // about 197,000 values past the limit (a spread of that many arguments overflows the stack).
    const destination = { ...duckdb, capabilities: { ...duckdb.capabilities, maxColumns: 20 } };
    const h = await Harness.create(duckdbUnderTest(destination as never));
    const traits = Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`t${i}`, i]));
    await h.calls(Array.from({ length: 200 }, (_, i) => identify(`u${i % 10}`, traits)));
    const record = await h.sync();
    const stored = (await h.columns('identifies'))!.filter((c) => /^t\d+$/.test(c)).length;
    expect(record).toMatchObject({ status: 'Partial', rows: { identifies: 200 }, rejects: 200 * (1000 - stored) });
    expect(record.rejects).toBeGreaterThan(150_000);
    expect((await h.rows('_stowage_rejects', ['id'], [])).length).toBe(record.rejects);
    await h.close();
  });
});
