import { randomUUID } from 'node:crypto';
import type { Dialect } from '../contract/dialect.js';
import type { Driver } from '../contract/driver.js';
import { INTERNAL_PREFIX } from './internal-tables.js';
import type { Statements } from './sql.js';
import { hexHash } from '../loaded-keys/key-hash.js';

/** Hashes read back per statement, at most: a pass's hashes are held in memory at once. */
const HASHES_PER_PASS = 2_000_000;

/** Tables a SELECT of the union reads at once (a schema may have thousands of event tables). */
const TABLES_PER_STATEMENT = 100;

const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';

/**
 * The SQL of `keyHash`: the first 16 hex digits of the MD5 of the key, trailing blanks cut (U+0020
 * only: DuckDB's one-argument RTRIM cuts every Unicode space) and ASCII letters lower-cased (`translate`, not `lower`, which every warehouse and JavaScript
 * would not lower alike beyond ASCII). MD5, RTRIM, TRANSLATE and SUBSTR are in every warehouse's SQL.
 */
function hashSql(dialect: Dialect, column: string): string {
  return `substr(md5(translate(rtrim(${dialect.quote(column)}, ' '), ${dialect.literal(UPPER)}, ${dialect.literal(UPPER.toLowerCase())})), 1, 16)`;
}

/**
 * The hashes of every key the tables hold, computed by the warehouse, a pass at a time (each in
 * no particular order) in ascending ranges of their leading hex digits. The hashes are kept once
 * in a temporary table, sorted (so that a pass reads only its range); each pass brings up to two
 * million back, as one concatenated text where the warehouse can make one (millions of rows cost
 * the client ten times more to read than the same hashes in one value). Tested across passes by
 * the benchmark's rebuild (`--history`: 20,000,000 ids, 16 passes).
 */
export async function* keyHashes(driver: Driver, dialect: Dialect, sql: Statements, schema: string, tables: readonly string[], column: string): AsyncGenerator<BigUint64Array> {
  // No table yet (a warehouse never synced): no key, and no statement to make the hashes with.
  if (tables.length === 0) return;
  const q = (name: string) => dialect.quote(name);
  // Temporary tables are named unqualified (Redshift takes no schema for one), so a name of this
  // call's own: a DROP of one that was never made then finds no table of the user's by that name
  // on the search path.
  const own = randomUUID().slice(0, 8);
  const temp = q(`${INTERNAL_PREFIX}key_hashes_${own}`);
  const h = q('h');
  try {
    const selects: string[] = [];
    for (let i = 0; i < tables.length; i += TABLES_PER_STATEMENT) {
      selects.push(
        tables
          .slice(i, i + TABLES_PER_STATEMENT)
          .map((table) => `SELECT ${hashSql(dialect, column)} AS ${h} FROM ${sql.table(schema, table)} WHERE ${q(column)} IS NOT NULL`)
          .join(' UNION ALL '),
      );
    }
    // Made, then sorted into another (so that each range below is a few blocks of it, not a pass
    // over all): one statement that does both runs out of DuckDB's memory where two do not.
    const unsorted = q(`${INTERNAL_PREFIX}key_hashes_unsorted_${own}`);
    try {
      for (const [i, select] of selects.entries()) await driver.execute(i === 0 ? `CREATE TEMP TABLE ${unsorted} AS ${select}` : `INSERT INTO ${unsorted} ${select}`);
      await driver.execute(`CREATE TEMP TABLE ${temp} AS SELECT ${h} FROM ${unsorted} ORDER BY ${h}`);
    } finally {
      await driver.execute(`DROP TABLE IF EXISTS ${unsorted}`).catch(() => undefined);
    }
    const [row] = await driver.query<{ n: number | string }>(`SELECT count(*) AS ${q('n')} FROM ${temp}`);
    const count = Number(row?.n ?? 0);
    let digits = 0;
    while (count / 16 ** digits > HASHES_PER_PASS) digits++;
    const hex = (n: number) => n.toString(16).padStart(digits, '0');
    for (let prefix = 0; prefix < 16 ** digits; prefix++) {
      const from = digits === 0 ? '' : ` WHERE ${h} >= ${dialect.literal(hex(prefix))}`;
      const range = prefix + 1 < 16 ** digits ? `${from} AND ${h} < ${dialect.literal(hex(prefix + 1))}` : from;
      if (dialect.concatenated) {
        const [all] = await driver.query<{ hs: string | null }>(`SELECT ${dialect.concatenated(h)} AS ${q('hs')} FROM ${temp}${range}`);
        const text = all?.hs ?? '';
        const hashes = new BigUint64Array(text.length / 16);
        for (let i = 0; i < hashes.length; i++) hashes[i] = hexHash(text, i * 16);
        yield hashes;
      } else {
        const rows = await driver.query<{ h: string }>(`SELECT ${h} FROM ${temp}${range}`);
        const hashes = new BigUint64Array(rows.length);
        for (let i = 0; i < rows.length; i++) hashes[i] = hexHash(rows[i]!.h);
        yield hashes;
      }
    }
  } finally {
    await driver.execute(`DROP TABLE IF EXISTS ${temp}`).catch(() => undefined);
  }
}
