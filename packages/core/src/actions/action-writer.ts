import type { Capabilities } from '../contract/capabilities.js';
import type { Dialect } from '../contract/dialect.js';
import type { Driver } from '../contract/driver.js';
import type { LogicalType } from '../contract/logical-type.js';
import { ColumnNamer, placeValue, type NameCollision } from '../naming/column-namer.js';
import type { Reject } from '../schema/plan.js';
import { parseTimestamp } from '../types/timestamp.js';
import { IdsOfEmptyTables } from '../writer/sync-keys.js';
import { yieldToEventLoop } from '../process/yield.js';
import type { StateOwner } from '../writer/state-claims.js';
import { TableWriter, type EarlierWriterOf, type PreparedBatch, type TableBatch } from '../writer/table-writer.js';
import { scopeViolation } from './scope.js';
import { ENTITY_CONTEXT, JSON_TEXT_COLUMNS } from './entity-context-json.js';
import { audienceColumns, journeyColumns } from './fields.js';
import { exactJsonText } from '../types/exact-json-text.js';
import { JsonText } from '../runs/json-text.js';
import { addCount } from '../history/table-counts.js';

/**
 * Where the warehouse has the missing schema's name in another case: ` (the warehouse has
 * "archive", …)`, else nothing. PostgreSQL folds an unquoted name to lower case, so the `CREATE
 * SCHEMA Archive` a user runs for `"schema": "Archive"` makes `archive`, and the schema was told
 * missing again at every flush. Renaming the activation's schema instead would leave its queued
 * events for the old name, so the hint names the schema to make, quoted.
 */
export async function otherCaseHint(driver: Pick<Driver, 'schemaInOtherCase'>, schema: string): Promise<string> {
  const other = await driver.schemaInOtherCase?.(schema);
  if (other === undefined) return '';
  return ` (the warehouse has "${other}", which it tells apart from "${schema}": an unquoted name is folded to lower case; rename it, \`ALTER SCHEMA "${other}" RENAME TO "${schema}"\`, or create "${schema}" quoted)`;
}

/** An activation names an existing schema that is not there. */
export class MissingSchemaError extends Error {
  override name = 'MissingSchemaError';
}

/** Who and what an event's row is about, from the preset's columns where it has them: ` (user "u1", Audience Entered, run r1)`. */
function whose(row: Record<string, unknown>): string {
  const parts = [
    typeof row.user_id === 'string' ? `user ${JSON.stringify(row.user_id)}` : undefined,
    typeof row.event_name === 'string' ? row.event_name : undefined,
    typeof row.personas_computation_run_id === 'string' ? `run ${row.personas_computation_run_id}` : undefined,
  ].filter(Boolean);
  return parts.length > 0 ? ` (${parts.join(', ')})` : '';
}

/** One event as the action's fields map it (`sendCustomEvent`'s payload). */
export interface ActionPayload {
  /** The table name. */
  event: string;
  properties: Record<string, unknown>;
  messageId: string;
  receivedAt: string;
  schema: string;
  schemaOverride?: boolean;
  maxEntityContextBytes?: number;
  /**
   * An event its activation's mapping could not make into a payload: not written, but kept whole
   * in `_stowage_rejects` (`value`, the event as JSON) with the reason, as a context over the
   * limit is, rather than known only by its id in a notice once its run is applied.
   */
  unmade?: { value: string; reason: string };
}

/** What became of one payload: written (or already there), or refused with the reason. */
export type PayloadResult = { ok: true; schema: string; table: string } | { ok: false; status: number; reason: string };

export interface ActionWriteResult {
  results: PayloadResult[];
  /** Rows each `<schema>.<table>` gained (a message already written adds nothing). */
  rows: Record<string, number>;
  /** Payloads not written: entity context over the limit, a table outside the scope, a bad value. */
  refused: number;
  duplicates: number;
  casts: number;
  /** Values quarantined in `_stowage_rejects` (including refused entity contexts). */
  rejects: number;
  /** What the writer did to the schema that a user should hear of (a column widened). */
  notices: string[];
}

/**
 * A write whose client work is done (payloads checked, placed into rows, planned and encoded into
 * load files, per schema) and whose statements are not run yet: `apply` runs them.
 */
export interface PreparedActionWrite {
  out: ActionWriteResult;
  schemas: Array<{ schema: string; batch: PreparedBatch }>;
}

/** The columns every Storage Actions table has, whatever the mapping: keyed and ordered by them. */
const FIXED_TYPES: ReadonlyMap<string, LogicalType> = new Map([
  ['id', 'string'],
  ['received_at', 'timestamp'],
]);
const isStandard = (column: string) => FIXED_TYPES.has(column);

/**
 * The types of a new table's columns: the standard ones, and the presets' ids and names as text
 * (their `@path` columns: `user_id`, `personas_computation_run_id`…), whatever their first value
 * looks like. A run id such as `2026-11-23T10:00:00Z` would otherwise make a timestamp column, and
 * every later run id a quarantined value.
 */
const COLUMN_TYPES: ReadonlyMap<string, LogicalType> = new Map([
  ...FIXED_TYPES,
  ...Object.entries({ ...audienceColumns, ...journeyColumns })
    .filter(([, mapping]) => '@path' in mapping)
    .map(([column]): [string, LogicalType] => [column, 'string']),
]);

/** The presets' columns, each filled by the preset's key of its own name. */
const PRESET_COLUMNS: ReadonlySet<string> = new Set(Object.keys({ ...audienceColumns, ...journeyColumns }));

/** Payloads placed into rows between two turns of the event loop (a few milliseconds of work). */
const PAYLOADS_PER_SLICE = 500;

/**
 * The properties with `entity_context`, `journey_context` and `journey_metadata` as JSON text,
 * whatever a mapping made of them: the spec keeps each in one stringified-JSON column, and the
 * entity context's limit is on that text. Mapped to the context's object (`{"@path":
 * "$.properties.data_graph_entity_context"}`), it was flattened into a column per key, as wide as
 * the context, and never held to the limit.
 */
function withContextText(properties: Record<string, unknown>): Record<string, unknown> {
  let out: Record<string, unknown> | undefined;
  for (const column of JSON_TEXT_COLUMNS) {
    const value = properties[column];
    // A number or a boolean too (a direct caller's mapping of a journey's context): never a column of numbers.
    if (typeof value === 'number' || typeof value === 'boolean') (out ??= { ...properties })[column] = exactJsonText(value);
    if (typeof value !== 'object' || value === null) continue;
    (out ??= { ...properties })[column] = value instanceof JsonText ? value.text : exactJsonText(value);
  }
  return out ?? properties;
}

/**
 * Where a run's message ids may already be in their tables (`ChangeSink.alsoAt`). `alsoAt`: only
 * among the rows of their own `receivedAt` or of these times (undefined: anywhere). `unseen`: in
 * none, the run's first attempt to hand changes on, with no other run's attempt unapplied. Each
 * chunk of such a run used to look among the rows of its own time, which are all the earlier
 * chunks' rows (one time: no zone map skips them), so that a run's looks grew with the square of
 * its size.
 */
export interface RunIdsLook {
  alsoAt?: readonly string[];
  unseen?: boolean;
  /**
   * The latest completion time of the runs the profile state applied, in any space (null: none).
   * A table holding a row of a later time was written by runs the state does not know
   * (`ChangeSink.alsoAt`): there neither `unseen` nor `alsoAt` is trusted, and the look reads every row.
   */
  knownUntil?: string | null;
}

/**
 * The write path of the Storage Actions action: payloads → rows of `<schema>.<table>`, appended
 * through the shared table writer (one transaction per schema; a message id is written once).
 * Mapped columns follow the same naming, typing and quarantine rules as the Classic path.
 */
export class ActionWriter {
  private readonly names: ColumnNamer;
  private readonly writer: TableWriter;
  /** Existing schemas confirmed in this session (an override schema is checked, never created). */
  private readonly existing = new Set<string>();
  /** The longest name, in UTF-8 bytes, the warehouse keeps whole (`IdentifierRules.maxLength`). */
  private readonly maxNameBytes: number;
  /** Everything this writer did in its session, added up (the engine's history reads it). */
  readonly totals = { rows: {} as Record<string, number>, refused: 0, duplicates: 0, casts: 0, rejects: 0, notices: [] as string[] };

  constructor(
    private readonly driver: Driver,
    dialect: Dialect,
    private readonly capabilities: Capabilities,
    /** The space's schemas this session may create. */
    private readonly spaceSchemas: (schema: string) => boolean = () => true,
    /**
     * Why a schema cannot hold the action's tables (the warehouse's own, `Destination.schemaProblem`):
     * the configuration refuses such names before Stowage's runs, but a caller of the action on its
     * own names its schema in each event.
     */
    private readonly schemaProblem: (schema: string) => string | undefined = () => undefined,
  ) {
    this.names = new ColumnNamer(dialect.identifiers);
    this.writer = new TableWriter(driver, dialect, capabilities);
    this.maxNameBytes = dialect.identifiers.maxLength;
  }

  /** Writes for this state only: the space's own schema, once another state took it, is refused (`TableWriter.claimFor`). */
  claimFor(owner: StateOwner, earlier?: EarlierWriterOf): void {
    this.writer.claimFor(owner, earlier);
  }

  /** Reads a schema's catalog now (it is read once a session), ahead of the first write to it. */
  async readCatalog(schema: string): Promise<void> {
    await this.writer.readCatalog(schema);
  }

  /** `<schema>\u0000<table>` of the tables this writer wrote rows into (or, where DDL is not transactional, created for a write that then failed) that its schema's catalog did not hold when first read: made here. */
  readonly made = new Set<string>();

  /** Whether the schema holds the table the action names `event` (the catalog read once a session). */
  async holdsTable(schema: string, event: string): Promise<boolean> {
    return this.writer.holdsTable(schema, this.names.column(event));
  }

  /** The message ids written in this session with `unseen` (RunIdsLook). */
  private readonly unseenIds = new IdsOfEmptyTables();
  /** Tables found in this session holding rows of runs the profile state does not know (`RunIdsLook.knownUntil`), by schema and table. */
  private readonly ahead = new Map<string, Promise<boolean>>();

  async write(payloads: readonly ActionPayload[]): Promise<ActionWriteResult> {
    return this.apply(await this.prepare(payloads));
  }

  /**
   * The client's share of a write. Touches the warehouse only to read a schema's catalog once and
   * to check that an existing schema an activation names is there, so that it can run while the
   * previous write's statements do; writes prepared one after another are applied in that order
   * (each is planned against the schema the ones before it leave).
   */
  async prepare(payloads: readonly ActionPayload[], { alsoAt, unseen, knownUntil }: RunIdsLook = {}): Promise<PreparedActionWrite> {
    const out: ActionWriteResult = { results: new Array(payloads.length), rows: {}, refused: 0, duplicates: 0, casts: 0, rejects: 0, notices: [] };
    const bySchema = new Map<string, { tables: Map<string, Array<Record<string, unknown>>>; rejects: Reject[]; override: boolean; indices: number[] }>();
    const refuse = (i: number, status: number, reason: string) => {
      out.results[i] = { ok: false, status, reason };
      out.refused++;
    };

    for (let i = 0; i < payloads.length; i++) {
      if (i > 0 && i % PAYLOADS_PER_SLICE === 0) await yieldToEventLoop();
      const p = payloads[i]!;
      const scope = scopeViolation(p.event) ?? scopeViolation(p.schema);
      if (scope) {
        refuse(i, 400, `the table or schema name ${scope}`);
        continue;
      }
      const unfit = this.schemaLengthProblem(p.schema) ?? this.schemaProblem(p.schema);
      if (unfit) {
        refuse(i, 400, `the schema ${unfit}`);
        continue;
      }
      const receivedAt = typeof p.receivedAt === 'string' ? parseTimestamp(p.receivedAt) : undefined;
      if (!receivedAt) {
        refuse(i, 400, `receivedAt ${JSON.stringify(p.receivedAt)} is not an ISO-8601 date-time`);
        continue;
      }
      const override = p.schemaOverride === true;
      if (!override && !this.spaceSchemas(p.schema)) {
        refuse(i, 400, `"${p.schema}" is not the space's schema; name an existing schema with schemaOverride`);
        continue;
      }
      let group = bySchema.get(p.schema);
      if (!group) bySchema.set(p.schema, (group = { tables: new Map(), rejects: [], override, indices: [] }));
      const table = this.names.column(p.event);
      if (p.unmade) {
        group.rejects.push({ messageId: p.messageId, table, column: '', value: p.unmade.value, reason: p.unmade.reason });
        refuse(i, 400, p.unmade.reason);
        continue;
      }
      const properties = withContextText(p.properties);
      const context = properties[ENTITY_CONTEXT];
      const limit = p.maxEntityContextBytes ?? Number.POSITIVE_INFINITY;
      if (typeof context === 'string' && context.length > limit / 3 && Buffer.byteLength(context) > limit) {
        // The event is kept whole, as the row it would have been (every mapped column, the
        // context among them), so that it can be told apart from the others and written by hand.
        // Its message id is the reject's own `id`.
        const kept: Record<string, unknown> = { received_at: receivedAt };
        this.placeProperties(kept, properties, { table, messageId: p.messageId }, []);
        const reason = `the entity context of this event${whose(kept)} is ${Buffer.byteLength(context)} bytes, over the limit of ${limit} (the activation's maxEntityContextBytes); the event was not written, and its row is kept whole in value`;
        group.rejects.push({ messageId: p.messageId, table, column: ENTITY_CONTEXT, value: exactJsonText(kept), reason });
        refuse(i, 413, reason);
        continue;
      }
      const row: Record<string, unknown> = { id: p.messageId, received_at: receivedAt };
      const collisions: NameCollision[] = [];
      this.placeProperties(row, properties, { table, messageId: p.messageId }, collisions);
      for (const c of collisions) {
        group.rejects.push({ messageId: c.messageId, table, column: c.column, value: typeof c.value === 'string' ? c.value : exactJsonText(c.value), reason: 'another key of the same event names this column' });
      }
      let rows = group.tables.get(table);
      if (!rows) group.tables.set(table, (rows = []));
      rows.push(row);
      group.indices.push(i);
      out.results[i] = { ok: true, schema: p.schema, table };
    }

    const schemas: PreparedActionWrite['schemas'] = [];
    for (const [schema, group] of bySchema) {
      if (group.override && !(await this.schemaExists(schema))) {
        // Not a refusal of the events: the warehouse is not ready for them. The write fails, and
        // the engine keeps them queued until the schema exists.
        throw new MissingSchemaError(`the schema "${schema}" does not exist${await otherCaseHint(this.driver, schema)}; Stowage writes to an existing schema an activation names but never creates it: create it, then \`stowage flush\``);
      }
      // A message id names one change, stamped with its run's completion time on every attempt
      // (the profile state keeps the first one that handed changes on): when the caller knows the
      // other times it may have been made with (`alsoAt`), it can only already be among the rows
      // of its own time or of those; unless a table holds rows of runs the profile state never
      // applied (a state restored from an older backup), whose ids may be anywhere. Where a key
      // index answers the look by the key alone, times are not asked.
      const ahead = !this.capabilities.keyIndexes && (await this.anyAhead(schema, [...group.tables.keys()], knownUntil, out.notices));
      const look = alsoAt && !ahead ? { keyArrivesWith: 'received_at', keyAlsoArrivedAt: alsoAt } : {};
      const tables: TableBatch[] = [...group.tables].map(([table, rows]) => ({ table, rows, fixedTypes: COLUMN_TYPES, key: 'id', ...look }));
      // Ids no table can hold yet go in without a look, unless one comes twice in the session
      // (or two share a hash): that batch looks, and finds the earlier one's rows. Where a key
      // index answers the look in milliseconds, it is made all the same.
      const keys = unseen && !this.capabilities.keyIndexes && !ahead ? this.unseenIds.keysFor([...group.tables.values()].flatMap((rows) => rows.map((row) => row.id as string))) : undefined;
      schemas.push({ schema, batch: await this.writer.prepare({ schema, tables, latest: [], rejects: group.rejects, createSchema: !group.override, shared: true }, keys) });
    }
    return { out, schemas };
  }

  /**
   * Whether any of the tables holds a row stamped after `knownUntil` (`RunIdsLook.knownUntil`),
   * asked once a session per table (the zone maps of `received_at` skip the rest); told once.
   */
  private async anyAhead(schema: string, tables: readonly string[], knownUntil: string | null | undefined, notices: string[]): Promise<boolean> {
    if (knownUntil === undefined) return false;
    let ahead = false;
    for (const table of tables) {
      const key = `${schema}\u0000${table}`;
      let asked = this.ahead.get(key);
      if (!asked) {
        asked = this.writer.holdsLater(schema, table, 'received_at', knownUntil);
        this.ahead.set(key, asked);
        // A look that failed (the write fails with it) is asked again by the next write.
        asked.catch(() => this.ahead.delete(key));
        if (await asked) {
          const why =
            knownUntil === null
              ? `${schema}.${table} holds rows, and the profile state has applied no run yet: it is new (begun anew, then \`stowage claim\`), or restored from a backup older than the table`
              : `${schema}.${table} holds rows of runs later than any the profile state has applied (${knownUntil}): the state folder is older than the table (restored from a backup, say)`;
          notices.push(`${why}, so the run's message ids may already be anywhere in it: it looked for each among all its rows before writing it (slower). Restore the state folder and the warehouse from one moment`);
        }
      }
      if (await asked) ahead = true;
    }
    return ahead;
  }

  /**
   * An event's properties in its row's columns (`ColumnNamer.place`), where a key whose value is
   * null keeps its column from the leaves of another key's object (`owner: { id }` flattened to
   * `owner_id` where `owner_id` is null): such a leaf is a collision, quarantined, as it is beside
   * a value. Else an anonymous member's null `user_id` would take an id out of its entity context.
   * So does a preset's column left null by its own key from another key's plain value (`userId`,
   * `User ID` beside the preset's `user_id`). Two keys of the user's own naming one column keep the
   * first non-null value, as anywhere else.
   */
  private placeProperties(row: Record<string, unknown>, properties: Record<string, unknown>, where: { table: string; messageId: string }, collisions: NameCollision[]): void {
    let nulls: Set<string> | undefined;
    for (const key in properties) if (properties[key] === null) (nulls ??= new Set()).add(this.placed(this.names.column(key)));
    if (!nulls) return this.names.place(row, properties, isStandard, where, collisions);
    const held = nulls;
    for (const key of Object.keys(properties)) {
      const value = properties[key];
      // No value, as a function is (`ColumnNamer.forEachLeaf`).
      if (value === undefined || typeof value === 'function') continue;
      if (value === null || typeof value !== 'object' || Array.isArray(value)) {
        const column = this.placed(this.names.column(key));
        if (value !== null && key !== column && PRESET_COLUMNS.has(column) && properties[column] === null) collisions.push({ ...where, column, value });
        else this.names.place(row, { [key]: value }, isStandard, where, collisions);
        continue;
      }
      // An object's leaves, flattened under its key.
      this.names.forEachLeaf({ [key]: value }, '', (name, leaf) => {
        const column = this.placed(name);
        if (leaf !== null && held.has(column)) collisions.push({ ...where, column, value: leaf });
        else placeValue(row, column, leaf, where, collisions);
      });
    }
  }

  /** The column a name takes in a row: a standard one's is kept as `_<name>` (`ColumnNamer.place`). */
  private placed(name: string): string {
    return isStandard(name) ? this.names.kept(name) : name;
  }

  /** The warehouse's share of a prepared write: one transaction per schema. */
  async apply({ out, schemas }: PreparedActionWrite): Promise<ActionWriteResult> {
    for (const { schema, batch } of schemas) {
      const result = await this.writer.apply(batch).catch((error: unknown) => {
        // Where DDL is not transactional, a table this write created stands though its rows did
        // not commit: made all the same, as one a write that succeeds makes.
        for (const made of this.writer.createdApart) {
          const [inSchema, table] = made.split('\u0000') as [string, string];
          if (inSchema === schema && !this.writer.heldAtFirstRead(schema, table)) this.made.add(made);
        }
        this.totals.notices.push(...this.writer.takeStoodNotices().map((n) => `${schema}.${n}`));
        throw error;
      });
      for (const [table, n] of Object.entries(result.rows)) {
        addCount(out.rows, `${schema}.${table}`, n);
        if (n > 0 && !this.writer.heldAtFirstRead(schema, table)) this.made.add(`${schema}\u0000${table}`);
      }
      out.duplicates += result.duplicates;
      out.casts += result.casts;
      out.rejects += result.rejects;
      out.notices.push(...result.notices.map((n) => `${schema}.${n}`));
    }
    for (const [table, n] of Object.entries(out.rows)) addCount(this.totals.rows, table, n);
    this.totals.refused += out.refused;
    this.totals.duplicates += out.duplicates;
    this.totals.casts += out.casts;
    this.totals.rejects += out.rejects;
    this.totals.notices.push(...out.notices);
    return out;
  }

  /**
   * A schema name longer than the warehouse keeps: PostgreSQL and Redshift cut it, without an
   * error, to its first bytes, which may be another schema's whole name (two long space names
   * that share them wrote into one schema), and the answer named a schema that is not there. A
   * table name is cut with a hash of the whole (`applyIdentifierRules`); a schema is the caller's
   * to name, as the configuration says of an activation's.
   */
  private schemaLengthProblem(schema: string): string | undefined {
    const bytes = Buffer.byteLength(schema);
    if (bytes <= this.maxNameBytes) return undefined;
    return `"${schema}" is ${bytes} bytes, longer than the ${this.maxNameBytes} a schema name holds in this warehouse, which would cut it (perhaps to another schema's name); use a shorter name`;
  }

  private async schemaExists(schema: string): Promise<boolean> {
    if (this.existing.has(schema)) return true;
    const exists = await this.driver.schemaExists(schema);
    if (exists) this.existing.add(schema);
    return exists;
  }
}
