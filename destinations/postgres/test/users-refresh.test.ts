import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { Harness, identify, removeHarnessDirs, testPostgres } from '@stowage/testkit';
import { watchedPostgres } from './support/watched-driver.js';
import { postgresUnderTest } from './support/dut.js';

const server = await testPostgres();
afterEach(() => server.afterEach());
afterAll(async () => {
  await server.close();
  removeHarnessDirs();
});

/** PostgreSQL, with each session's statements recorded. */
const recordedPostgres = (statements: string[]) => watchedPostgres(server, new Set(['execute']), (_, [sql]) => statements.push(String(sql)));

const at = (minute: number) => `2026-11-23T10:${String(minute).padStart(2, '0')}:00.000Z`;

describe(`PostgreSQL: the users refresh (${server.label})`, () => {
  it('computes the latest values into a temporary table, which PostgreSQL may fill with parallel workers, and never reads a table of the user named like it', async () => {
    const statements: string[] = [];
    const h = await Harness.create(recordedPostgres(statements));
    // A table of the user's, in the schema the search path names first, with the temporary table's name.
    await h.execute('CREATE TABLE public."_stowage_latest_rows" (c0 text)');
    await h.execute(`INSERT INTO public."_stowage_latest_rows" VALUES ('the user''s')`);
    await h.calls([
      identify('u1', { plan: 'pro', seats: 3 }, { messageId: 'a1', timestamp: at(5) }),
      identify('u1', { plan: 'free' }, { messageId: 'a2', timestamp: at(1) }),
      identify('u2', { plan: 'duo' }, { messageId: 'a3', timestamp: at(2) }),
    ]);
    expect(await h.sync()).toMatchObject({ status: 'Success', rows: { users: 2 } });
    expect(await h.rows('users', ['id', 'plan', 'seats'], ['id'])).toEqual([
      { id: 'u1', plan: 'pro', seats: 3 },
      { id: 'u2', plan: 'duo', seats: null },
    ]);
    const made = statements.filter((s) => s.startsWith('CREATE TEMPORARY TABLE "_stowage_latest_rows" ON COMMIT DROP AS SELECT'));
    expect(made).toHaveLength(1);
    expect(statements.some((s) => s.startsWith('INSERT INTO "engage_default"."users"') && s.endsWith('SELECT * FROM pg_temp."_stowage_latest_rows"'))).toBe(true);
    expect(await h.rows('_stowage_latest_rows', ['c0'], ['c0'], 'wh', 'public')).toEqual([{ c0: "the user's" }]);
    // A later sync makes it again, in its own transaction (it was dropped at the commit).
    await h.calls([identify('u2', { seats: 5 }, { messageId: 'a4', timestamp: at(9) })]);
    expect(await h.sync()).toMatchObject({ status: 'Success' });
    expect(await h.rows('users', ['id', 'plan', 'seats'], ['id'])).toEqual([
      { id: 'u1', plan: 'pro', seats: 3 },
      { id: 'u2', plan: 'duo', seats: 5 },
    ]);
    await h.close();
  });

  it("leaves the columns the server computes to it when the owner adds them to users: a generated column, an identity column, beside one of values it keeps", async () => {
    const h = await Harness.create(postgresUnderTest(server));
    await h.calls([identify('u1', { plan: 'pro' }, { messageId: 'a1', timestamp: at(1) }), identify('u2', { plan: 'duo' }, { messageId: 'a2', timestamp: at(2) })]);
    expect(await h.sync()).toMatchObject({ status: 'Success' });
    await h.execute('ALTER TABLE engage_default.users ADD COLUMN plan_upper text GENERATED ALWAYS AS (upper(plan)) STORED');
    await h.execute('ALTER TABLE engage_default.users ADD COLUMN row_no bigint GENERATED ALWAYS AS IDENTITY');
    await h.execute("ALTER TABLE engage_default.users ADD COLUMN crm text");
    await h.execute("UPDATE engage_default.users SET crm = 'crm-' || id");
    // Setting the generated or the identity column failed this sync, and every one after it.
    await h.calls([identify('u1', { plan: 'team' }, { messageId: 'a3', timestamp: at(3) })]);
    expect(await h.sync()).toMatchObject({ status: 'Success', rows: { users: 0 } });
    const rows = await h.rows('users', ['id', 'plan', 'plan_upper', 'crm', 'row_no'], ['id']);
    expect(rows.map(({ row_no: _, ...r }) => r)).toEqual([
      { id: 'u1', plan: 'team', plan_upper: 'TEAM', crm: 'crm-u1' },
      { id: 'u2', plan: 'duo', plan_upper: 'DUO', crm: 'crm-u2' },
    ]);
    // The recomputed row takes the identity's next value; the other keeps its own.
    expect(rows.every((r) => r.row_no !== null)).toBe(true);
    await h.close();
  });

  it('breaks a tie of timestamps by message id compared by code point, whatever the collation of the database or the column', async (context) => {
    const h = await Harness.create(postgresUnderTest(server));
    await h.calls([identify('u0', { plan: 'trial' }, { messageId: 'first', timestamp: at(0) })]);
    expect(await h.sync()).toMatchObject({ status: 'Success' });
    // A language's collation puts `alpha` before `Zeta`; by code point `Z` comes first. ICU's root
    // (PGlite has it too), else a libc one: a server built with neither cannot show the difference.
    const collations = new Set((await h.rows('pg_collation', ['collname'], [], 'wh', 'pg_catalog')).map((r) => String(r.collname)));
    const language = ['und-x-icu', 'en_US.utf8', 'en_US.UTF-8', 'en_US'].find((name) => collations.has(name));
    if (!language) {
      await h.close();
      return context.skip('the server has no collation of a language (ICU, or a libc locale) to order ids by');
    }
    await h.execute(`ALTER TABLE engage_default.identifies ALTER COLUMN id TYPE text COLLATE "${language}"`);
    await h.calls([
      identify('u1', { plan: 'zeta' }, { messageId: 'Zeta', timestamp: at(5) }),
      identify('u1', { plan: 'alpha' }, { messageId: 'alpha', timestamp: at(5) }),
    ]);
    expect(await h.sync()).toMatchObject({ status: 'Success' });
    // As DuckDB and the Redshift dialect have it: the larger id by code point is the newer.
    expect(await h.rows('users', ['id', 'plan'], ['id'])).toEqual([
      { id: 'u0', plan: 'trial' },
      { id: 'u1', plan: 'alpha' },
    ]);
    await h.close();
  });
});
