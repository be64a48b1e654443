import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { firstSyncWithARepeat, Harness, identify, removeHarnessDirs, testPostgres } from '@stowage/testkit';
import { watchedPostgres } from './support/watched-driver.js';

const server = await testPostgres();
afterEach(() => server.afterEach());
afterAll(async () => {
  await server.close();
  removeHarnessDirs();
});

/** PostgreSQL, with each session's looks for loaded keys, its straight loads and its transactions (batches) recorded, in order. */
const recordedPostgres = (events: string[]) =>
  watchedPostgres(server, new Set(['holdsAnyKey', 'loadInto', 'transaction']), (method, args) => events.push(method === 'transaction' ? 'batch' : `${method} ${String(args[1])}`));

const at = (minute: number) => `2026-11-23T10:${String(minute).padStart(2, '0')}:00.000Z`;

describe(`PostgreSQL: a first sync into empty tables (${server.label})`, () => {
  it('loads its batches straight in without looking for their ids, but for a batch that repeats an earlier one', async () => {
    const events: string[] = [];
    const h = await Harness.create(recordedPostgres(events), { batchSize: 2 });
    const expected = firstSyncWithARepeat();
    await h.calls(expected.calls);
    expect(await h.sync()).toMatchObject(expected.record);
    // Per batch (the users refresh is a transaction too): no look but in the second, which holds
    // a1 again; the others COPY their rows straight into the tables.
    const batches = events.join('|').split('batch|').filter((b) => b.includes('identifies') || b.includes('tracks'));
    expect(batches.map((b) => b.includes('holdsAnyKey'))).toEqual([false, true, false]);
    expect(batches[0]).toContain('loadInto identifies');
    expect(await h.rows('identifies', ['id', 'plan'], ['id'])).toEqual(expected.identifies);
    // A later sync looks as before: its tables hold ids.
    events.length = 0;
    await h.calls([identify('u4', { plan: 'duo' }, { messageId: 'b1', timestamp: at(7) }), identify('u1', { plan: 'late' }, { messageId: 'a1', timestamp: at(8) })]);
    expect(await h.sync()).toMatchObject({ status: 'Success', calls: 2, rows: { identifies: 1 } });
    expect(events.some((e) => e.startsWith('holdsAnyKey'))).toBe(true);
    await h.close();
  });
});
