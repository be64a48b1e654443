import { describe, expect, it } from 'vitest';
import { Harness } from '@stowage/testkit';
import { redshiftOnPostgresUnderTest } from './support/on-postgres-under-test.js';

const dut = await redshiftOnPostgresUnderTest();

describe('Redshift names in the catalog', () => {
  it('finds an existing schema an activation names with capitals where Redshift keeps it, in lower case', async () => {
    const h = await Harness.create(dut, {
      computations: { vip: { type: 'audience' } },
      activations: { there: { computation: 'vip', table: 't', schema: 'Analytics' } },
    });
    // Unquoted or quoted, Redshift folds the name: the schema is `analytics`.
    await h.execute('CREATE SCHEMA Analytics');
    const result = await h.run({ computation: 'vip', id: 'r1' }, [{ userId: 'u1' }]);
    expect(result.activations).toEqual([expect.objectContaining({ activation: 'there', written: 1, refused: 0, queued: 0 })]);
    expect(result.writes[0]!.status).toBe('Success');
    expect(await h.rows('t', ['user_id'], ['user_id'], 'wh', 'analytics')).toEqual([{ user_id: 'u1' }]);
    // The table is found again: the next run (u1 exits, u2 enters) adds to it.
    const next = await h.run({ computation: 'vip', id: 'r2' }, [{ userId: 'u2' }]);
    expect(next.writes[0]!.status).toBe('Success');
    expect(await h.rows('t', ['user_id'], ['user_id'], 'wh', 'analytics')).toHaveLength(3);
    await h.close();
  });
});
