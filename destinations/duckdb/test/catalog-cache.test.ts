import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { duckdb } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'stowage-catalog-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
async function twoSessions() {
  const settings = { path: join(dir, `wh${++n}.duckdb`) };
  const a = await duckdb.connect(settings as never, { root: dir });
  const b = await duckdb.connect(settings as never, { root: dir });
  await a.execute('CREATE SCHEMA s');
  await a.execute('CREATE TABLE s.t (id VARCHAR)');
  return { a, b, close: async () => (await a.close(), await b.close()) };
}

const names = (tables: Map<string, Array<{ name: string }>>) => Object.fromEntries([...tables].map(([t, cs]) => [t, cs.map((c) => c.name)]));

// The catalog is read whole once and kept by the sessions on the file (catalog-cache.ts): a change
// any of them makes, or one a transaction undoes, must be seen at the next look, never the old.
describe('the DuckDB catalog the sessions on a file keep', () => {
  it("gives each session another session's columns and tables once they are made, and a copy of its own to change", async () => {
    const { a, b, close } = await twoSessions();
    try {
      expect(names(await a.tables('s'))).toEqual({ t: ['id'] });
      expect(names(await b.tables('s'))).toEqual({ t: ['id'] });
      await b.execute('ALTER TABLE s.t ADD COLUMN v BIGINT');
      await b.execute('CREATE TABLE s.u (k VARCHAR)');
      expect(names(await a.tables('s'))).toEqual({ t: ['id', 'v'], u: ['k'] });
      expect(await a.columns('s', 'T')).toEqual([{ name: 'id', type: 'string' }, { name: 'v', type: 'bigint' }]);
      // What a caller does to what it was given is its own.
      (await a.tables('s')).get('t')!.push({ name: 'made_up', type: 'string' });
      expect(names(await b.tables('S'))).toEqual({ t: ['id', 'v'], u: ['k'] });
      await a.execute('DROP TABLE s.u');
      expect(names(await b.tables('s'))).toEqual({ t: ['id', 'v'] });
    } finally {
      await close();
    }
  });

  it("keeps a transaction's changes to itself until it commits, and forgets those it rolls back", async () => {
    const { a, b, close } = await twoSessions();
    try {
      expect(names(await b.tables('s'))).toEqual({ t: ['id'] });
      let inside: Record<string, string[]> = {};
      await a.transaction(async () => {
        await a.execute('ALTER TABLE s.t ADD COLUMN w VARCHAR');
        inside = names(await a.tables('s'));
        // Another session, meanwhile, reads what is committed.
        expect(names(await b.tables('s'))).toEqual({ t: ['id'] });
      });
      expect(inside).toEqual({ t: ['id', 'w'] });
      expect(names(await b.tables('s'))).toEqual({ t: ['id', 'w'] });
      await expect(
        a.transaction(async () => {
          await a.execute('ALTER TABLE s.t ADD COLUMN gone VARCHAR');
          throw new Error('the batch failed');
        }),
      ).rejects.toThrow('the batch failed');
      expect(names(await b.tables('s'))).toEqual({ t: ['id', 'w'] });
      expect(names(await a.tables('s'))).toEqual({ t: ['id', 'w'] });
    } finally {
      await close();
    }
  });

  it('gives the columns an index pins once the index is made, and none once it is dropped', async () => {
    const { a, b, close } = await twoSessions();
    try {
      expect(await a.pinnedColumns!('s')).toEqual(new Map());
      await b.execute('CREATE INDEX by_id ON s.t (id)');
      expect(await a.pinnedColumns!('s')).toEqual(new Map([['t', new Map([['id', 'the table has the index "by_id", which keeps the type of its every column']])]]));
      await b.execute('DROP INDEX s.by_id');
      expect(await a.pinnedColumns!('s')).toEqual(new Map());
    } finally {
      await close();
    }
  });
});
