import { describe, expect, it } from 'vitest';
import { applyIdentifierRules } from '@stowage/core';
import { Harness, identify, track, type DestinationUnderTest } from '../harness.js';
import { textBounded } from './text-limit.js';

const HOSTILE = '"; DROP TABLE users; --';

/** Bad and hostile input: a clear error or a quarantined value, never a crash, never a lost call. */
export function hostile(dut: DestinationUnderTest): void {
  describe('bad and hostile input', () => {
    it('stores hostile names and values as data, never as SQL', async () => {
      const h = await Harness.create(dut);
      await h.calls([
        identify('u1', { [HOSTILE]: HOSTILE, select: 1, from: 2, table: 3, order: 'x', user: 'y' }),
        track("u1'; DELETE FROM tracks; --", HOSTILE, { [`'); DROP TABLE tracks; --`]: HOSTILE }),
      ]);
      await h.sync();
      // Reserved words keep their name where the dialect quotes them, and get a `_` prefix where it asks for one.
      const name = (word: string) => applyIdentifierRules(word, dut.destination.dialect.identifiers);
      const reserved = { select: 1, from: 2, table: 3, order: 'x', user: 'y' };
      expect(await h.rows('identifies', ['drop_table_users', ...Object.keys(reserved).map(name)])).toEqual([
        { drop_table_users: HOSTILE, ...Object.fromEntries(Object.entries(reserved).map(([k, v]) => [name(k), v])) },
      ]);
      expect(await h.rows('drop_table_users', ['user_id', 'drop_table_tracks', 'event_text'])).toEqual([
        { user_id: "u1'; DELETE FROM tracks; --", drop_table_tracks: HOSTILE, event_text: HOSTILE },
      ]);
      expect(await h.rows('users', ['id'])).toEqual([{ id: 'u1' }]);
      await h.close();
    });

    it('cuts very long names with a stable hash, and keeps unicode-only names under a generated one', async () => {
      const h = await Harness.create(dut);
      const long = `trait_${'x'.repeat(1000)}`;
      await h.calls([identify('u1', { [long]: 1, [`${long}_2`]: 2, 日本語: 'ja', 'émoji 🎉 name': 'e' })]);
      await h.sync();
      const cols = (await h.columns('identifies'))!;
      const longCols = cols.filter((c) => c.startsWith('trait_x'));
      expect(longCols).toHaveLength(2);
      for (const c of longCols) expect(c.length).toBeLessThanOrEqual(dut.destination.dialect.identifiers.maxLength);
      expect(cols.some((c) => /^unnamed_[0-9a-f]{8}$/.test(c))).toBe(true);
      expect(cols).toContain('moji_name');
      await h.close();
    });

    it('rejects malformed lines and calls without ids with a clear error, and loads every other call', async () => {
      const h = await Harness.create(dut);
      const result = await h.calls([
        identify('u1', { a: 1 }),
        '{"type":"identify", "userId": ',
        { type: 'identify', traits: { a: 2 } },
        { type: 'track', userId: 'u2' },
        { type: 'alias', userId: 'u2' },
        { type: 'identify', userId: 'u3', timestamp: 'yesterday' },
        'null',
        identify('u4', { a: 4 }),
      ]);
      expect(result.accepted).toBe(2);
      expect(result.rejected).toBe(6);
      expect(result.errors.map((e) => e.line)).toEqual([2, 3, 4, 5, 6, 7]);
      expect(result.errors.map((e) => e.error)).toEqual([
        expect.stringContaining('not valid JSON'),
        'a call needs a userId or an anonymousId',
        'a track call needs a non-empty event name',
        expect.stringContaining('"identify" or "track"'),
        expect.stringContaining('timestamp must be an ISO-8601'),
        'a call must be a JSON object',
      ]);
      await h.sync();
      expect(await h.rows('users', ['id', 'a'])).toEqual([{ id: 'u1', a: 1 }, { id: 'u4', a: 4 }]);
      await h.close();
    });

    it('refuses a call whose messageId holds U+0000 at ingest, so that a call sent again is never loaded twice', async () => {
      const h = await Harness.create(dut);
      const resent = identify('u1', { a: 1 }, { messageId: 'm\u0000x' });
      const result = await h.calls([resent, identify('u2', { a: 2 }), resent]);
      expect(result).toMatchObject({ accepted: 1, rejected: 2 });
      expect(result.errors).toEqual([
        { line: 1, error: expect.stringContaining('contains the character U+0000') },
        { line: 3, error: expect.stringContaining('contains the character U+0000') },
      ]);
      await h.sync();
      expect(await h.rows('identifies', ['user_id'])).toEqual([{ user_id: 'u2' }]);
      await h.close();
    });

    it('refuses at ingest an id two calls could share once stored, and a value JSON cannot carry whole', async () => {
      const h = await Harness.create(dut);
      const deep = JSON.parse(`${'{"a":'.repeat(600)}1${'}'.repeat(600)}`);
      const result = await h.calls([
        identify('u1', { a: 1 }, { messageId: 'm\uD800' }),
        identify('u2', { a: 2 }, { messageId: 9007199254740993 }),
        identify(null, { a: 3 }, { userId: 9007199254740992 }),
        identify('u4', { a: 4 }, { messageId: { id: 'x' } }),
        identify('u5', { a: 5 }, { anonymousId: 'a\uDFFF' }),
        // As sent: JSON.stringify would write the Infinity it reads as null.
        '{"type":"identify","messageId":"x6","userId":"u6","traits":{"big":1e400}}',
        track('u7', 'Deep', { deep }),
        // Not loaded, but hashed whole for the generated messageId: JSON.stringify overflowed at 5,000 levels.
        `{"type":"identify","userId":"u9","integrations":${'['.repeat(6000)}${']'.repeat(6000)}}`,
        // A byte-order mark first: DuckDB's readers drop it there, and "\ufeffm1" would be "m1".
        identify('u10', { a: 10 }, { messageId: '\ufeffm1' }),
        identify('\ufeffu11', { a: 11 }),
        identify('u8', { a: 8 }, { messageId: 9007199254740991 }),
      ]);
      expect(result).toMatchObject({ accepted: 1, rejected: 10 });
      expect(result.errors).toEqual([
        { line: 1, error: expect.stringContaining('messageId "m\\ud800" holds half of a character') },
        { line: 2, error: expect.stringContaining('messageId is a number JSON cannot hold exactly') },
        { line: 3, error: expect.stringContaining('userId is a number JSON cannot hold exactly') },
        { line: 4, error: 'messageId must be a string or a number' },
        { line: 5, error: expect.stringContaining('anonymousId "a\\udfff" holds half of a character') },
        { line: 6, error: expect.stringContaining('traits.big is a number beyond the range of a double') },
        { line: 7, error: expect.stringContaining('properties is nested deeper than 500 levels') },
        { line: 8, error: expect.stringContaining('integrations is nested deeper than 500 levels') },
        { line: 9, error: expect.stringContaining('messageId "\\ufeffm1" begins with the character U+FEFF') },
        { line: 10, error: expect.stringContaining('userId "\\ufeffu11" begins with the character U+FEFF') },
      ]);
      await h.sync();
      expect(await h.rows('identifies', ['id', 'user_id'])).toEqual([{ id: '9007199254740991', user_id: 'u8' }]);
      await h.close();
    });

    it('never lets an impossible date block a sync: refused at ingest, kept as a string in a trait', async () => {
      const h = await Harness.create(dut);
      const result = await h.calls([
        identify('u1', { a: 1 }, { timestamp: '2026-02-30T00:00:00.000Z' }),
        identify('u2', { renewal: '2026-02-30T00:00:00.000Z' }),
      ]);
      expect(result.errors).toEqual([{ line: 1, error: expect.stringMatching(/^timestamp must be an ISO-8601 .* \(2026-02-30T00:00:00 is no day and time of the calendar\)$/) }]);
      await h.sync();
      expect(await h.columnTypes('identifies')).toMatchObject({ renewal: 'string' });
      expect(await h.rows('users', ['id', 'renewal'])).toEqual([{ id: 'u2', renewal: '2026-02-30T00:00:00.000Z' }]);
      await h.close();
    });

    it('never lets a moment outside the years 0001 to 9999 block a sync: refused at ingest, a string in a new trait, quarantined in a timestamp column', async () => {
      const h = await Harness.create(dut);
      const result = await h.calls([
        // A zone that carries the moment into the year 10000.
        identify('u1', { a: 1 }, { sentAt: '9999-12-31T23:59:59-01:00', originalTimestamp: '2026-01-01T00:00:00Z' }),
        identify('u2', { born: '0000-06-01T00:00:00Z', seen: '2026-11-23T10:00:00Z' }, { messageId: 'y0', timestamp: '2026-11-23T10:00:00Z' }),
        identify('u3', { seen: '0000-01-01T00:00:00+01:00' }, { messageId: 'y1', timestamp: '2026-11-23T11:00:00Z' }),
        // Each time within the range, the skew between them carries the event's time out of it.
        identify('u4', { a: 4 }, { messageId: 'y2', sentAt: '0001-01-01T00:00:00Z', originalTimestamp: '9999-01-01T00:00:00Z', receivedAt: '2026-11-23T10:00:00Z' }),
      ]);
      expect(result.errors).toEqual([{ line: 1, error: expect.stringContaining('sentAt must be an ISO-8601 date-time of the years 0001 to 9999') }]);
      expect(await h.sync()).toMatchObject({ status: 'Partial', rejects: 2 });
      expect(await h.columnTypes('identifies')).toMatchObject({ born: 'string', seen: 'timestamp', timestamp: 'timestamp' });
      expect(await h.rows('identifies', ['id', 'born', 'seen'], ['id'])).toEqual([
        { id: 'y0', born: '0000-06-01T00:00:00Z', seen: '2026-11-23T10:00:00.000Z' },
        { id: 'y1', born: null, seen: null },
        { id: 'y2', born: null, seen: null },
      ]);
      expect(await h.rows('_stowage_rejects', ['id', 'column_name', 'value'], ['id'])).toEqual([
        { id: 'y1', column_name: 'seen', value: '0000-01-01T00:00:00+01:00' },
        { id: 'y2', column_name: 'timestamp', value: '+012024-11-22T10:00:00.000Z' },
      ]);
      await h.close();
    });

    it('stores a huge value whole, up to what the warehouse declares a text column holds, and quarantines a longer one', async () => {
      const { maxStringBytes } = dut.destination.capabilities;
      const h = await Harness.create(dut);
      const big = 'v'.repeat(Math.min(200_000, maxStringBytes));
      const calls = [identify('u1', { note: big })];
      if (maxStringBytes < 200_000) calls.push(identify('u2', { note: `${big}v` }, { messageId: 'too-long' }));
      await h.calls(calls);
      const synced = await h.sync();
      const [row] = await h.rows('users', ['note'], ['id']);
      expect(String(row!.note).length).toBe(big.length);
      if (maxStringBytes < 200_000) {
        expect(synced.rejects).toBe(1);
        // One byte too long for a text column, so kept in two parts (see the next test).
        const parts = await h.rows('_stowage_rejects', ['id', 'column_name', 'value', 'reason'], ['reason']);
        expect(parts.map((p) => ({ id: p.id, column_name: p.column_name }))).toEqual([{ id: 'too-long', column_name: 'note' }, { id: 'too-long', column_name: 'note' }]);
        expect(parts.map((p) => String(p.value)).join('')).toBe(`${big}v`);
        for (const p of parts) expect(String(p.reason)).toMatch(new RegExp(`^value [0-9a-f]{8}, part [12] of 2 .*: the value is longer than the ${maxStringBytes} bytes this warehouse stores in a text column$`));
      }
      await h.close();
    });

    it('keeps a quarantined value longer than a text column holds whole, in parts, and goes on loading', async () => {
      const { maxStringBytes } = dut.destination.capabilities;
      const h = await Harness.create(dut);
      // Longer than the column by far, with characters of 2, 3 and 4 bytes for the parts' edges to meet.
      const bounded = textBounded(dut);
      const huge = 'é€😀x'.repeat(bounded ? Math.ceil((2.5 * maxStringBytes) / 10) : 30_000);
      await h.calls([identify('u1', { note: 'short' }), identify('u2', { note: huge }, { messageId: 'huge' })]);
      const synced = await h.sync();
      // One value quarantined, however many rows it takes.
      expect(synced).toMatchObject(bounded ? { status: 'Partial', rejects: 1 } : { status: 'Success', rejects: 0 });
      if (bounded) {
        const parts = await h.rows('_stowage_rejects', ['id', 'column_name', 'value', 'reason'], ['reason']);
        expect(parts.length).toBeGreaterThan(2);
        parts.forEach((p, i) => {
          expect(p).toMatchObject({ id: 'huge', column_name: 'note' });
          expect(String(p.reason)).toMatch(new RegExp(`^value [0-9a-f]{8}, part 0?${i + 1} of ${parts.length} \\(a value longer than the ${maxStringBytes} bytes`));
          expect(Buffer.byteLength(String(p.value))).toBeLessThanOrEqual(maxStringBytes);
        });
        expect(parts.map((p) => String(p.value)).join('')).toBe(huge);
      } else expect(await h.rows('users', ['note'], ['id'])).toEqual([{ note: 'short' }, { note: huge }]);
      // Nothing stuck behind it.
      await h.calls([identify('u3', { note: 'after' })]);
      expect(await h.sync()).toMatchObject({ status: 'Success', calls: 1 });
      await h.close();
    });
  });
}
