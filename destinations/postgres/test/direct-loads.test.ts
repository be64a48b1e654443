import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { TableWriter, type WriteBatch } from '@stowage/core';
import { removeHarnessDirs, testPostgres } from '@stowage/testkit';
import { capabilities, connectPostgres, dialect } from '../src/index.js';
import type { PgDriver } from '../src/connect.js';

const server = await testPostgres();
afterEach(() => server.afterEach());
afterAll(async () => {
  await server.close();
  removeHarnessDirs();
});

/** A session on a fresh database, closed after `fn`. */
async function withDriver(fn: (driver: PgDriver) => Promise<void>): Promise<void> {
  const url = await server.freshDatabase();
  const driver = await connectPostgres({ url, ...(server.copy ? {} : { bulkLoad: 'insert' }) });
  try {
    await fn(driver);
  } finally {
    await driver.close();
  }
}

/** One batch of rows for `<schema>.t`, keyed by `id`. */
const batch = (schema: string, rows: Array<Record<string, unknown>>): WriteBatch => ({
  schema,
  tables: [{ table: 't', rows, fixedTypes: new Map([['id', 'string']]), key: 'id' }],
  latest: [],
});
const ids = (keys: string[]) => batch('d', keys.map((id) => ({ id, v: `v-${id}` })));

describe(`PostgreSQL direct loads (${server.label})`, () => {
  it('loads a batch of new keys straight into its table, and stages a batch that holds a loaded key', async () => {
    await withDriver(async (driver) => {
      const writer = new TableWriter(driver, dialect, capabilities);
      const stage = vi.spyOn(driver, 'stage');
      const loadInto = vi.spyOn(driver, 'loadInto');
      expect((await writer.write(ids(['a', 'b']))).rows).toEqual({ t: 2 });
      expect(loadInto).toHaveBeenCalledTimes(1);
      expect(stage).not.toHaveBeenCalled();
      // `a` is loaded already: the stage's insert of new keys decides, row by row.
      const second = await writer.write(ids(['c', 'a']));
      expect(second.rows).toEqual({ t: 1 });
      expect(second.duplicates).toBe(1);
      expect(stage).toHaveBeenCalledTimes(1);
      expect(loadInto).toHaveBeenCalledTimes(1);
      expect(await driver.query('SELECT "id", "v" FROM "d"."t" ORDER BY "id"')).toEqual([
        { id: 'a', v: 'v-a' },
        { id: 'b', v: 'v-b' },
        { id: 'c', v: 'v-c' },
      ]);
    });
  });

  it("gives a row the same values whether it went straight in or through a stage, whatever the types of the table's columns", async () => {
    await withDriver(async (driver) => {
      // A table of the user's: `numeric` keeps every digit COPY gives it, where a stage of
      // Stowage's double precision would round to 15 significant digits on the way.
      await driver.execute('CREATE SCHEMA "u"');
      await driver.execute('CREATE TABLE "u"."t" ("id" text, "amount" numeric)');
      await driver.execute('CREATE INDEX ON "u"."t" USING hash ("id")');
      const writer = new TableWriter(driver, dialect, capabilities);
      const rows = (keys: string[]) => batch('u', keys.map((id) => ({ id, amount: 0.1 + 0.2 })));
      const stage = vi.spyOn(driver, 'stage');
      await writer.write(rows(['a']));
      await writer.write(rows(['b', 'a']));
      expect(stage).toHaveBeenCalledTimes(1);
      expect(await driver.query('SELECT "id", "amount"::text AS "amount" FROM "u"."t" ORDER BY "id"')).toEqual([
        { id: 'a', amount: '0.30000000000000004' },
        { id: 'b', amount: '0.30000000000000004' },
      ]);
    });
  });

  it('finds any key, whatever its characters, and only the key itself', async () => {
    await withDriver(async (driver) => {
      // What an array literal must escape, the word NULL, the empty string, and text beyond ASCII.
      const keys = ['a"b', 'c,d', '{e}', 'f\\g', "h'i", 'NULL', '', ' j ', 'ü😀'];
      await driver.execute('CREATE SCHEMA "k"');
      await driver.execute('CREATE TABLE "k"."t" ("id" text)');
      for (const key of keys) await driver.execute('INSERT INTO "k"."t" VALUES ($1)', [key]);
      await driver.execute('INSERT INTO "k"."t" VALUES (NULL)');
      // Both looks: a pass over a table without a key index, then probes of the index.
      for (const indexed of [false, true]) {
        if (indexed) await driver.execute('CREATE INDEX ON "k"."t" USING hash ("id")');
        for (const key of keys) expect(await driver.holdsAnyKey!('k', 't', 'id', ['absent', key]), `${JSON.stringify(key)}, indexed: ${indexed}`).toBe(true);
        expect(await driver.holdsAnyKey!('k', 't', 'id', ['absent', 'a', 'b', 'null', 'j', 'ü'])).toBe(false);
        expect(await driver.holdsAnyKey!('k', 't', 'id', [])).toBe(false);
        // Many keys, one found at the end.
        expect(await driver.holdsAnyKey!('k', 't', 'id', [...Array.from({ length: 20_000 }, (_, i) => `n${i}`), 'c,d'])).toBe(true);
      }
    });
  });
});
