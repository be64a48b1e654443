import { describe, expect, it } from 'vitest';
import { Harness } from '@stowage/testkit';
import { postgresForHarness } from './support/dut.js';

const { server, dut } = await postgresForHarness();

describe(`PostgreSQL: an activation's existing schema made in another case (${server.label})`, () => {
  // `"schema": "Archive"`, and the user runs `CREATE SCHEMA Archive`, which PostgreSQL folds to
  // `archive`: the schema was told missing at every flush, with nothing to say why.
  it('names the schema the warehouse has in another case, and how to make the one the activation names', async () => {
    const h = await Harness.create(dut, { computations: { vip: { type: 'audience' } }, activations: { a: { computation: 'vip', table: 't', schema: 'Archive' } } });
    try {
      await h.execute('CREATE SCHEMA Archive');
      const result = await h.run({ computation: 'vip', id: 'r1' }, [{ userId: 'u1' }]);
      expect(result.writes[0]!.notices.join('\n')).toContain(
        'activation "a": the schema "Archive" does not exist (the warehouse has "archive", which it tells apart from "Archive": an unquoted name is folded to lower case; rename it, `ALTER SCHEMA "archive" RENAME TO "Archive"`, or create "Archive" quoted)',
      );
      // The way it names writes the events queued for "Archive".
      await h.execute('ALTER SCHEMA "archive" RENAME TO "Archive"');
      const [flush] = await h.stowage.flush('wh');
      expect(flush!.record).toMatchObject({ status: 'Success', rows: { 'Archive.t': 1 } });
    } finally {
      await h.close();
    }
  });
});
