import { describe, expect, it } from 'vitest';
import { Harness, identify, type DestinationUnderTest } from '../harness.js';
import { dialectNames } from './dialect-names.js';

/** The limit the writer is held to here: the destination's `maxColumns`, lowered so that a test can reach it. */
const LIMIT = 40;

/** A table holds at most `capabilities.maxColumns` columns; what does not fit is quarantined, never a failed load. */
export function columnLimit(dut: DestinationUnderTest): void {
  const { capabilities } = dut.destination;
  const { name } = dialectNames(dut);
  const limited = { ...dut, destination: { ...dut.destination, capabilities: { ...capabilities, maxColumns: Math.min(LIMIT, capabilities.maxColumns) } } };
  const limit = limited.destination.capabilities.maxColumns;

  describe('column limit', () => {
    it(`fills a table up to its column limit (maxColumns, lowered to ${limit}) and quarantines the keys past it, in that sync and later ones`, async () => {
      const h = await Harness.create(limited);
      const traits = (from: number, to: number) => Object.fromEntries(Array.from({ length: to - from }, (_, i) => [`t${from + i}`, `v${from + i}`]));
      await h.calls([identify('u1', traits(0, limit), { messageId: 'wide-1', timestamp: '2026-11-23T10:00:00.000Z' })]);
      const first = await h.sync();
      const columns = (await h.columns('identifies'))!;
      expect(columns).toHaveLength(limit);
      const stored = Object.keys(traits(0, limit)).filter((t) => columns.includes(name(t)));
      const refused = limit - stored.length;
      expect(refused).toBeGreaterThan(0);
      expect(first).toMatchObject({ status: 'Partial', rejects: refused });
      const rejects = await h.rows('_stowage_rejects', ['id', 'reason'], []);
      expect(rejects).toEqual(Array.from({ length: refused }, () => ({ id: 'wide-1', reason: `the table has reached its limit of ${limit} columns` })));

      // A later sync: a column that exists still fills; a new key finds the table full.
      const kept = stored.at(-1)!;
      await h.calls([identify('u1', { [kept]: 'later', fresh: 'x' }, { messageId: 'wide-2', timestamp: '2026-11-23T11:00:00.000Z' })]);
      expect(await h.sync()).toMatchObject({ status: 'Partial', rejects: 1 });
      expect(await h.columns('identifies')).toHaveLength(limit);
      expect(await h.rows('users', ['id', name(kept)])).toEqual([{ id: 'u1', [name(kept)]: 'later' }]);
      expect(await h.rows('_stowage_rejects', ['id', 'column_name'], [])).toContainEqual({ id: 'wide-2', column_name: name('fresh') });
      await h.close();
    });
  });
}
