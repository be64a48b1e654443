import { describe, expect, it } from 'vitest';
import { Harness } from '@stowage/testkit';
import { redshiftOnPostgresUnderTest } from './support/on-postgres-under-test.js';

const dut = await redshiftOnPostgresUnderTest();

describe("a CHAR column of a user's table (Redshift's CHAR holds single-byte characters only)", () => {
  it('quarantines a value with a character beyond ASCII, and writes the rest of its row', async () => {
    const h = await Harness.create(dut, {
      computations: { carts: { type: 'linked_audience' } },
      activations: { there: { computation: 'carts', table: 'carts', schema: 'analytics', columns: { code: { '@path': '$.properties.data_graph_entity_context.code' } } } },
    });
    await h.execute('CREATE SCHEMA analytics');
    await h.execute('CREATE TABLE analytics.carts (id VARCHAR(65535), received_at TIMESTAMPTZ, user_id VARCHAR(65535), code CHAR(4))');
    // `ÉÉ` takes the 4 bytes the column holds, and Redshift refuses it all the same
    // (`Multibyte character not supported for CHAR`): the write failed, on every try.
    const result = await h.run({ computation: 'carts', id: 'r1' }, [
      { userId: 'u1', entityContext: { code: 'AB12' } },
      { userId: 'u2', entityContext: { code: 'ÉÉ' } },
    ]);
    expect(result.activations).toEqual([expect.objectContaining({ activation: 'there', written: 2, refused: 0, queued: 0 })]);
    expect(await h.rows('carts', ['user_id', 'code'], ['user_id'], 'wh', 'analytics')).toEqual([
      { user_id: 'u1', code: 'AB12' },
      { user_id: 'u2', code: null },
    ]);
    expect(await h.rows('_stowage_rejects', ['column_name', 'value', 'reason'], ['column_name'], 'wh', 'analytics')).toEqual([
      { column_name: 'code', value: 'ÉÉ', reason: "the value holds a character beyond ASCII, which the column's type character(4) does not hold" },
    ]);
    await h.close();
  });
});
