import { describe, expect, it } from 'vitest';
import { Harness, identify, type DestinationUnderTest } from '../harness.js';
import { dialectNames } from './dialect-names.js';

/** A later value meets a column whose type an earlier one fixed: cast when nothing is lost, quarantined otherwise. */
export function casts(dut: DestinationUnderTest): void {
  const { names, named } = dialectNames(dut);
  const columns = names('flag', 'count', 'ratio', 'seen_at', 'label');

  describe('casts', () => {
    it('casts each lossless value into the column type, quarantines each lossy one, and counts both', async () => {
      const h = await Harness.create(dut);
      await h.calls([identify('u0', { flag: true, count: 1, ratio: 0.5, seen_at: '2026-11-23T10:00:00.000Z', label: 'a' }, { messageId: 'm0' })]);
      await h.sync();
      await h.calls([
        identify('u1', { flag: 'false', count: '42', ratio: '3.5', seen_at: '2026-11-23T12:00:00+02:00', label: true }, { messageId: 'm1' }),
        identify('u2', { ratio: 12, label: 7 }, { messageId: 'm2' }),
        identify('u3', { flag: 'yes', count: '42.0', ratio: 'abc', seen_at: 'tomorrow' }, { messageId: 'm3' }),
        identify('u4', { flag: 1, count: '9007199254740993', seen_at: 12345 }, { messageId: 'm4' }),
      ]);
      const record = await h.sync();
      expect(record).toMatchObject({ status: 'Partial', casts: 6, rejects: 7 });
      expect(await h.columnTypes('identifies')).toMatchObject(named({ flag: 'boolean', count: 'bigint', ratio: 'double', seen_at: 'timestamp', label: 'string' }));
      expect(await h.rows('identifies', ['id', ...columns], ['id'])).toEqual([
        { id: 'm0', ...named({ flag: true, count: 1, ratio: 0.5, seen_at: '2026-11-23T10:00:00.000Z', label: 'a' }) },
        { id: 'm1', ...named({ flag: false, count: 42, ratio: 3.5, seen_at: '2026-11-23T10:00:00.000Z', label: 'true' }) },
        { id: 'm2', ...named({ flag: null, count: null, ratio: 12, seen_at: null, label: '7' }) },
        { id: 'm3', ...named({ flag: null, count: null, ratio: null, seen_at: null, label: null }) },
        { id: 'm4', ...named({ flag: null, count: null, ratio: null, seen_at: null, label: null }) },
      ]);
      const [flag, count, ratio, seenAt] = columns;
      const byIdAndColumn = (a: Record<string, unknown>, b: Record<string, unknown>) => `${a.id} ${a.column_name}`.localeCompare(`${b.id} ${b.column_name}`);
      expect((await h.rows('_stowage_rejects', ['id', 'column_name', 'value'], [])).sort(byIdAndColumn)).toEqual(
        [
          { id: 'm3', column_name: flag, value: 'yes' },
          { id: 'm3', column_name: count, value: '42.0' },
          { id: 'm3', column_name: ratio, value: 'abc' },
          { id: 'm3', column_name: seenAt, value: 'tomorrow' },
          { id: 'm4', column_name: flag, value: '1' },
          { id: 'm4', column_name: count, value: '9007199254740993' },
          { id: 'm4', column_name: seenAt, value: '12345' },
        ].sort(byIdAndColumn),
      );
      await h.close();
    });
  });
}
