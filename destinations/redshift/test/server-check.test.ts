import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { testPostgres } from '@stowage/testkit';
import { redshift } from '../src/index.js';

const server = await testPostgres();
afterEach(() => server.afterEach());
afterAll(() => server.close());

describe(`a redshift warehouse given a PostgreSQL server (${server.label})`, () => {
  // PostgreSQL takes Redshift's SQL but cuts names at 63 bytes where Redshift's dialect keeps 127:
  // the first long trait name made a column that the next sync could not find, and every sync failed.
  it('is refused as the session opens, saying what the server is and which type to give it', async () => {
    const url = await server.freshDatabase();
    await expect(redshift.connect({ url, sslmode: 'disable' }, { root: '.' })).rejects.toThrow(/ is not Amazon Redshift \(it says: PostgreSQL [\d.]+.*\): for a PostgreSQL server, give the warehouse "type": "postgres"$/);
  });
});
