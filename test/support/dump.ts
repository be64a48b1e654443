import { join } from 'node:path';
import { DuckDBDriver } from '@stowage/destination-duckdb/driver';

/**
 * Every table of a schema as comparable text: all rows, all columns but those that
 * record when or by which sync a row was loaded (uuid_ts, the ledger, a reject's sync id), and of
 * `_stowage_states` only how many claims it holds.
 */
export async function dumpSchema(dir: string, schema: string): Promise<Record<string, string[]>> {
  const driver = await DuckDBDriver.open({ path: join(dir, 'warehouse.duckdb') });
  try {
    const tables = await driver.query<{ table_name: string }>(
      'SELECT table_name FROM information_schema.tables WHERE table_schema = $1 AND table_name <> $2 ORDER BY table_name',
      [schema, '_stowage_loads'],
    );
    const out: Record<string, string[]> = {};
    for (const { table_name } of tables) {
      const columns = new Set((await driver.columns(schema, table_name))?.map((c) => c.name));
      if (table_name === '_stowage_states') {
        // Which state took the schema, and when, differs between installs: only the claims' number is compared.
        const [{ n }] = await driver.query<{ n: number }>(`SELECT count(*) AS n FROM "${schema}"."${table_name}"`);
        out[table_name] = Array.from({ length: n }, () => 'claim');
        continue;
      }
      const excluded = (table_name === '_stowage_rejects' ? ['sync_id', 'rejected_at'] : ['uuid_ts']).filter((c) => columns.has(c));
      const rows = await driver.query(`SELECT * ${excluded.length ? `EXCLUDE (${excluded.join(', ')})` : ''} FROM "${schema}"."${table_name}"`);
      out[table_name] = rows.map((r) => JSON.stringify(r)).sort();
    }
    return out;
  } finally {
    await driver.close();
  }
}
