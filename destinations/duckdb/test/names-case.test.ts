import { afterAll, describe, expect, it } from 'vitest';
import { Harness, identify, removeHarnessDirs } from '@stowage/testkit';
import { duckdbUnderTest } from './support/under-test.js';

afterAll(() => removeHarnessDirs());

/** Rows keyed as Stowage names the columns: DuckDB answers with the table's own spelling. */
const lowered = (rows: Array<Record<string, unknown>>) => rows.map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k.toLowerCase(), v])));

const dut = duckdbUnderTest();

// DuckDB compares names without regard to case, quoted or not: a user's "ID" is the id column
// Stowage writes, and "Archive" the schema archive.
describe("DuckDB: a user's schemas, tables and columns spelt in another case", () => {
  it('are the ones Stowage writes: a table of mixed-case columns is written into, and a schema named in another case is found', async () => {
    const computations = { carts: { type: 'linked_audience' } };
    const columns = { cart_id: { '@path': '$.properties.data_graph_entity_context.cart_id' } };
    const activations = { a: { computation: 'carts', table: 'carts', columns }, b: { computation: 'carts', table: 'kept', schema: 'Archive' } };
    const h = await Harness.create(dut, { computations, activations });
    await h.execute('CREATE SCHEMA "default"');
    await h.execute('CREATE TABLE "default"."Carts" ("ID" VARCHAR, "Cart_Id" VARCHAR, "NOTE" VARCHAR)');
    await h.execute('CREATE SCHEMA archive');
    const result = await h.run({ computation: 'carts', id: 'r1' }, [{ userId: 'u1', entityContext: { cart_id: 'c1' } }, { userId: 'u2', entityContext: { cart_id: 'c2' } }]);
    expect(result.writes[0]).toMatchObject({ status: 'Success' });
    expect(result.activations.map((o) => [o.activation, o.written])).toEqual([['a', 2], ['b', 2]]);
    expect(lowered(await h.rows('carts', ['user_id', 'cart_id', 'note'], ['user_id'], 'wh', 'default'))).toEqual([{ user_id: 'u1', cart_id: 'c1', note: null }, { user_id: 'u2', cart_id: 'c2', note: null }]);
    expect(await h.rows('kept', ['user_id'], ['user_id'], 'wh', 'archive')).toEqual([{ user_id: 'u1' }, { user_id: 'u2' }]);
    await h.close();
  });

  it('are the ones a Classic sync writes: an identifies table of mixed-case columns takes the calls', async () => {
    const h = await Harness.create(dut);
    await h.execute('CREATE SCHEMA engage_default');
    await h.execute('CREATE TABLE engage_default."Identifies" ("ID" VARCHAR, "User_ID" VARCHAR, "Plan" VARCHAR)');
    await h.calls([identify('u1', { plan: 'pro' }, { messageId: 'm1' })]);
    expect(await h.sync()).toMatchObject({ status: 'Success' });
    expect(lowered(await h.rows('identifies', ['id', 'user_id', 'plan']))).toEqual([{ id: 'm1', user_id: 'u1', plan: 'pro' }]);
    await h.close();
  });
});
