import { afterAll, describe, expect, it } from 'vitest';
import { Harness, identify, removeHarnessDirs, track } from '@stowage/testkit';
import { duckdbUnderTest } from './support/under-test.js';

afterAll(removeHarnessDirs);

const dut = (settings: Record<string, unknown> = {}) => duckdbUnderTest(undefined, settings);

/** 20,000 calls of one trait each, over 990 traits: identifies and users get ~1,000 columns, every batch appends to all of them, and the WAL grows to a checkpoint. */
const calls = () => Array.from({ length: 20_000 }, (_, i) => identify(`u${i % 100}`, { [`t${i % 990}`]: `value ${i}` }));

describe('a DuckDB table of ~1,000 columns', () => {
  it('loads with the default memory limit, which grows with the widest table', async () => {
    // At a fixed 512MB, DuckDB runs out of memory at the commit of the ninth batch (measured).
    const h = await Harness.create(dut(), { batchSize: 2000 });
    await h.calls(calls());
    expect(await h.sync()).toMatchObject({ status: 'Success', rows: { identifies: 20_000, users: 100 } });
    expect((await h.columns('users'))!.length).toBeGreaterThan(990);
    await h.close();
  });

  it('fails with an error naming the setting to raise when the memoryLimit set is too small', async () => {
    const h = await Harness.create(dut({ memoryLimit: '256MB' }), { batchSize: 2000 });
    await h.calls(calls());
    const record = await h.stowage.sync('wh');
    expect(record.status).toBe('Failure');
    expect(record.error).toMatch(/memory/i);
    expect(record.error).toContain("the warehouse's memoryLimit setting is 256MB: set memoryLimit higher");
    await h.close();
  });
});

describe('a memoryLimit too small for anything', () => {
  it('fails the first statement that runs out with the same error, naming the setting', async () => {
    // 100KB: the catalog read that begins a sync runs out, before any load.
    const h = await Harness.create(dut({ memoryLimit: '100KB' }));
    await h.calls([identify('u1', { a: 1 })]);
    const record = await h.stowage.sync('wh');
    expect(record.status).toBe('Failure');
    expect(record.error).toContain("the warehouse's memoryLimit setting is 100KB: set memoryLimit higher");
    expect(record.error).not.toContain('SET memory_limit');
    await h.close();
  });
});

describe('thousands of event tables', () => {
  it('load within the default memory limit: the session checkpoints once it has loaded many tables', async () => {
    // Without the checkpoints DuckDB keeps every new table's rows in memory until the end of the
    // sync, and ran out of 512MB between 2,100 and 3,000 of these (measured).
    const h = await Harness.create(dut());
    await h.calls(Array.from({ length: 3000 }, (_, i) => track(`u${i % 10}`, `Viewed Product ${i}`, { n: i })));
    expect(await h.sync()).toMatchObject({ status: 'Success', rows: { tracks: 3000, viewed_product_2999: 1 } });
    await h.close();
  });
});
