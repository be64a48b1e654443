import { ActionWriter, type ActionPayload, type RunIdsLook } from '../actions/action-writer.js';
import { refusalReason } from '../writer/refusal-reason.js';
import { exactJsonText } from '../types/exact-json-text.js';
import type { StateOwner } from '../writer/state-claims.js';
import type { EarlierWriterOf } from '../writer/table-writer.js';
import { actionsCore, defaultValues, fieldsToJsonSchema, removeEmptyValues } from '../actions/actions-core.js';
import { compileMapping, type CompiledMapping } from '../actions/compiled-mapping.js';
import { materializeEvent, withJsonTexts, type ActionEvent } from '../actions/events.js';
import { PayloadValidator } from '../actions/payload-validation.js';
import { sendCustomEventFields } from '../actions/fields.js';
import { presetColumns } from '../actions/presets.js';
import type { ActivationConfig, SpaceConfig, WarehouseConfig } from '../config/config.js';
import type { ConnectContext, Destination } from '../contract/destination.js';
import type { Driver } from '../contract/driver.js';
import type { History, SyncRecord } from '../history/history.js';
import { redact } from '../history/redact.js';
import { addCount, countOf } from '../history/table-counts.js';
import { ColumnNamer } from '../naming/column-namer.js';
import { BusyTime } from './busy-time.js';
import { heldBy } from './busy-retries.js';
import { yieldToEventLoop } from '../process/yield.js';
import { encodedColumns, JSON_TEXT_COLUMNS, jsonTextsAsJson, mayEncodeInBranches } from '../actions/entity-context-json.js';

/** Events mapped and checked between two turns of the event loop (a few milliseconds of work). */
const EVENTS_PER_SLICE = 500;

/** What one activation's events became in one write (a run's, or a retry's). */
export interface ActivationOutcome {
  activation: string;
  warehouse: string;
  /** `<schema>.<table>`. */
  table: string;
  /** Events written (a message already in the table counts once, when it first landed). */
  written: number;
  /** Events the table held already (written by an earlier attempt: a run sent again, a queue written twice). */
  duplicates: number;
  /** Events refused: entity context over the limit, a name outside the scope, an invalid payload. */
  refused: number;
  /**
   * Events not written, kept in the durable queue: the write failed, the activation's schema is
   * missing, the warehouse refused their rows. `stowage flush` (or the next run) writes them.
   */
  queued: number;
  /**
   * Milliseconds this activation had a write in flight, from the start of its preparing to its
   * commit (a write prepared while the one before it commits is counted once).
   */
  ms: number;
}

export interface FlushResult {
  record: SyncRecord;
  /** The space whose queue was written. */
  space: string;
  /**
   * Every event the write left queued waits for a change of the configuration (`stowage check`
   * lists them): how many, and the queue's end then (`StorageActions.queueEnd`). A retrier in the
   * same process writes the queue again once its end has moved (new events queued), not before.
   */
  heldUntilConfigured?: { events: number; queueEnd: string };
  activations: ActivationOutcome[];
  /**
   * The space's activations of this warehouse whose table this session made (it wrote rows into
   * a table its first read of the catalog did not find): a table the warehouse had lost, where
   * one of them wrote before (`ActivationMarkers.madeAgain`).
   */
  madeFor?: string[];
}

/**
 * One activation's events with the client's share of their write done (mapped, validated, made
 * into load files): `ActionWriteSession.commit` runs the statements.
 */
export interface PreparedEvents {
  activation: ActivationConfig;
  events: ActionEvent[];
  /** Runs the write's statements; each event's result. */
  apply: () => Promise<EventResult[]>;
  /** When its preparing started (epoch milliseconds). */
  started: number;
}

/** Refusals listed one by one in the history; the rest are counted. */
const NOTICED_REFUSALS = 20;

/** Message ids a notice names of the events the warehouse refused together; the rest are counted. */
const REFUSED_IDS_NAMED = 3;

/** The action's payload schema, as executeBatch validates each payload against it. */
const PAYLOAD_SCHEMA = fieldsToJsonSchema(sendCustomEventFields as never);
const PAYLOADS = new PayloadValidator(PAYLOAD_SCHEMA as never, { schemaKey: 'stowage:sendCustomEvent', throwIfInvalid: true, exempt: ['dynamicAuthSettings'] });

/** One event's result, as executeBatch reports it. */
interface EventResult {
  status: number;
  errormessage?: string;
}

/**
 * One write session of the Storage Actions path on one warehouse and space: a connection, the
 * action writer the destination's actions-core definition writes through, and the history record
 * of what was written. Events are mapped and validated as `executeBatch` does it (the mapping
 * kit, or the mapping compiled), then written by the shared table writer, one transaction per call.
 */
export class ActionWriteSession {
  readonly record: SyncRecord;
  private readonly outcomes = new Map<string, ActivationOutcome>();
  /** Per activation, the time it had a write in flight: overlapping writes are timed once. */
  private readonly busy = new Map<string, BusyTime>();
  private refused = 0;
  /** Events kept queued for now (their schema is missing, their activation is not configured). */
  private held = 0;
  /** Of those, the ones only a change of the configuration lets be written (`hold`'s `untilConfigured`). */
  private heldUntilConfigured = 0;
  /** Where the queue ended once the drain had put back what it held (`queueEndAfterDrain`). */
  private queueEnd?: string;
  private driver?: Driver;
  private writer?: ActionWriter;
  private error?: unknown;
  /** The run's own failure, after this session's writes (`failRun`). */
  private runError?: unknown;
  /** The connection being made (or made, or failed): see `open`. */
  private opening?: Promise<void>;
  /** `openSoon`'s connection and catalog read, which never rejects: closing waits for it. */
  private warming?: Promise<void>;
  /** A checkpoint started by `checkpointSoon`: the next use of the session waits for it. */
  private checkpointing?: Promise<void>;
  /** Each activation's mapping, compiled (null: mapping-kit's `transform` maps it). */
  private readonly compiled = new Map<string, CompiledMapping | null>();
  /** The table names as the writer makes them (snake_case, the warehouse's rules), for the outcomes. */
  private readonly names: ColumnNamer;

  constructor(
    private readonly destination: Destination,
    private readonly warehouse: WarehouseConfig,
    private readonly space: SpaceConfig,
    private readonly context: ConnectContext,
    private readonly history: History,
    trigger: string,
    /** The state whose events these are: the space's own schema, once another state took it, refuses them. */
    private readonly owner: StateOwner,
    /** Per activation, the events in the queue of this warehouse and space now (`ActivationOutcome.queued`). */
    private readonly queuedNow: () => Promise<ReadonlyMap<string, number>>,
    private readonly earlierWriter?: EarlierWriterOf,
  ) {
    this.record = history.draft(warehouse.name, 'storage-actions', trigger);
    this.names = new ColumnNamer(destination.dialect.identifiers);
  }

  get failed(): boolean {
    return this.error !== undefined;
  }

  /** Whether the session wrote, or tried to: only then is it in the history. */
  get used(): boolean {
    return this.begun;
  }

  private begun = false;

  /**
   * Puts the session in the history, as Running, before its first write (a process that dies
   * during it leaves it so, and it shows as interrupted). A session opened early for a run that
   * then has nothing to write is never in the history.
   */
  begin(): void {
    if (this.begun) return;
    this.begun = true;
    this.record.startedAt = new Date().toISOString();
    this.history.record(this.record);
  }

  /** Connects once; every write waits for it. */
  private open(): Promise<void> {
    return (this.opening ??= this.connect());
  }

  /**
   * Starts connecting, and reading the space's schema, now: a run calls it before its profiles
   * are staged, so that opening the warehouse (a DuckDB file, a server's handshake) and reading
   * its catalog overlap the staging and the diff instead of delaying the first write. A failure
   * is met again by the first write, which fails the session as before.
   */
  openSoon(): void {
    this.warming ??= this.open()
      .then(() => this.writer!.readCatalog(this.space.name))
      .catch(() => {
        // Tried again by the first write: the warehouse may be there by then (a lock released).
        if (!this.writer) this.opening = undefined;
      });
  }

  /**
   * Whether the warehouse lacks the activation's table (dropped, the database replaced), as its
   * catalog says once the session has read it; false when the warehouse cannot be read now (the
   * run's write then meets that as usual).
   */
  async lacksTable(activation: ActivationConfig): Promise<boolean> {
    this.openSoon();
    await this.warming;
    if (!this.writer) return false;
    return this.writer.holdsTable(activation.schema ?? this.space.name, activation.table).then(
      (holds) => !holds,
      () => false,
    );
  }

  private async connect(): Promise<void> {
    if (!(this.destination.definition as { actions?: Record<string, unknown> }).actions?.sendCustomEvent) {
      throw new Error(`the ${this.destination.type} destination's definition has no Storage Actions action (sendCustomEvent): wrap it with withStorageActions`);
    }
    this.driver = await this.destination.connect(this.warehouse.settings, this.context);
    this.writer = new ActionWriter(this.driver, this.destination.dialect, this.destination.capabilities, (schema) => schema === this.space.name);
    this.writer.claimFor(this.owner, this.earlierWriter);
  }

  /** Set by the first write's look at its connection (reopenIfLostIdle), which the others wait for. */
  private reopening: Promise<void> | undefined;

  /**
   * A session opened as the run began (openSoon) stays idle while the run's profiles are staged
   * and diffed, seconds to minutes, over which the server may restart (a failover, maintenance)
   * or a proxy drop the connection. Found lost before the session's first write, it is opened
   * again, once: nothing ran on it that the new one lacks, and the warehouse answering by then,
   * the run's events need not be queued for a retry. One lost after a write is not (the writer's
   * counts are the session's): that write, or the next, fails and queues its events as before.
   */
  private reopenIfLostIdle(): Promise<void> {
    return (this.reopening ??= (async () => {
      // The catalog read begun with it ends first (the first write would wait for it anyway).
      await this.warming;
      const lost = this.driver;
      if (!lost?.connectionLost?.()) return;
      this.driver = undefined;
      this.writer = undefined;
      await lost.close().catch(() => undefined);
      this.opening = this.connect();
      await this.opening;
    })());
  }

  /** The mapping an activation's events go through: the preset's columns, then its own. */
  private mapping(activation: ActivationConfig): Record<string, unknown> {
    return {
      ...defaultValues(sendCustomEventFields as never),
      event: activation.table,
      schema: activation.schema ?? this.space.name,
      schemaOverride: activation.schema !== undefined,
      maxEntityContextBytes: activation.maxEntityContextBytes,
      properties: { ...presetColumns(activation.preset), ...activation.columns },
    };
  }

  /** Writes one activation's events; throws when the warehouse fails (nothing of the call is committed). */
  async write(activation: ActivationConfig, events: ActionEvent[]): Promise<void> {
    await this.commit(await this.prepare(activation, events));
  }

  /**
   * The client's share of writing one activation's events, which may run while an earlier
   * write's statements do. Prepared writes are committed in the order they were prepared, or
   * not at all (each is planned against the schema the ones before it leave).
   *
   * `look.alsoAt`: the events' message ids can only already be in their table with the events'
   * own `receivedAt` or one of these times (a run's, `ChangeSink.alsoAt`), so the look for them
   * reads only those rows. Without it (the queue, a run after too many others' failed attempts)
   * it reads them all. `look.unseen`: they cannot be in any table yet (see RunIdsLook).
   */
  async prepare(activation: ActivationConfig, events: ActionEvent[], look: RunIdsLook = {}): Promise<PreparedEvents> {
    this.begin();
    if (this.error !== undefined) throw this.error;
    await this.settled();
    await this.open();
    await this.reopenIfLostIdle();
    const started = Date.now();
    const apply = await this.execute(activation, events, look);
    return { activation, events, apply, started };
  }

  /** Runs a prepared write's statements; throws when the warehouse fails (nothing of the call is committed). */
  async commit({ activation, events, apply, started }: PreparedEvents): Promise<void> {
    if (this.error !== undefined) throw this.error;
    const writer = this.writer!;
    const before = { ...writer.totals.rows };
    const duplicatesBefore = writer.totals.duplicates;
    const name = activation.name;
    const outcome = this.outcomeOf(activation);
    let busy = this.busy.get(name);
    if (!busy) this.busy.set(name, (busy = new BusyTime()));
    let results: Awaited<ReturnType<typeof apply>>;
    try {
      results = await apply();
    } finally {
      // Writes are committed in the order they started, as BusyTime takes them. A write that
      // failed counts its time too (5 s waiting on a lock, say): it was spent on the activation.
      busy.add(started, Date.now());
      outcome.ms = busy.ms;
    }
    for (const [i, r] of results.entries()) {
      if (r.status < 200 || r.status >= 300) {
        outcome.refused++;
        if (this.refused++ < NOTICED_REFUSALS) this.record.notices.push(`${name}: event ${events[i]?.messageId} not written: ${(r as { errormessage?: string }).errormessage ?? r.status}`);
      }
    }
    this.record.calls += events.length;
    // One activation's events a commit: the rows its tables gained, and the events the writer found there already, are its own.
    for (const [table, n] of Object.entries(writer.totals.rows)) {
      const gained = n - countOf(before, table);
      if (gained > 0) {
        addCount(this.record.rows, table, gained);
        outcome.written += gained;
      }
    }
    outcome.duplicates += writer.totals.duplicates - duplicatesBefore;
    if (this.begun) this.history.progress(this.record);
  }

  /**
   * Maps and prepares the events; the returned function writes them and gives each event's
   * result. An activation whose mapping compiles (the presets', and any of `@path` and `@json`
   * encode) is mapped by the compiled mapping; any other by mapping-kit's `transform`, as
   * executeBatch maps it. Each payload is then handled as executeBatch handles it (empty values
   * removed, validated against the action's schema) and prepared by the writer performBatch
   * writes through. Both give the same rows and results (compiled-mapping.test.ts holds them to
   * it); the compiled one skips mapping-kit's walk of the mapping for every event. Either way the
   * write is planned now, in the order writes are prepared: a write planned only as it commits
   * would be planned against tables an earlier-prepared write has yet to create.
   */
  private async execute(activation: ActivationConfig, events: ActionEvent[], look: RunIdsLook): Promise<() => Promise<EventResult[]>> {
    const mapping = this.mapping(activation);
    if (!this.compiled.has(activation.name)) this.compiled.set(activation.name, compileMapping(mapping) ?? null);
    const map = this.compiled.get(activation.name) ?? ((event: ActionEvent) => withJsonTexts(event, actionsCore().transform(mapping as never, materializeEvent(event) as never)));
    const results: EventResult[] = new Array(events.length);
    const declared = Object.keys(mapping.properties as Record<string, unknown>);
    // Those the activation maps itself alone: the preset's are `@json` encodes, JSON text already.
    // Of its own, a value an encode gave is JSON text too (`encodedColumns`), any other a value.
    const ownJson = JSON_TEXT_COLUMNS.filter((column) => Object.hasOwn(activation.columns, column));
    const fixed = ownJson.some((column) => mayEncodeInBranches(activation.columns[column])) ? undefined : encodedColumns(activation.columns, undefined);
    const payloads: ActionPayload[] = [];
    const indices: number[] = [];
    // An event the mapping cannot make a payload of is kept whole in its table's schema.
    const unmade = (event: ActionEvent, why: string): ActionPayload => ({
      event: activation.table,
      schema: mapping.schema as string,
      schemaOverride: mapping.schemaOverride as boolean,
      messageId: event.messageId,
      receivedAt: event.receivedAt,
      properties: {},
      unmade: { value: exactJsonText(event), reason: `${why}; the event was not written, and is kept whole in value` },
    });
    for (let i = 0; i < events.length; i++) {
      if (i > 0 && i % EVENTS_PER_SLICE === 0) await yieldToEventLoop();
      let payload: Record<string, unknown>;
      try {
        // The mapping can fail on one event's data (a @liquid template over its memory limit on a
        // long value, a @case operator mapping-kit checks only on a value): that event is refused,
        // as an invalid payload is, and the others are written.
        payload = withDeclaredColumns(removeEmptyValues(map(events[i]!), PAYLOAD_SCHEMA), declared);
        if (ownJson.length > 0) {
          const encoded = fixed ?? encodedColumns(activation.columns, materializeEvent(events[i]!));
          payload = jsonTextsAsJson(payload, ownJson.filter((column) => !encoded.has(column)));
        }
      } catch (error) {
        payload = unmade(events[i]!, `the activation's mapping failed on it: ${refusalReason(error)}`) as unknown as Record<string, unknown>;
      }
      try {
        if (!payload.unmade) PAYLOADS.validate(payload);
      } catch (error) {
        payload = unmade(events[i]!, (error as Error).message) as unknown as Record<string, unknown>;
      }
      payloads.push(payload as unknown as ActionPayload);
      indices.push(i);
    }
    if (payloads.length === 0) return async () => results;
    const prepared = await this.writer!.prepare(payloads, look);
    return async () => {
      const written = await this.writer!.apply(prepared);
      written.results.forEach((r, k) => (results[indices[k]!] = r.ok ? { status: 200 } : { status: r.status, errormessage: r.reason }));
      return results;
    };
  }

  /**
   * Each activation's events left in the queue as the session ends, read from the queue itself
   * (whatever put them there: this session's failure or holds, an earlier one's), so that the
   * count is what a flush would find; an activation with none written gets an outcome for them.
   * A queue that cannot be read leaves the counts at 0: the record's error or notices tell why.
   */
  private async countQueued(): Promise<void> {
    const counts = await this.queuedNow().catch(() => undefined);
    if (!counts) return;
    for (const [name, events] of counts) {
      // Own entries only: a name queued by an activation since removed may be `constructor`.
      const config = Object.hasOwn(this.space.activations, name) ? this.space.activations[name] : undefined;
      if (config) this.outcomeOf(config).queued = events;
    }
  }

  /** An activation's table as the writer names it: `<schema>.<table>`. */
  private tableOf(activation: ActivationConfig): string {
    return `${activation.schema ?? this.space.name}.${this.names.column(activation.table)}`;
  }

  /** An activation's outcome, made at its first write or at its first events found queued. */
  private outcomeOf(activation: ActivationConfig): ActivationOutcome {
    let outcome = this.outcomes.get(activation.name);
    if (!outcome) {
      outcome = { activation: activation.name, warehouse: this.warehouse.name, table: this.tableOf(activation), written: 0, duplicates: 0, refused: 0, queued: 0, ms: 0 };
      this.outcomes.set(activation.name, outcome);
    }
    return outcome;
  }

  /** Activations whose events this session already kept queued: they are not tried again in it. */
  readonly heldActivations = new Set<string>();

  /**
   * Events that stay queued for a reason the user must fix; the write ends Partial, with the
   * reason. `untilConfigured`: the fix is a change of the configuration (an activation removed,
   * pointed elsewhere), which no retry of the same process can make.
   */
  hold(events: number, reason: string | undefined, activation?: string, untilConfigured = false): void {
    this.begin();
    this.held += events;
    // A later slice of an activation held before comes without its reason: it is held as it was.
    if (activation !== undefined && reason === undefined) untilConfigured = this.untilConfiguredOf.get(activation) ?? untilConfigured;
    else if (activation !== undefined) this.untilConfiguredOf.set(activation, untilConfigured);
    if (untilConfigured) this.heldUntilConfigured += events;
    if (activation !== undefined) this.heldActivations.add(activation);
    // One notice per reason, counting every chunk and slice of the queue it held back (a later
    // chunk of a held activation comes without its reason: it adds to that activation's).
    const key = reason ?? (activation !== undefined ? this.heldReasons.get(activation) : undefined);
    if (key === undefined) return;
    if (activation !== undefined && reason !== undefined) this.heldReasons.set(activation, reason);
    const told = this.heldNotices.get(key);
    if (told) {
      told.count += events;
      this.record.notices[told.index] = stayQueued(told.count, key);
    } else {
      this.heldNotices.set(key, { index: this.record.notices.push(stayQueued(events, key)) - 1, count: events });
    }
  }

  /**
   * A drain of the queue is about to hold again, slice by slice, every queued event that cannot be
   * written yet: the ones this session queued itself among them (a run's events for a missing
   * schema). Its count is the one told: the counts so far start again from nothing.
   */
  recountHeld(): void {
    this.held = 0;
    this.heldUntilConfigured = 0;
    for (const told of this.heldNotices.values()) told.count = 0;
  }

  /** Each hold reason's notice (its place among the record's notices) and how many events it counts. */
  private readonly heldNotices = new Map<string, { index: number; count: number }>();
  /** Whether an activation's events were first held in this session until the configuration changes. */
  private readonly untilConfiguredOf = new Map<string, boolean>();
  /** The reason an activation's events were first held for in this session. */
  private readonly heldReasons = new Map<string, string>();

  /**
   * Connects now, as the first write would; a failure ends the session as a Failure. A drain of
   * the queue connects before it takes the queue's lock: a run holds its warehouse (a DuckDB file)
   * while it waits for that lock, and the other order left each waiting on the other.
   */
  async connected(): Promise<boolean> {
    this.begin();
    try {
      await this.open();
      return true;
    } catch (error) {
      this.fail(error);
      return false;
    }
  }

  /**
   * Queued events the warehouse refused on their own, where it wrote `took` others of their write
   * (`splitFailedWrite`): they stay queued, with its reason, and the write ends Partial.
   */
  holdRefused(activation: string, events: readonly ActionEvent[], error: unknown, took: number): void {
    const message = refusalReason(error, this.destination.secrets(this.warehouse.settings));
    const ids = events.slice(0, REFUSED_IDS_NAMED).map((e) => e.messageId).join(', ') + (events.length > REFUSED_IDS_NAMED ? ', …' : '');
    const which = events.length === 1 ? `event ${ids}` : `events ${ids}`;
    const others = took === 0 ? '' : ` while it took ${took === 1 ? 'the other event' : `the other ${took.toLocaleString('en-US')} events`} of their write`;
    this.hold(events.length, `activation "${activation}": the warehouse refused ${which}${others} (${message}); fix what it names in the table, then \`stowage flush\``);
  }

  /** Whether a write's error is one a row's data caused (`Driver.rowError`): only then is a write split to set the row apart. */
  rowError(error: unknown): boolean {
    return this.driver?.rowError?.(error) ?? false;
  }

  /** Whether the session failed on an error a row's data caused. */
  failedOnARow(): boolean {
    return this.error !== undefined && this.rowError(this.error);
  }

  /** Whether a write's error is one of its table (`Driver.tableError`): only that activation's events are then held back. */
  tableError(error: unknown): boolean {
    return this.driver?.tableError?.(error) ?? false;
  }

  /** Whether the session failed on an error of one activation's table, which need not hold back the others. */
  failedOnATable(): boolean {
    return this.error !== undefined && this.tableError(this.error);
  }

  /**
   * An activation whose table the warehouse refuses its write for (`tableError`): its events stay
   * queued, with the reason, and the rest of the session's writes go on without it.
   */
  holdTableRefused(activation: ActivationConfig, events: number, error: unknown): void {
    const message = refusalReason(error, this.destination.secrets(this.warehouse.settings));
    this.hold(events, `activation "${activation.name}": the warehouse refused its write to ${this.tableOf(activation)} (${message}); fix what it names, then \`stowage flush\``, activation.name);
  }

  /**
   * Whether the warehouse answers a trivial statement. After a failed write, it tells a warehouse
   * that is down, or a lost connection, from a warehouse that refused what it was given.
   */
  async answers(): Promise<boolean> {
    try {
      await this.open();
      await this.driver!.execute('SELECT 1');
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Starts the warehouse's checkpoint (where it has one) without waiting for it: called when the
   * session's writes have settled, so that it runs beside the profile state's commit. A failed
   * checkpoint is no failed write (what it would have moved is committed); close tries again.
   */
  checkpointSoon(): void {
    if (!this.begun || !this.driver?.checkpoint || this.checkpointing || this.error !== undefined) return;
    this.checkpointing = this.driver.checkpoint().catch(() => undefined);
  }

  private async settled(): Promise<void> {
    const pending = this.checkpointing;
    this.checkpointing = undefined;
    await pending;
  }

  /** Ends the session as a Failure: later writes are refused (their events go to the queue). */
  fail(error: unknown): void {
    this.error ??= error;
  }

  /**
   * The run this session wrote for failed (in the profile state, say), after its own writes: they
   * stand, and nothing is queued. The run is sent again, and writes the rest, none twice.
   */
  failRun(error: unknown): void {
    this.runError ??= error;
  }

  /**
   * Who held locks on the tables of the schemas this session writes when it failed waiting for one
   * (`Driver.busyError`), as a Classic sync tells them: the warehouse's words name no one. Best effort.
   */
  private async lockHolders(error: unknown): Promise<string[]> {
    const driver = this.driver;
    if (!driver?.lockHolders || !driver.busyError?.(error)) return [];
    const schemas = new Set(Object.values(this.space.activations).filter((a) => a.warehouse === this.warehouse.name).map((a) => a.schema ?? this.space.name));
    const holders: string[] = [];
    for (const schema of schemas) holders.push(...(await driver.lockHolders(schema).catch(() => [])));
    return holders;
  }

  async close(): Promise<FlushResult> {
    const { record } = this;
    if (!this.begun) {
      await this.warming;
      await this.driver?.close().catch(() => undefined);
      return { record, space: this.space.name, activations: [] };
    }
    // A reason whose events the drain found written or gone after all holds none.
    const emptied = new Set([...this.heldNotices.values()].filter((t) => t.count === 0).map((t) => t.index));
    if (emptied.size > 0) record.notices = record.notices.filter((_, i) => !emptied.has(i));
    if (this.writer) {
      record.duplicates = this.writer.totals.duplicates;
      record.casts = this.writer.totals.casts;
      record.rejects = this.writer.totals.rejects;
      record.notices.push(...this.writer.totals.notices);
    }
    if (this.error !== undefined) {
      record.status = 'Failure';
      const message = `${(this.error as Error)?.message ?? String(this.error)}${heldBy(await this.lockHolders(this.error))}`;
      record.error = `${redact(message, this.destination.secrets(this.warehouse.settings))} (the events not written stay queued: \`stowage flush\` writes them, as does the next run of an activated computation of the space)`;
    } else if (this.runError !== undefined) {
      // Not Success: the run's changes are not all written, and will be only when it is sent again.
      record.status = 'Failure';
      const message = (this.runError as Error)?.message ?? String(this.runError);
      // Events kept queued for a reason (a missing schema) stay so: the notices say how many, and why.
      const queued = this.held > 0 ? `; the ${this.held.toLocaleString('en-US')} it kept queued stay so, as the notices say` : ', none is queued';
      record.error = `the run failed: ${redact(message, this.destination.secrets(this.warehouse.settings))} (its ${record.calls} events written stand${queued}: sending the run again writes the rest, and none of these twice)`;
    } else {
      record.status = this.refused > 0 || this.held > 0 || record.rejects > 0 ? 'Partial' : 'Success';
    }
    if (this.refused > NOTICED_REFUSALS) record.notices.push(`… and ${this.refused - NOTICED_REFUSALS} more events not written`);
    await this.settled();
    await this.countQueued();
    // A connection still being made, or its catalog read (started by openSoon), ends before the
    // connection closes: closing under a running statement would crash the engine.
    await this.warming;
    await this.opening?.catch(() => undefined);
    await this.driver?.close().catch(() => undefined);
    record.endedAt = new Date().toISOString();
    delete record.pid;
    this.history.recordEnd(record, 'the events counted here were written, and those not written stay queued for `stowage flush` (or the next run of an activated computation of the space)');
    const made = this.writer?.made ?? new Set<string>();
    const madeFor = Object.values(this.space.activations)
      .filter((a) => a.warehouse === this.warehouse.name && made.has(`${a.schema ?? this.space.name}\u0000${this.names.column(a.table)}`))
      .map((a) => a.name);
    // Every event left held for the configuration alone: the queue as the drain left it, so that a
    // retrier waits for new events (or another configuration) rather than write these again.
    const waiting = this.error === undefined && this.runError === undefined && this.held > 0 && this.held === this.heldUntilConfigured && this.queueEnd !== undefined;
    return { record, space: this.space.name, activations: [...this.outcomes.values()], ...(madeFor.length > 0 ? { madeFor } : {}), ...(waiting ? { heldUntilConfigured: { events: this.held, queueEnd: this.queueEnd! } } : {}) };
  }

  /** The queue's end once the drain put back the events it held, read holding the queue's lock. */
  queueEndAfterDrain(end: string): void {
    this.queueEnd = end;
  }
}

/** The notice of events held back for a reason: `1 event stays queued: …`, `40,000 events stay queued: …`. */
const stayQueued = (events: number, reason: string): string => `${events.toLocaleString('en-US')} ${events === 1 ? 'event stays' : 'events stay'} queued: ${reason}`;

/**
 * A payload whose mapping left a column of the activation without a value (`@path` to an
 * anonymous member's user id) holds it as null: the column is still the mapping's, and the
 * leaves of another mapped object are not flattened into it (`ActionWriter.placeProperties`).
 */
function withDeclaredColumns(payload: Record<string, unknown>, declared: readonly string[]): Record<string, unknown> {
  const properties = payload.properties;
  if (typeof properties !== 'object' || properties === null || Array.isArray(properties)) return payload;
  let filled: Record<string, unknown> | undefined;
  for (const key of declared) {
    // A function found through an object's prototype (`@path` to `constructor`, a key the context lacks) is nothing too.
    const value = (properties as Record<string, unknown>)[key];
    if (value !== undefined && typeof value !== 'function') continue;
    filled ??= { ...(properties as Record<string, unknown>) };
    filled[key] = null;
  }
  return filled ? { ...payload, properties: filled } : payload;
}
