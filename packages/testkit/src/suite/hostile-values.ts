import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MAX_FLATTEN_DEPTH } from '@stowage/core';
import { Harness, identify, track, type DestinationUnderTest } from '../harness.js';
import { textBounded } from './text-limit.js';
import { dialectNames } from './dialect-names.js';

/**
 * Strings that bulk-load formats and SQL give a meaning to (COPY's `\N` and `\.`, tabs and
 * newlines, CSV quotes and separators), and text that is easy to mangle on the way (astral
 * characters, combining marks, a byte-order mark, control characters, blanks). The byte-order
 * mark is inside the text: a leading one is dropped on read by decoders such as TextDecoder's
 * default (in @duckdb/node-api), which would test the client, not the load.
 */
const TEXT = [
  '\\N', '\\.', '\\', 'back\\slash', 'a\tb', 'line1\nline2', 'cr\r\nlf', '"quoted"', "it's", 'a,b', 'a|b', '\u2028\u2029',
  '🎉 astral 𝄞', 'e\u0301', 'b\uFEFFom', '\u0001\u001f', 'NULL', 'null', '', ' ', '{"looks":"like json"}', '0x1F',
];

/** Values at the edges of what each type holds. */
const NUMBERS = { max_int: Number.MAX_SAFE_INTEGER, min_int: -Number.MAX_SAFE_INTEGER, zero: 0, tiny: 5e-324, huge: 1.7976931348623157e308, third: 1 / 3, negative: -2.5 };

/** Hostile values stored as data, whole, or quarantined with the reason where the warehouse cannot hold them. */
export function hostileValues(dut: DestinationUnderTest): void {
  const { capabilities } = dut.destination;
  const { name, named } = dialectNames(dut);
  const ids = TEXT.map((_, i) => `u${String(i).padStart(2, '0')}`);

  describe('hostile values', () => {
    it('stores text that bulk loaders and SQL give a meaning to exactly as sent, on both paths', async () => {
      const columns = { note: { '@path': '$.properties.data_graph_entity_context.note' } };
      const h = await Harness.create(dut, { computations: { carts: { type: 'linked_audience' } }, activations: { a: { computation: 'carts', table: 'carts', columns } } });
      await h.calls(TEXT.flatMap((text, i) => [
        identify(ids[i]!, { note: text }, { messageId: `i${i}` }),
        track(ids[i]!, 'Note Taken', { note: text }, { messageId: `t${i}` }),
      ]));
      expect(await h.sync()).toMatchObject({ status: 'Success', rejects: 0 });
      await h.run({ computation: 'carts', id: 'r1' }, TEXT.map((note, i) => ({ userId: ids[i], entityContext: { note } })));
      const note = name('note');
      const expected = TEXT.map((text, i) => ({ user_id: ids[i], [note]: text }));
      expect(await h.rows('identifies', ['user_id', note], ['user_id'])).toEqual(expected);
      expect(await h.rows('note_taken', ['user_id', note], ['user_id'])).toEqual(expected);
      expect(await h.rows('users', ['id', note], ['id'])).toEqual(TEXT.map((text, i) => ({ id: ids[i], [note]: text })));
      const carts = await h.rows('carts', ['user_id', note, 'entity_context'], ['user_id'], 'wh', 'default');
      expect(carts).toEqual(TEXT.map((text, i) => ({ user_id: ids[i], [note]: text, entity_context: JSON.stringify({ note: text }) })));
      await h.close();
    });

    it('stores a carriage return in the first row a load holds, on both paths', async () => {
      // A bulk loader that guesses the line ending from the first line read `\r` there as one.
      const columns = { note: { '@path': '$.properties.data_graph_entity_context.note' } };
      const h = await Harness.create(dut, { computations: { carts: { type: 'linked_audience' } }, activations: { a: { computation: 'carts', table: 'carts', columns } } });
      await h.calls([identify('u1', { note: 'x\ry' }, { messageId: 'i1' }), identify('u2', { note: 'plain' }, { messageId: 'i2' })]);
      expect(await h.sync()).toMatchObject({ status: 'Success', rejects: 0 });
      const note = name('note');
      expect(await h.rows('identifies', ['user_id', note], ['user_id'])).toEqual([{ user_id: 'u1', [note]: 'x\ry' }, { user_id: 'u2', [note]: 'plain' }]);
      await h.run({ computation: 'carts', id: 'r1' }, [{ userId: 'u1', entityContext: { note: 'Ship to:\r\n1 Main St' } }]);
      expect(await h.rows('carts', ['user_id', note], ['user_id'], 'wh', 'default')).toEqual([{ user_id: 'u1', [note]: 'Ship to:\r\n1 Main St' }]);
      await h.close();
    });

    it('stores numbers at the edges of bigint and double exactly', async () => {
      const h = await Harness.create(dut);
      await h.calls([identify('u1', NUMBERS, { messageId: 'i1' })]);
      await h.sync();
      expect(await h.columnTypes('identifies')).toMatchObject(named({ max_int: 'bigint', min_int: 'bigint', zero: 'bigint', tiny: 'double', huge: 'double', third: 'double', negative: 'double' }));
      const expected = named(NUMBERS);
      expect(await h.rows('users', Object.keys(expected))).toEqual([expected]);
      await h.close();
    });

    it('keeps every digit of an integer sent as a number that a double cannot hold (a Snowflake id): in an integer column within its range, as text, or quarantined whole', async () => {
      const h = await Harness.create(dut);
      await h.calls([identify('u1', { score: 5, big: 1, ratio: 0.5 }, { messageId: 'i1' })]);
      await h.sync();
      // As sent: JSON.stringify of a JavaScript number would have lost the digits already.
      await h.calls([
        '{"type":"identify","messageId":"i2","userId":"u2","traits":{"snowflake_id":1234567890123456789012,"score":9007199254740993,"exact":9007199254740992,"big":99999999999999999999,"ratio":9007199254740993}}',
        // 2^60, which a double holds: an integer still, not a reason to make the column double.
        '{"type":"identify","messageId":"i3","userId":"u3","traits":{"score":1152921504606846976}}',
      ]);
      const record = await h.sync();
      expect(record).toMatchObject({ status: 'Partial', rejects: 2 });
      expect(record.notices.join('\n')).not.toMatch(/widened/);
      const [snowflake, score, exact, big, ratio] = [name('snowflake_id'), name('score'), name('exact'), name('big'), name('ratio')];
      expect(await h.columnTypes('identifies')).toMatchObject({ [snowflake!]: 'string', [score!]: 'bigint', [exact!]: 'bigint', [big!]: 'bigint' });
      // Past 2^53 a driver reads an integer back as its digits.
      expect(await h.rows('identifies', ['id', snowflake!, score!, exact!, big!], ['id'])).toEqual([
        { id: 'i1', [snowflake!]: null, [score!]: 5, [exact!]: null, [big!]: 1 },
        { id: 'i2', [snowflake!]: '1234567890123456789012', [score!]: '9007199254740993', [exact!]: '9007199254740992', [big!]: null },
        { id: 'i3', [snowflake!]: null, [score!]: '1152921504606846976', [exact!]: null, [big!]: null },
      ]);
      // Past the 64-bit range, an integer column cannot take it; a double column cannot hold
      // 2^53 + 1 (it would store 2^53): each waits in the quarantine, every digit kept.
      expect(await h.rows('_stowage_rejects', ['id', 'column_name', 'value'], ['column_name'])).toEqual(
        [{ id: 'i2', column_name: big, value: '99999999999999999999' }, { id: 'i2', column_name: ratio, value: '9007199254740993' }].sort((a, b) => String(a.column_name).localeCompare(String(b.column_name))),
      );
      expect(await h.rows('identifies', ['id', ratio!], ['id'])).toEqual([{ id: 'i1', [ratio!]: 0.5 }, { id: 'i2', [ratio!]: null }, { id: 'i3', [ratio!]: null }]);
      await h.close();
    });

    it('writes an integer past 2^53 that a double holds with its own digits, as an integer column holds it: in a text column, in the quarantine, inside the JSON it stores (an array kept whole, an entity context)', async () => {
      const columns = { account_id: { '@path': '$.properties.data_graph_entity_context.account_id' } };
      const h = await Harness.create(dut, { computations: { carts: { type: 'linked_audience' } }, activations: { a: { computation: 'carts', table: 'carts', columns } } });
      // 2^60 and 2^63: JSON.stringify and String write them as 1152921504606847000 and 9223372036854776000.
      await h.calls([identify('u0', { note: 'text', n: true }, { messageId: 'i0' })]);
      await h.sync();
      await h.calls(['{"type":"identify","messageId":"i1","userId":"u1","traits":{"ids":[1152921504606846976,9223372036854775808],"note":1152921504606846976,"n":9223372036854775808}}']);
      expect(await h.sync()).toMatchObject({ rejects: 1 });
      await h.run({ computation: 'carts', id: 'r1' }, [{ userId: 'u1', entityContext: { account_id: 2 ** 60, other: 2 ** 63 } }]);
      const [ids, note, n] = [name('ids')!, name('note')!, name('n')!];
      expect(await h.rows('identifies', ['id', ids, note], ['id'])).toEqual([
        { id: 'i0', [ids]: null, [note]: 'text' },
        { id: 'i1', [ids]: '[1152921504606846976,9223372036854775808]', [note]: '1152921504606846976' },
      ]);
      // No number goes into a boolean column: quarantined, with its digits.
      expect(await h.rows('_stowage_rejects', ['id', 'column_name', 'value'])).toEqual([{ id: 'i1', column_name: n, value: '9223372036854775808' }]);
      const [cart] = await h.rows('carts', ['account_id', 'entity_context'], [], 'wh', 'default');
      expect(cart).toEqual({ account_id: '1152921504606846976', entity_context: '{"account_id":1152921504606846976,"other":9223372036854775808}' });
      await h.close();
    });

    it("writes a journey's context and metadata with their own digits, whether mapping-kit evaluates the activation's mapping or not", async () => {
      // `t` is a mapping only mapping-kit evaluates: the preset's columns were then written from a parse, 2^60 as 1152921504606847000.
      const h = await Harness.create(dut, {
        computations: { step: { type: 'journey_step' } },
        activations: { plain: { computation: 'step', table: 'plain_steps' }, kit: { computation: 'step', table: 'kit_steps', columns: { t: { '@template': 'x' } } } },
      });
      await h.run({ computation: 'step', id: 'j1', kind: 'delta' }, [{ userId: 'u1', journeyContext: { n: 2 ** 60, m: [2 ** 70] }, journeyMetadata: 2 ** 60 }]);
      for (const table of ['plain_steps', 'kit_steps']) {
        expect(await h.rows(table, ['journey_context', 'journey_metadata'], [], 'wh', 'default'), table).toEqual([{ journey_context: '{"n":1152921504606846976,"m":[1180591620717411303424]}', journey_metadata: '1152921504606846976' }]);
      }
      await h.close();
    });

    it('writes an entity context, a journey context and metadata with their own digits when they waited in the queue, as when written at once', async () => {
      // `archive` is missing as the runs are applied: its activations' events are queued, then
      // written by a flush from the queue's text. `t` is a mapping only mapping-kit evaluates.
      const kit = { t: { '@template': 'x' } };
      const h = await Harness.create(dut, {
        computations: { carts: { type: 'linked_audience' }, step: { type: 'journey_step' } },
        activations: {
          now: { computation: 'carts', table: 'carts', columns: kit },
          later: { computation: 'carts', table: 'carts', schema: 'archive', columns: kit },
          steps_now: { computation: 'step', table: 'steps', columns: kit },
          steps_later: { computation: 'step', table: 'steps', schema: 'archive', columns: kit },
        },
      });
      const context = { n: 2 ** 60, m: [2 ** 70] };
      await h.run({ computation: 'carts', id: 'r1' }, [{ userId: 'u1', entityContext: context, entities: [{ id: 'c1', context: {} }] }]);
      await h.run({ computation: 'carts', id: 'r2' }, [{ userId: 'u1', entityContext: context, entities: [{ id: 'c1', context: {} }, { id: 'c2', context }] }]);
      await h.run({ computation: 'step', id: 'j1', kind: 'delta' }, [{ userId: 'u1', journeyContext: context, journeyMetadata: 2 ** 60 }]);
      await h.execute(`CREATE SCHEMA ${dut.destination.dialect.quote('archive')}`);
      const [flushed] = await h.stowage.flush('wh');
      expect(flushed!.record).toMatchObject({ status: 'Success', rows: { 'archive.carts': 2, 'archive.steps': 1 } });
      const text = '{"n":1152921504606846976,"m":[1180591620717411303424]}';
      for (const schema of ['default', 'archive']) {
        expect(await h.rows('carts', ['personas_computation_run_id', 'entity_context'], ['personas_computation_run_id'], 'wh', schema), schema).toEqual([
          { personas_computation_run_id: 'r1', entity_context: text },
          { personas_computation_run_id: 'r2', entity_context: text },
        ]);
        expect(await h.rows('steps', ['journey_context', 'journey_metadata'], [], 'wh', schema), schema).toEqual([{ journey_context: text, journey_metadata: '1152921504606846976' }]);
      }
      await h.close();
    });

    it(
      capabilities.textHoldsNul
        ? 'stores a U+0000 character in text whole (capability textHoldsNul)'
        : 'quarantines a text value holding U+0000 with the reason, keeping the rest of the call (no capability textHoldsNul)',
      async () => {
        const columns = { note: { '@path': '$.properties.data_graph_entity_context.note' } };
        const h = await Harness.create(dut, { computations: { carts: { type: 'linked_audience' } }, activations: { a: { computation: 'carts', table: 'carts', columns } } });
        const [note, kept] = [name('note'), name('kept')];
        await h.calls([identify('u1', { note: 'a\u0000b', kept: 'yes' }, { messageId: 'nul-1' })]);
        const record = await h.sync();
        const run = await h.run({ computation: 'carts', id: 'r1' }, [{ userId: 'u1', entityContext: { note: 'c\u0000d' } }]);
        // The entity context is JSON: its U+0000 is the escape `\u0000`, which every warehouse holds.
        const context = JSON.stringify({ note: 'c\u0000d' });
        if (capabilities.textHoldsNul) {
          expect(record).toMatchObject({ status: 'Success', rejects: 0 });
          expect(await h.rows('users', ['id', note, kept])).toEqual([{ id: 'u1', [note]: 'a\u0000b', [kept]: 'yes' }]);
          expect(await h.rows('carts', ['user_id', note, 'entity_context'], ['user_id'], 'wh', 'default')).toEqual([{ user_id: 'u1', [note]: 'c\u0000d', entity_context: context }]);
        } else {
          expect(record).toMatchObject({ status: 'Partial', rejects: 1 });
          expect(run.writes[0]).toMatchObject({ status: 'Partial', rejects: 1 });
          // The quarantined value was the column's only one: no column is made for it, as for a null.
          expect(await h.rows('users', ['id', kept])).toEqual([{ id: 'u1', [kept]: 'yes' }]);
          expect(await h.columns('users')).not.toContain(note);
          expect(await h.rows('carts', ['user_id', 'entity_context'], ['user_id'], 'wh', 'default')).toEqual([{ user_id: 'u1', entity_context: context }]);
          expect(await h.columns('carts', 'wh', 'default')).not.toContain(note);
          const [reject] = await h.rows('_stowage_rejects', ['id', 'column_name', 'value', 'reason']);
          expect(reject).toMatchObject({ id: 'nul-1', column_name: note, value: 'a\\u0000b', reason: expect.stringContaining('U+0000') });
          expect(await h.rows('_stowage_rejects', ['column_name', 'value'], [], 'wh', 'default')).toEqual([{ column_name: note, value: 'c\\u0000d' }]);
        }
        await h.close();
      },
    );

    it(`keeps an object nested deeper than ${MAX_FLATTEN_DEPTH} levels whole, as JSON, in the column of its first ${MAX_FLATTEN_DEPTH} levels`, async () => {
      const h = await Harness.create(dut);
      let deep: Record<string, unknown> = { leaf: 1 };
      for (let i = 0; i < 200; i++) deep = { a: deep };
      let rest = deep;
      for (let i = 0; i < MAX_FLATTEN_DEPTH; i++) rest = rest.a as Record<string, unknown>;
      await h.calls([identify('u1', deep, { messageId: 'deep-1' })]);
      expect((await h.sync()).status).toBe('Success');
      const column = name(Array.from({ length: MAX_FLATTEN_DEPTH }, () => 'a').join('_'));
      expect(await h.rows('identifies', ['id', column])).toEqual([{ id: 'deep-1', [column]: JSON.stringify(rest) }]);
      await h.close();
    });

    it('quarantines text holding half of a character, which UTF-8 would store as U+FFFD, on both paths', async () => {
      const columns = { note: { '@path': '$.properties.data_graph_entity_context.note' } };
      const h = await Harness.create(dut, { computations: { carts: { type: 'linked_audience' } }, activations: { a: { computation: 'carts', table: 'carts', columns } } });
      await h.calls([identify('u1', { note: 'a\uD800b', whole: 'ok 😀' }, { messageId: 'i1' })]);
      expect(await h.sync()).toMatchObject({ status: 'Partial', rejects: 1 });
      const note = name('note');
      // The quarantined value was the column's only one: no column is made for it, as for a null.
      expect(await h.rows('identifies', ['id', 'whole'])).toEqual([{ id: 'i1', whole: 'ok 😀' }]);
      expect(await h.columns('identifies')).not.toContain(note);
      await h.run({ computation: 'carts', id: 'r1' }, [{ userId: 'u1', entityContext: { note: 'x\uDFFF' } }]);
      // The context keeps it, escaped, as JSON text does; the mapped column does not.
      expect(await h.rows('carts', ['user_id', 'entity_context'], ['user_id'], 'wh', 'default')).toEqual([{ user_id: 'u1', entity_context: '{"note":"x\\udfff"}' }]);
      expect(await h.columns('carts', 'wh', 'default')).not.toContain(note);
      // A later value the column can hold makes it.
      await h.calls([identify('u2', { note: 'fine' }, { messageId: 'i2' })]);
      expect(await h.sync()).toMatchObject({ status: 'Success' });
      expect(await h.rows('identifies', ['id', note])).toEqual([{ id: 'i1', [note]: null }, { id: 'i2', [note]: 'fine' }]);
      expect(await h.rows('_stowage_rejects', ['table_name', 'column_name', 'value', 'reason'], ['table_name'], 'wh', 'default')).toEqual([
        { table_name: 'carts', column_name: note, value: 'x\\udfff', reason: expect.stringContaining('half of a character') },
      ]);
      expect(await h.rows('_stowage_rejects', ['id', 'column_name', 'value'])).toEqual([{ id: 'i1', column_name: note, value: 'a\\ud800b' }]);
      await h.close();
    });

    it('dedupes and stores message ids made of quotes, backslashes and control characters', async () => {
      const h = await Harness.create(dut);
      const id = `'; DROP TABLE identifies; --"\\\n\t🎉`;
      await h.calls([identify('u1', { a: 1 }, { messageId: id }), identify('u1', { a: 1 }, { messageId: id })]);
      await h.sync();
      await h.calls([identify('u1', { a: 1 }, { messageId: id })]);
      await h.sync();
      expect(await h.rows('identifies', ['id', 'user_id'])).toEqual([{ id, user_id: 'u1' }]);
      await h.close();
    });

    it('dedupes and stores a message id and a user id of 20,000 random characters (or what a bounded text column holds), past what a btree index entry holds', async () => {
      const h = await Harness.create(dut);
      // Random, so that no compression brings them under PostgreSQL's ~2,700-byte btree entry:
      // where the key index is a btree, such an id fails its batch on every retry.
      // Within what the warehouse's text holds (a longer id is refused whole: below).
      const bytes = Math.min(10_000, Math.floor(dut.destination.capabilities.maxStringBytes / 2));
      const id = randomBytes(bytes).toString('hex');
      const user = randomBytes(bytes).toString('hex');
      await h.calls([identify(user, { a: 1 }, { messageId: id }), track(user, 'Order Completed', { total: 1 }, { messageId: id })]);
      expect((await h.sync()).status).toBe('Success');
      await h.calls([identify(user, { a: 2 }, { messageId: id })]);
      expect((await h.sync()).status).toBe('Success');
      expect(await h.rows('identifies', ['id', 'user_id', 'a'])).toEqual([{ id, user_id: user, a: 1 }]);
      expect(await h.rows('order_completed', ['id', 'total'])).toEqual([{ id, total: 1 }]);
      expect(await h.rows('users', ['id', 'a'])).toEqual([{ id: user, a: 1 }]);
      await h.close();
    });

    const bounded = textBounded(dut);
    it.skipIf(!bounded)(`sets a call apart whole when its message id is longer than a text column holds, and loads the others${bounded ? '' : ' (not here: text is unbounded, or holds more than a test can build)'}`, async () => {
      const h = await Harness.create(dut);
      // Mostly one-byte characters: a test server's VARCHAR may count characters, not bytes.
      const id = `m${'x'.repeat(dut.destination.capabilities.maxStringBytes + 5_000)}`;
      await h.calls([identify('u1', { a: 1 }, { messageId: 'ok1' }), identify('u2', { a: 2 }, { messageId: id }), identify('u3', { a: 3 }, { messageId: 'ok3' })]);
      const sync = await h.sync();
      expect(sync).toMatchObject({ status: 'Partial', calls: 3 });
      expect(await h.rows('identifies', ['id', 'user_id'])).toEqual([
        { id: 'ok1', user_id: 'u1' },
        { id: 'ok3', user_id: 'u3' },
      ]);
      const refused = await h.stowage.refusedCalls('wh', 'default');
      expect(refused.map((c) => JSON.parse(c).messageId)).toEqual([id]);
      // Last of its batch: the ledger keeps the batch's last id (a hash of one this long), and commits.
      await h.calls([identify('u4', { a: 4 }, { messageId: 'ok4' }), identify('u5', { a: 5 }, { messageId: `${id}5` })]);
      expect(await h.sync()).toMatchObject({ status: 'Partial', calls: 2 });
      expect(await h.rows('identifies', ['id'])).toEqual([{ id: 'ok1' }, { id: 'ok3' }, { id: 'ok4' }]);
      await h.calls([identify('u6', { a: 6 }, { messageId: 'ok6' })]);
      expect(await h.sync()).toMatchObject({ status: 'Success', calls: 1 });
      await h.close();
    });

    // A warehouse without a JSON type (JSON kept as text) has no JSON column to test.
    const { dialect } = dut.destination;
    const noJson = dut.engineLacks?.jsonColumns ?? (dialect.logicalType(dialect.physicalType('json')) !== 'json' ? 'the warehouse has no JSON type: JSON is stored as text' : undefined);
    it.skipIf(noJson)(`stores text that is not JSON as a JSON string when a mapping puts it in a JSON column of an existing table${noJson ? ` (not here: ${noJson})` : ''}`, async () => {
      const { dialect } = dut.destination;
      const q = (name: string) => dialect.quote(name);
      const h = await Harness.create(dut, {
        computations: { carts: { type: 'linked_audience' } },
        activations: { a: { computation: 'carts', schema: 'analytics', table: 'notes', columns: { note: { '@path': '$.properties.data_graph_entity_context.note' } } } },
      });
      await h.execute(`CREATE SCHEMA ${q('analytics')}`);
      await h.execute(`CREATE TABLE ${q('analytics')}.${q('notes')} (${q('id')} ${dialect.physicalType('string')}, ${q('note')} ${dialect.physicalType('json')})`);
      const long = JSON.stringify({ items: Array.from({ length: 300 }, (_, i) => ({ sku: `sku-${i}`, note: 'é€😀 "quoted" \\ back' })) });
      const result = await h.run({ computation: 'carts', id: 'r1' }, [
        { userId: 'u1', entityContext: { note: 'plain words' } },
        { userId: 'u2', entityContext: { note: '{"a":1}' } },
        { userId: 'u3', entityContext: { note: '{\n  "b": [1,\r\n 2]\n}' } },
        // A long document, whole: no 1,000- or 4,096-character cut anywhere on its way.
        { userId: 'u4', entityContext: { note: long } },
      ]);
      expect(result.writes[0]).toMatchObject({ status: 'Success', rows: { 'analytics.notes': 4 } });
      const rows = await h.rows('notes', ['user_id', 'note'], ['user_id'], 'wh', 'analytics');
      expect(rows.map((r) => [r.user_id, JSON.parse(String(r.note))])).toEqual([['u1', 'plain words'], ['u2', { a: 1 }], ['u3', { b: [1, 2] }], ['u4', JSON.parse(long)]]);
      await h.close();
    });
    it.skipIf(noJson)(`quarantines an entity context that escapes half of a character, bound for a JSON column, and writes its event${noJson ? ` (not here: ${noJson})` : ''}`, async () => {
      const { dialect } = dut.destination;
      const q = (name: string) => dialect.quote(name);
      const h = await Harness.create(dut, { computations: { carts: { type: 'linked_audience' } }, activations: { a: { computation: 'carts', schema: 'archive', table: 'carts' } } });
      await h.execute(`CREATE SCHEMA ${q('archive')}`);
      await h.execute(`CREATE TABLE ${q('archive')}.${q('carts')} (${q('id')} ${dialect.physicalType('string')}, ${q('received_at')} ${dialect.physicalType('timestamp')}, ${q('user_id')} ${dialect.physicalType('string')}, ${q('entity_context')} ${dialect.physicalType('json')})`);
      const result = await h.run({ computation: 'carts', id: 'r1' }, [
        { userId: 'u1', entityContext: { total: 1 } },
        { userId: 'u2', entityContext: { total: 2, s: 'half \ud800' } },
      ]);
      // Written, its context quarantined: not refused by the warehouse at every try, queued for good.
      expect(result.writes[0]).toMatchObject({ status: 'Partial', rows: { 'archive.carts': 2 } });
      const rows = await h.rows('carts', ['user_id', 'entity_context'], ['user_id'], 'wh', 'archive');
      expect(rows.map((r) => [r.user_id, r.entity_context === null ? null : JSON.parse(String(r.entity_context))])).toEqual([['u1', { total: 1 }], ['u2', null]]);
      const rejects = await h.rows('_stowage_rejects', ['column_name', 'value', 'reason'], ['column_name'], 'wh', 'archive');
      expect(rejects).toEqual([{ column_name: 'entity_context', value: '{"total":2,"s":"half \\ud800"}', reason: expect.stringContaining('lone UTF-16 surrogate') }]);
      await h.close();
    });
  });
}
