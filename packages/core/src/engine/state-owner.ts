import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { WarehouseConfig } from '../config/config.js';
import type { Dialect } from '../contract/dialect.js';
import type { Driver } from '../contract/driver.js';
import { madeOnce } from '../process/made-once.js';
import { Statements } from '../writer/sql.js';
import { latestClaim, OtherStateError, STATES_TABLE, type StateOwner } from '../writer/state-claims.js';

const STATE_ID = 'state-id';

/**
 * This state, as the schemas it writes record it (`state-claims.ts`): the id of its folder,
 * made the first time it writes anywhere (`<stateDir>/state-id`), and the folder itself, which
 * another state's refusal names. A folder moved keeps its id; one begun anew gets another.
 */
export function stateOwner(stateDir: string, warehouse: WarehouseConfig): StateOwner {
  mkdirSync(stateDir, { recursive: true });
  return { id: madeOnce(join(stateDir, STATE_ID), randomUUID), dir: stateDir, warehouse: warehouse.name };
}

/**
 * For `stowage check`: each of the schemas (those Stowage owns) that another state writes, said
 * as a write there would be refused. Reads only: a state that never wrote has no id yet, and
 * any claim is another's.
 */
export async function otherStates(driver: Driver, dialect: Dialect, stateDir: string, warehouse: string, schemas: readonly string[]): Promise<string[]> {
  const file = join(stateDir, STATE_ID);
  const id = existsSync(file) ? readFileSync(file, 'utf8').trim() : undefined;
  const sql = new Statements(dialect);
  const problems: string[] = [];
  for (const schema of schemas) {
    if (!(await driver.columns(schema, STATES_TABLE))) continue;
    const claim = await latestClaim(driver, dialect, sql, schema);
    if (claim && claim.id !== id) problems.push(new OtherStateError(schema, claim, { id: id ?? '', dir: stateDir, warehouse }).message);
  }
  return problems;
}
