import type { Column } from '../contract/logical-type.js';
import type { Dialect } from '../contract/dialect.js';
import type { Driver } from '../contract/driver.js';
import type { Statements } from './sql.js';

/**
 * Which Stowage state writes a schema: one row per state that took it, the latest the one that
 * writes it now. A schema Stowage owns (a space's Classic schema, a space's own schema for its
 * activations) is taken by the first state to write it; another state is then refused, saying
 * which state writes it and where that state's folder was.
 *
 * Why: a state begun anew (its folder moved without the configuration saying so, or lost) knows
 * none of the members its warehouse holds rows of. Its first run would send every one of them
 * again, as entering, and its Classic log would load as though the tables were new. The state
 * folder cannot tell that it is not the first; the warehouse can.
 */
export const STATES_TABLE = '_stowage_states';
export const STATES_COLUMNS: Column[] = [
  { name: 'state_id', type: 'string' },
  { name: 'state_dir', type: 'string' },
  { name: 'claimed_at', type: 'timestamp' },
];

/** The state a writer writes for: its id (`<stateDir>/state-id`), its folder, and the warehouse's name (for the advice). */
export interface StateOwner {
  id: string;
  dir: string;
  warehouse: string;
}

/** A state's claim on a schema, as `_stowage_states` holds it. */
export interface StateClaim {
  id: string;
  dir: string;
  at: string;
}

/** Another state writes the schema: nothing was written, and the message says what to do. */
export class OtherStateError extends Error {
  override name = 'OtherStateError';
  constructor(
    readonly schema: string,
    readonly claim: StateClaim | { log: string },
    owner: StateOwner,
  ) {
    super(otherStateMessage(schema, claim, owner));
  }
}

function otherStateMessage(schema: string, claim: StateClaim | { log: string }, owner: StateOwner): string {
  const by =
    'log' in claim
      ? `was loaded from another state's call log (${claim.log} in its ledger, and this state's log is new)`
      : `is written by another Stowage state, kept in ${claim.dir} (state ${claim.id}, since ${claim.at})`;
  return (
    `${schema} ${by}; this state is ${owner.dir}. A state begun anew would send every member of its computations again, as entering. ` +
    `If you moved the state folder, set stateDir in the configuration to where it is now. If that state is gone for good and this one is to write ${schema} from now on, ` +
    `run \`stowage claim ${owner.warehouse}\` first (the rows there stay as they are). Nothing was written to ${schema}`
  );
}

/** A claim's time as text, whichever way the driver hands a timestamp back. */
const timeText = (value: unknown) => (value instanceof Date ? value.toISOString() : String(value));

/** The latest claim on a schema that has `_stowage_states`; undefined when it holds none. */
export async function latestClaim(driver: Driver, dialect: Dialect, sql: Statements, schema: string): Promise<StateClaim | undefined> {
  const q = (name: string) => dialect.quote(name);
  const rows = await driver.query<{ state_id: string; state_dir: string; claimed_at: unknown }>(
    `SELECT ${q('state_id')}, ${q('state_dir')}, ${q('claimed_at')} FROM ${sql.table(schema, STATES_TABLE)} ORDER BY ${q('claimed_at')} DESC LIMIT 1`,
  );
  const [row] = rows;
  return row && { id: row.state_id, dir: row.state_dir, at: timeText(row.claimed_at) };
}

/** Records that `owner` writes the schema from now on (in the caller's transaction, the table made first). */
export async function insertClaim(driver: Driver, dialect: Dialect, sql: Statements, schema: string, owner: StateOwner): Promise<void> {
  const values = [owner.id, owner.dir, new Date().toISOString()];
  await driver.execute(
    `INSERT INTO ${sql.table(schema, STATES_TABLE)} (${STATES_COLUMNS.map((c) => dialect.quote(c.name)).join(', ')}) VALUES (${values.map((_, i) => dialect.param(i + 1)).join(', ')})`,
    values,
  );
}
