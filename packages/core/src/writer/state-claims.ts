import { withDdl } from './ddl-apart.js';
import { join } from 'node:path';
import type { Column } from '../contract/logical-type.js';
import type { Dialect } from '../contract/dialect.js';
import type { Driver } from '../contract/driver.js';
import type { Statements } from './sql.js';

/**
 * Which Stowage state writes a schema: a row per state that took it. A schema Stowage owns (a
 * space's Classic schema, a space's own schema for its activations) is taken by the first state
 * to write it, before its first write, in a transaction of its own; a state that then finds
 * another's row there is refused, saying which state writes the schema and where that state's
 * folder was. `stowage claim` replaces every row with its own.
 *
 * Why: a state begun anew (its folder moved without the configuration saying so, or lost) knows
 * none of the members its warehouse holds rows of. Its first run would send every one of them
 * again, as entering, and its Classic log would load as though the tables were new. The state
 * folder cannot tell that it is not the first; the warehouse can.
 *
 * Rows, not a latest row: no clock orders two machines' claims. Two states that took a new
 * schema at once (each saw none) read the claims back: one that finds the other's row withdraws
 * its own, so that no two states ever write one schema, and none is locked out for good.
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
  /** Its `state-id` file is there, and empty (a write a disk lost): not a state that never wrote. */
  emptied?: boolean;
}

/** A state's claim on a schema, as `_stowage_states` holds it. */
export interface StateClaim {
  id: string;
  dir: string;
  at: string;
}

/**
 * What tells, in a schema from before claims (no `_stowage_states`), that another state wrote it:
 * a clause of the refusal ("was loaded from another state's call log …"), or undefined.
 */
export type EarlierWriter = (schema: string) => Promise<string | undefined>;

/** Another state writes the schema: nothing was written, and the message says what to do. */
export class OtherStateError extends Error {
  override name = 'OtherStateError';
  constructor(
    readonly schema: string,
    readonly claim: StateClaim | { evidence: string },
    owner: StateOwner,
  ) {
    super(otherStateMessage(schema, claim, owner));
  }
}

function otherStateMessage(schema: string, claim: StateClaim | { evidence: string }, owner: StateOwner): string {
  // The same folder: the state that wrote the schema was deleted there (or put back from elsewhere), and this one begun anew in its place.
  const here = !('evidence' in claim) && claim.dir === owner.dir;
  // Or its id file emptied (a write cut short by a power loss or a full disk): the folder is likely the same state.
  if (here && owner.emptied) {
    return (
      `${schema} is written by the Stowage state kept in ${claim.dir} (state ${claim.id}, since ${claim.at}), and that folder's state-id file is empty (a write cut short: a power loss, a full disk), so it no longer says it is that state. ` +
      `If nothing else of the folder was lost (\`stowage check\` tests its profile state), write ${claim.id} into ${join(claim.dir, 'state-id')} and run the command again. Nothing was written to ${schema}`
    );
  }
  const by = 'evidence' in claim ? claim.evidence : `is written by another Stowage state, kept in ${claim.dir} (state ${claim.id}, since ${claim.at})${here ? ', which is no longer there' : ''}`;
  return (
    `${schema} ${by}; this state is ${here ? 'a new one, begun in its place' : owner.dir}. A state begun anew would send every member of its computations again, as entering. ` +
    `${here ? "If you moved that state's folder, set stateDir in the configuration to where it is now (or put the folder back)" : 'If you moved the state folder, set stateDir in the configuration to where it is now'}. If that state is gone for good and this one is to write ${schema} from now on, ` +
    `run \`stowage claim ${owner.warehouse}\` first (the rows there stay as they are). Nothing was written to ${schema}`
  );
}

/** A claim's time as text, whichever way the driver hands a timestamp back. */
const timeText = (value: unknown) => (value instanceof Date ? value.toISOString() : String(value));

/** What the claims need of the table writer they belong to. */
export interface ClaimsHost {
  driver: Driver;
  dialect: Dialect;
  sql: Statements;
  /** `Capabilities.transactionalDdl`: where false, a claim's table is made before its transaction (`withDdl`). */
  transactionalDdl: boolean;
  /** The schema's tables as the writer knows them (its catalog). */
  tables(schema: string): Promise<Map<string, Column[]>>;
  /** Makes one of Stowage's own tables (with its key index, where the warehouse has them). */
  createInternalTable(schema: string, table: string, columns: Column[]): Promise<void>;
  /** Settles once no write of the writer is in flight: a claim's transaction must not meet one. */
  idle(): Promise<unknown>;
}

/** One writer session's claims: each schema checked, and taken when no state took it, once. */
export class StateClaims {
  /** Schemas this state may write in this session. */
  private readonly ours = new Set<string>();
  /** Each schema's taking (or check) in flight or done; a failed one is tried again. */
  private readonly taking = new Map<string, Promise<void>>();
  /** Each schema's claims, read once (`prefetch` may start it); a failed read is tried again. */
  private readonly reads = new Map<string, Promise<StateClaim[]>>();

  constructor(
    private readonly host: ClaimsHost,
    readonly owner: StateOwner,
    private readonly earlier?: EarlierWriter,
  ) {}

  /** Reads the schema's claims now (with its catalog), so that its first write need not wait for them. */
  async prefetch(schema: string): Promise<void> {
    await this.read(schema).catch(() => undefined);
  }

  /** Ensures this state may write the schema, taking it if no state did: throws OtherStateError otherwise. */
  take(schema: string): Promise<void> {
    if (this.ours.has(schema)) return Promise.resolve();
    let taking = this.taking.get(schema);
    if (!taking) {
      this.taking.set(schema, (taking = this.takeNow(schema)));
      taking.catch(() => this.taking.delete(schema));
    }
    return taking;
  }

  /** Why this state may not write the schema (another state's claim, or an earlier writer's trace); undefined when it may. */
  async problem(schema: string): Promise<OtherStateError | undefined> {
    const other = (await this.read(schema)).find((c) => c.id !== this.owner.id);
    if (other) return new OtherStateError(schema, other, this.owner);
    if ((await this.read(schema)).length > 0) return undefined;
    const evidence = await this.earlier?.(schema);
    return evidence === undefined ? undefined : new OtherStateError(schema, { evidence }, this.owner);
  }

  /** Forgets what it read and took: a rolled-back write may have taken the schema's tables with it. */
  forget(): void {
    this.ours.clear();
    this.taking.clear();
    this.reads.clear();
  }

  private async takeNow(schema: string): Promise<void> {
    const refused = await this.problem(schema);
    if (refused) throw refused;
    if ((await this.read(schema)).length === 0) {
      await this.host.idle();
      const { driver } = this.host;
      try {
        const ddl = async () => {
          // Asked first: PostgreSQL checks CREATE on the database before IF NOT EXISTS (see TableWriter).
          if (!(await driver.schemaExists(schema))) await driver.execute(this.host.sql.createSchema(schema));
          await this.host.createInternalTable(schema, STATES_TABLE, STATES_COLUMNS);
        };
        await withDdl(driver, this.host.transactionalDdl, ddl, () => insertClaim(this.host, schema, this.owner));
      } catch (error) {
        // Another state made the schema or the table at the same moment (PostgreSQL's catalog
        // refuses the second CREATE): its claim, once read, is the answer.
        this.reads.delete(schema);
        const rival = (await this.read(schema).catch(() => [])).find((c) => c.id !== this.owner.id);
        throw rival ? new OtherStateError(schema, rival, this.owner) : error;
      }
      (await this.host.tables(schema)).set(STATES_TABLE, [...STATES_COLUMNS]);
      // Two states that took a new schema at once each find the other's row now. The one that
      // finds it withdraws its own and writes nothing; the other, which read before that row
      // was in, writes on (or, had both read late, neither: the next write of each takes it again).
      this.reads.delete(schema);
      const rival = (await this.read(schema)).find((c) => c.id !== this.owner.id);
      if (rival) {
        await driver.execute(`DELETE FROM ${this.host.sql.table(schema, STATES_TABLE)} WHERE ${this.host.dialect.quote('state_id')} = ${this.host.dialect.param(1)}`, [this.owner.id]);
        this.reads.delete(schema);
        throw new OtherStateError(schema, rival, this.owner);
      }
    }
    this.ours.add(schema);
  }

  private read(schema: string): Promise<StateClaim[]> {
    let read = this.reads.get(schema);
    if (!read) {
      this.reads.set(schema, (read = this.host.tables(schema).then((tables) => (tables.has(STATES_TABLE) ? readClaims(this.host, schema) : []))));
      read.catch(() => this.reads.delete(schema));
    }
    return read;
  }
}

/** Every claim on a schema that has `_stowage_states`, the newest first (by each machine's own clock). */
export async function readClaims({ driver, dialect, sql }: Pick<ClaimsHost, 'driver' | 'dialect' | 'sql'>, schema: string): Promise<StateClaim[]> {
  const q = (name: string) => dialect.quote(name);
  const rows = await driver.query<{ state_id: string; state_dir: string; claimed_at: unknown }>(
    `SELECT ${q('state_id')}, ${q('state_dir')}, ${q('claimed_at')} FROM ${sql.table(schema, STATES_TABLE)} ORDER BY ${q('claimed_at')} DESC`,
  );
  return rows.map((row) => ({ id: row.state_id, dir: row.state_dir, at: timeText(row.claimed_at) }));
}

/** Records that `owner` writes the schema (in the caller's transaction, the table made first). */
export async function insertClaim({ driver, dialect, sql }: Pick<ClaimsHost, 'driver' | 'dialect' | 'sql'>, schema: string, owner: StateOwner): Promise<void> {
  const values = [owner.id, owner.dir, new Date().toISOString()];
  await driver.execute(
    `INSERT INTO ${sql.table(schema, STATES_TABLE)} (${STATES_COLUMNS.map((c) => dialect.quote(c.name)).join(', ')}) VALUES (${values.map((_, i) => dialect.param(i + 1)).join(', ')})`,
    values,
  );
}

/** Makes `owner` the one writer of the schema (`stowage claim`): every other claim goes. Gives the claims it replaced. */
export async function replaceClaims(host: ClaimsHost, schema: string, owner: StateOwner): Promise<StateClaim[]> {
  return withDdl(host.driver, host.transactionalDdl, () => host.createInternalTable(schema, STATES_TABLE, STATES_COLUMNS), async () => {
    const before = await readClaims(host, schema);
    if (before.length === 1 && before[0]!.id === owner.id) return before;
    await host.driver.execute(`DELETE FROM ${host.sql.table(schema, STATES_TABLE)}`);
    await insertClaim(host, schema, owner);
    return before;
  });
}
