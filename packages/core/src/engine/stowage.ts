import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Cron } from 'croner';
import type { Call } from '../calls/call.js';
import { acceptLine, LineTooLong, MAX_CALL_BYTES, tooBig } from '../calls/validate.js';
import { utf8Problem } from '../calls/utf8.js';
import { callsFromChange } from '../classic/calls-from-change.js';
import { CLASSIC_DEFAULTS, STATE_FILE, type ActivationConfig, type ComputationConfig, type SpaceConfig, type StowageConfig, type WarehouseConfig } from '../config/config.js';
import type { ConnectContext, Destination } from '../contract/destination.js';
import { unsupportedCapabilities } from '../contract/capabilities.js';
import { History, type SyncRecord } from '../history/history.js';
import { redact } from '../history/redact.js';
import { addCount, countOf } from '../history/table-counts.js';
import { CallLog, type LogBatch } from '../log/call-log.js';
import { parseRunHeader, RunFormatError } from '../runs/parse.js';
import { ConfigError } from '../config/load.js';
import { StowageError, UsageError } from './errors.js';
import { withFileLock } from '../log/file-lock.js';
import { failpoint } from '../testing/failpoint.js';
import { comparePositions, LOG_START, type LogPosition } from '../log/position.js';
import { inTurn } from '../process/turns.js';
import { kindChangedMessage, kindsOtherThan, type ApplyOptions, type Change, type ChangeSink, type ProfileStore, type RunHeader, type RunOutcome, type RunProfile } from '../runs/run.js';
import { stateOwner } from './state-owner.js';
import { TableWriter, type EarlierWriterOf, type WriteResult } from '../writer/table-writer.js';
import type { LatestRefreshCounts } from '../writer/latest-refresh.js';
import { ledgerId } from '../writer/internal-tables.js';
import { OtherStateError, type StateClaim } from '../writer/state-claims.js';
import { ColumnNamer } from '../naming/column-namer.js';
import { snakeCase } from '../naming/snake-case.js';
import type { Driver } from '../contract/driver.js';
import { IdsOfEmptyTables, lookPays, type SyncKeys } from '../writer/sync-keys.js';
import { messageIds } from '../classic/message-ids.js';
import { USERS } from '../classic/tables.js';
import { notATable } from '../classic/not-a-table.js';
import { failedTable } from '../writer/failed-table.js';
import { eventTablesCut } from '../classic/event-tables-cut.js';
import { ClassicBatcher } from './classic-batch.js';
import { ActivationMarkers } from './activation-markers.js';
import { RunMarks, type ReceivedRun, type RunsByComputation } from './run-marks.js';
import { RunValueTypes } from './value-types.js';
import { prefetch } from './prefetch.js';
import { BatchesApplied } from './batches-applied.js';
import { readRefusedCalls, writeRefusedBatch, type RefusedBatch } from './refused-calls.js';
import { BusyRetries, heldBy } from './busy-retries.js';
import { catchUpLoadedKeys, LookFailed, loadedKeysDir, lookUpThroughIndex, openLoadedKeys, rebuildLoadedKeys, type IndexedWindow } from './loaded-keys-look.js';
import { LoadedKeys } from '../loaded-keys/index.js';
import { refusalReason } from '../writer/refusal-reason.js';
import { WriteLane } from './write-lane.js';
import { runProgress, type RunProgress } from './run-progress.js';
import { StorageActionsPath, type ActivationOutcome, type FlushResult, type StrandedEvents } from './storage-actions.js';
import type { ActionWriteSession } from './action-write-session.js';
import type { RunIdsLook } from '../actions/action-writer.js';
import { makeFolder } from '../process/make-folder.js';
import { fullDiskAdvice } from '../process/full-disk.js';
import { guardedCallback } from './progress-callback.js';
import { triggerOf } from './trigger.js';

export interface StowageOptions {
  destinations: ReadonlyMap<string, Destination>;
  /**
   * Opens the profile state store (the embedded one by default), waiting up to `waitMs` for
   * another process that holds it (the store's own default where not given).
   */
  openProfileStore: (stateDir: string, options?: { waitMs?: number; waitInAllMs?: number }) => Promise<ProfileStore>;
  /**
   * Message ids a Classic sync looks up at once where tables have no key index (default
   * 2,000,000); tests make it small, so that a sync crosses windows.
   */
  keyWindow?: number;
  /** Where there is no index of loaded ids, look a Classic sync's message ids up once per window even where it does not pay (`lookPays`): tests of the look itself. */
  alwaysLookUpKeys?: boolean;
  /** Pauses before a write the warehouse was too busy for is tried again (`BUSY_DELAYS_MS`); tests make them short. */
  busyDelaysMs?: readonly number[];
  /**
   * Told when a session of a warehouse waits for another process that holds it (a DuckDB file a
   * sync or another run's write has open), with that process where known: the `stowage` command
   * says so on stderr, where a run seemed to stall.
   */
  onWarehouseWait?: (warehouse: string, holder: string | undefined) => void;
}

export interface SyncProgress {
  warehouse: string;
  space: string;
  calls: number;
  rows: number;
  elapsedMs: number;
  /**
   * Set while the sync looks up the message ids of about this many calls in the tables, before
   * their batches (where tables have no key index): a pass over each table, which takes a while
   * in tables of many rows.
   */
  lookingUp?: number;
}

/** How far a flush got in one space's queue: the queued events handled (written, refused or kept queued). */
export interface FlushProgress {
  warehouse: string;
  space: string;
  events: number;
  elapsedMs: number;
}

export interface FlushOptions {
  onProgress?: (p: FlushProgress) => void;
  /** The history's trigger for the writes: `manual` unless given (`serve` retries as `retry`). */
  trigger?: string;
  /** Only the spaces whose queue holds events: no empty write in the history for the others. */
  onlyQueued?: boolean;
}

export interface IngestResult {
  accepted: number;
  rejected: number;
  /** The first problems, with their line numbers (all of them are counted in `rejected`). */
  errors: Array<{ line: number; error: string }>;
}

export { StowageError, UsageError } from './errors.js';

/** Calls ingested per append (one fsync), or fewer when they take this many characters: wide calls hold many values each. */
const INGEST_BATCH = 10_000;
const INGEST_BATCH_CHARS = 8 * 1024 * 1024;

/** The run mark of a computation whose runs were applied before run marks were kept: unknown. */
const BEFORE_RUN_MARKS = '(before run marks)';

/** What a sync (or a run) says when it sent a warehouse the current state for want of a record of the runs it received. */
function sentAgainNotice(space: string, computations: readonly string[]): string {
  return `space "${space}" kept no record yet of the runs each warehouse received (an install from before they were kept): the current state of ${computations.join(', ')} was sent again once; calls already loaded are skipped as duplicates`;
}

/**
 * Classic batches prepared ahead of the one being applied. A prepared batch is its load files on
 * disk, not rows in memory, so holding a few costs little; they keep the client working while the
 * warehouse takes longer over one batch, instead of waiting for it. The longest such wait is
 * DuckDB's checkpoint, once its WAL reaches 256 MB: ~2 s in a sync of 1,000,000 calls, eight
 * batches' client work (with three, the client sat idle 1.5 s of it, and the sync took 1 s more).
 */
const PREPARED_AHEAD = 8;

/**
 * Message ids a sync looks up at once, where tables have no key index: the look reads each table
 * once per window, and holds the window's ids staged (about 50 bytes each in the warehouse's
 * hash of them) meanwhile. Through the index, a window's hashes are held in memory (8 bytes an
 * id; 16 to 32 in the set of a sync into tables that hold no id yet).
 */
const KEY_WINDOW = 2_000_000;

/** The classic tables not keyed on the message id: `users` is keyed on the user id. */
const KEYLESS_TABLES: ReadonlySet<string> = new Set([USERS]);

/** Message ids per load file of the look. */
const KEY_LOT = 100_000;

/** What a logged call takes, on average, to tell from the log's bytes how many a sync brings (the benchmark's: ~470). */
const CALL_BYTES = 500;

/** What applying a run did: the diff, the Classic calls logged, and the Storage Actions writes. */
export interface RunResult extends RunOutcome {
  /** Calls logged for the Classic syncs of the space's warehouses. */
  calls: number;
  /** Storage Actions events queued (and then written, see `activations`). */
  events: number;
  /** Per activation: events written and refused, and the time the write took. */
  activations: ActivationOutcome[];
  /** The history records of the writes (one per warehouse). */
  writes: SyncRecord[];
  /** What the run did besides (a warehouse's Classic state logged again after an upgrade). */
  notices: string[];
}

/**
 * The runtime: takes runs and calls, keeps them durably, and syncs them into warehouses.
 * Data flows one way: run → changes → calls (log) → rows → table writer → destination.
 */
export class Stowage {
  readonly history: History;
  private readonly actions: StorageActionsPath;

  private readonly runMarks: RunMarks;
  private readonly valueTypes: RunValueTypes;
  private readonly markers: ActivationMarkers;

  constructor(
    readonly config: StowageConfig,
    private readonly options: StowageOptions,
  ) {
    // Of the types the configuration's warehouses name only: one registered beside them (`useDestination`, a package another configuration loaded) is not used here.
    const unsupported = Object.values(config.warehouses).flatMap((w) => {
      const destination = options.destinations.get(w.type);
      return destination ? unsupportedCapabilities(w.type, destination.capabilities).map((why) => `/warehouses/${w.name}/type: ${why}`) : [];
    });
    if (unsupported.length > 0) throw new ConfigError(unsupported);
    this.history = new History(join(config.stateDir, 'history.ndjson'));
    this.runMarks = new RunMarks(config.stateDir);
    this.valueTypes = new RunValueTypes(config.stateDir);
    this.markers = new ActivationMarkers(config.stateDir);
    this.actions = new StorageActionsPath(config, options.destinations, this.history, (warehouse) => this.earlierWriter(warehouse), (warehouse) => this.connectContext(warehouse));
  }

  /** What a destination's `connect` is given for a warehouse: the configuration's folder, and whom to tell of a wait. */
  private connectContext(warehouse: WarehouseConfig): ConnectContext {
    const told = this.options.onWarehouseWait;
    return { root: this.config.root, ...(told ? { onWait: (holder: string | undefined) => told(warehouse.name, holder) } : {}) };
  }

  /** The profile state, opened once: two engines on one file in one process would each commit over the other. */
  private profileStore(options?: { waitMs?: number; waitInAllMs?: number }): Promise<ProfileStore> {
    const lost = this.opening ? undefined : this.stateLost();
    if (lost) return Promise.reject(new StowageError(lost));
    this.opening ??= this.options.openProfileStore(this.config.stateDir, options).catch((error: unknown) => {
      this.opening = undefined;
      throw error;
    });
    return this.opening;
  }

  /**
   * Why the profile state must not be opened, or undefined: its file is empty while the folder
   * records runs it applied. An empty file is made again (a first make cut short by a full disk);
   * here it would begin a new state, with an epoch of its own, silently: every member entered
   * again, under message ids no warehouse holds (`: > state.duckdb`, a copy that failed).
   */
  private stateLost(): string | undefined {
    const path = join(this.config.stateDir, STATE_FILE);
    if (!existsSync(path) || statSync(path).size > 0) return undefined;
    const marks = this.runMarks.anyApplied();
    if (!marks) return undefined;
    return (
      `the profile state ${path} is empty, while this state folder records runs it applied (${marks}): its content was lost. Made again, it would begin a new state, and send every member and value again as new. Nothing was changed. ` +
      `Put back the ${STATE_FILE} (with its contexts-*.texts) from a backup; or begin a new state on purpose: move ${this.config.stateDir} aside, \`stowage claim <warehouse>\` for each warehouse, then send each computation's current run again (docs/architecture.md#the-state-folder)`
    );
  }

  /** The profile state being opened, or open (`profileStore`). */
  private opening?: Promise<ProfileStore>;

  /** The end of the last operation on the profile state that was handed a turn (`withState`). */
  private stateTurn: Promise<unknown> = Promise.resolve();

  /**
   * Runs `fn` with the profile state to itself: a run, a backfill, closing. The state applies one
   * run at a time, in one transaction of its one connection: two at once in one process would
   * share it, and each lose the other's state (or a sync's close would end it under a run).
   */
  private withState<T>(fn: () => Promise<T>): Promise<T> {
    const turn = this.stateTurn.then(fn, fn);
    this.stateTurn = turn.catch(() => undefined);
    return turn;
  }

  /** The end of the last Storage Actions write handed a turn (`withActions`). */
  private actionsTurn: Promise<unknown> = Promise.resolve();

  /**
   * Runs `fn` with this instance's Storage Actions writes to itself: a run's and a flush of the
   * queue may write the same events, and each would look past the other's uncommitted rows (two
   * sessions of one process on a DuckDB file are two engines, too). Apart from `withState`, so
   * that a long flush keeps no sync's backfill waiting. Other processes' writes take turns in the
   * warehouse (`Driver.serializeWrites`).
   */
  private withActions<T>(fn: () => Promise<T>): Promise<T> {
    const turn = this.actionsTurn.then(fn, fn);
    this.actionsTurn = turn.catch(() => undefined);
    return turn;
  }

  log(warehouse: string, space: string): CallLog {
    return new CallLog(join(this.config.stateDir, 'log', warehouse, space));
  }

  private warehousesOf(space: string): WarehouseConfig[] {
    return Object.values(this.config.warehouses).filter((w) => w.spaces.includes(space));
  }

  /** A space named on the command line for a warehouse: one the configuration has, and the warehouse loads. */
  private servedSpace(warehouse: WarehouseConfig, space: string): void {
    if (!Object.hasOwn(this.config.spaces, space)) throw new UsageError(`No space named "${space}"; configured: ${Object.keys(this.config.spaces).join(', ')}`);
    if (!warehouse.spaces.includes(space)) throw new UsageError(`Warehouse "${warehouse.name}" does not serve space "${space}"; ${warehouse.spaces.length === 0 ? 'it serves none ("spaces": [])' : `it serves: ${warehouse.spaces.join(', ')}`}`);
  }

  warehouse(name: string): WarehouseConfig {
    // Own keys only: `toString` or `constructor` is no warehouse (read as one, a TypeError, or a sync recorded under "Object").
    const w = Object.hasOwn(this.config.warehouses, name) ? this.config.warehouses[name] : undefined;
    if (!w) throw new UsageError(`No warehouse named "${name}"; configured: ${Object.keys(this.config.warehouses).join(', ')}`);
    return w;
  }

  /**
   * Diffs a run against the profile state; logs the resulting calls for the Classic sync of every
   * warehouse, and queues the events of every activation of the computation, which are then
   * written at once (Storage Actions). Returns, per activation, what was written and how long it took.
   */
  async applyRun(header: Pick<RunHeader, 'space' | 'computation' | 'id'> & Partial<Pick<RunHeader, 'kind' | 'completedAt'>>, profiles: AsyncIterable<RunProfile[]> | Iterable<RunProfile[]>, opts: { onProgress?: (p: RunProgress) => void } & ApplyOptions = {}): Promise<RunResult> {
    // A header made in code is read as a run file's is: defaults filled in, a bad field refused
    // before anything is applied (a kind or a time misspelt would change what the run says).
    const checked = parseRunHeader(header);
    // Said before anything is done: found as the run is staged, it was a bare TypeError, after a new activation had queued its members.
    const iterable = profiles as unknown as { [Symbol.asyncIterator]?: unknown; [Symbol.iterator]?: unknown } | null | undefined;
    if (typeof iterable?.[Symbol.asyncIterator] !== 'function' && typeof iterable?.[Symbol.iterator] !== 'function') {
      throw new RunFormatError(`The run's profiles must come in chunks: an iterable of arrays of profiles (\`[[p1, p2], [p3]]\`, or an async generator yielding arrays), not ${iterable === null ? 'null' : typeof iterable}; nothing of this run was applied`);
    }
    // Runs of one instance wait for each other (and for a sync's backfill); other processes wait for the state file.
    // Its turn at the Storage Actions writes taken as it is called, before its turn at the state.
    const guarded = { ...opts, onProgress: guardedCallback(opts.onProgress) };
    return this.withActions(() => this.withState(() => this.applyRunNow(checked, profiles, guarded)));
  }

  private async applyRunNow(header: RunHeader, profiles: AsyncIterable<RunProfile[]> | Iterable<RunProfile[]>, opts: { onProgress?: (p: RunProgress) => void } & ApplyOptions): Promise<RunResult> {
    // Own keys only: a header naming `constructor` or `toString` is a space or computation not configured, not a TypeError.
    const space = Object.hasOwn(this.config.spaces, header.space) ? this.config.spaces[header.space] : undefined;
    if (!space) throw new StowageError(`Unknown space "${header.space}"; configured: ${Object.keys(this.config.spaces).join(', ')}`);
    const computation = Object.hasOwn(space.computations, header.computation) ? space.computations[header.computation] : undefined;
    if (!computation) {
      throw new StowageError(`Unknown computation "${header.computation}" in space "${header.space}"; configured: ${Object.keys(space.computations).join(', ') || 'none'}`);
    }
    const store = await this.profileStore();
    const behind = await this.stateBehindMarks(store, header.space);
    if (behind) throw new StowageError(`run ${header.id} of ${header.space}/${header.computation} was not applied: ${behind}`);
    // Before any of its calls is logged: a sync in another process may load them while it runs.
    this.valueTypes.record(header.space, computation);
    const notices: string[] = [];
    for (const w of this.warehousesOf(header.space)) {
      const caught = await this.ensureBackfilled(w, header.space);
      // The sync that loads these calls has nothing left to catch up: the run tells it.
      if (caught.unmarked && caught.sentAgain.length > 0) notices.push(`warehouse "${w.name}": ${sentAgainNotice(header.space, caught.sentAgain)} (logged for its next sync)`);
    }
    const activations = this.actions.activationsOf(space, computation.key);
    if (this.warehousesOf(header.space).length === 0 && activations.length === 0) {
      notices.push(`no warehouse loads space "${header.space}" (none lists it in its "spaces") and no activation writes computation "${computation.key}": the run's changes are kept in the profile state only; a warehouse that loads the space later is sent its current state first`);
    }
    const sessions = new Map<string, ActionWriteSession>();
    const session = (warehouse: string) => {
      let s = sessions.get(warehouse);
      if (!s) sessions.set(warehouse, (s = this.actions.open(this.warehouse(warehouse), space, `run ${header.id}`)));
      return s;
    };
    let events = 0;
    /** Activations that queued their current members again for a table the warehouse lost, and what is said of it. */
    const requeued = new Set<string>();
    const lostTables: string[] = [];
    /** Activations whose table held rows before this run wrote: only theirs, made by it, was made again. */
    const heldBefore = this.markers.heldOf(space);
    let calls = 0;
    /** Current values restated to identifiers profiles gained (`ChangeSink.restate`), and their profiles. */
    let restated = 0;
    const restatedProfiles = new Set<string>();
    // Where else than among the rows of their own time the run's message ids may be, if anywhere (ChangeSink.alsoAt); alsoAt undefined: anywhere.
    let look: RunIdsLook = {};
    const progress = runProgress(header, opts.onProgress);
    // One lane per warehouse: its writes run in order, while the diff streams the next changes.
    const lanes = new Map<string, WriteLane>();
    const lane = (warehouse: string) => {
      let l = lanes.get(warehouse);
      if (!l) lanes.set(warehouse, (l = new WriteLane()));
      return l;
    };
    const sink: ChangeSink = {
      emit: async (changes) => {
        progress.changes(changes.length);
        const receivedAt = new Date().toISOString();
        for (const [warehouse, settings] of Object.entries(computation.warehouses)) {
          const batch = changes.flatMap((change) => callsFromChange(change, computation, settings, space.id, receivedAt));
          await this.log(warehouse, header.space).append(batch);
          calls += batch.length;
        }
        // Written now, before the state commits (a replay writes the same message ids, once);
        // queued instead when the warehouse fails, so that the run itself goes through.
        // The client's share of a chunk's write is done here, while the lane runs the previous
        // chunk's statements (on the warehouse's thread or server); the lane then runs this one's.
        for (const [warehouse, byActivation] of this.actions.eventsFor(space, activations, changes)) {
          for (const list of byActivation.values()) events += list.length;
          const s = session(warehouse);
          const writes = await this.actions.prepareWrites(s, byActivation, look);
          await lane(warehouse).submit(async () => progress.events(await this.actions.commitOrQueue(s, warehouse, space, writes)));
        }
      },
      alsoAt: (times, unseen, knownUntil) => {
        look = { alsoAt: times, unseen, knownUntil };
      },

      settle: async () => {
        // Noted before the state commits, not after: a process killed in between left the
        // activation taking its table for up to date once configured again, and the members who
        // entered in this run never got a row. A commit that then fails leaves a run noted that
        // was not applied: the activation, configured again, starts over all the same.
        this.markers.missedBy(space, computation.key, header.id);
        for (const l of lanes.values()) await l.settle();
        // The warehouses checkpoint what the run wrote while the profile state commits.
        for (const s of sessions.values()) s.checkpointSoon();
        progress.phase('committing');
      },
    };
    // Only where an audience or computed trait of the space goes to a warehouse: the look for profiles that gained ids costs a join.
    const classic = Object.values(space.computations).filter((c) => c.type === 'audience' || c.type === 'trait').flatMap((c) => Object.values(c.warehouses));
    if (classic.length > 0) {
      sink.restateIds = { anonymous: classic.some((s) => s.includeAnonymous), mobile: classic.some((s) => s.includeMobileIds) };
      sink.restate = async (changes) => {
        const receivedAt = new Date().toISOString();
        const byWarehouse = new Map<string, Call[]>();
        for (const change of changes) {
          const of = space.computations[change.computation];
          if (!of || (of.type !== 'audience' && of.type !== 'trait')) continue;
          // Identify calls alone: `users` takes the value; the entry or change is no event of now.
          // None where every warehouse of the computation has `identify` off: none is told of.
          let sent = false;
          for (const [warehouse, settings] of Object.entries(of.warehouses)) {
            const made = callsFromChange(change, of, { ...settings, track: false }, space.id, receivedAt);
            if (made.length === 0) continue;
            sent = true;
            let list = byWarehouse.get(warehouse);
            if (!list) byWarehouse.set(warehouse, (list = []));
            list.push(...made);
          }
          if (!sent) continue;
          restated++;
          restatedProfiles.add(change.profile.profileId);
        }
        for (const [warehouse, batch] of byWarehouse) {
          await this.log(warehouse, header.space).append(batch);
          calls += batch.length;
        }
      };
    }
    try {
      // A new activation starts with an entered row for every current member (queued, written
      // after the run), and so does one whose table the warehouse lost. Inside the try: the
      // sessions the look at the tables opened are closed, whatever fails.
      for (const activation of activations) events += await this.ensureActivated(space, activation, { lacksTable: () => session(activation.warehouse).lacksTable(activation), notices: lostTables, requeued });
      notices.push(...lostTables);
      // Each warehouse an activation of the computation writes to is opened while the run is staged and diffed.
      for (const warehouse of new Set(activations.map((a) => a.warehouse))) session(warehouse).openSoon();
      const outcome = await store.applyRun(header, computation.type, progress.counting(profiles), sink, { abandonInterrupted: opts.abandonInterrupted });
      if (outcome.abandoned) {
        notices.push(
          `applied over the interrupted attempt${outcome.abandoned.length === 1 ? ` of run ${outcome.abandoned[0]}` : `s of runs ${outcome.abandoned.join(', ')}`} (--abandon-interrupted, the library's abandonInterrupted): the changes ${outcome.abandoned.length === 1 ? 'it' : 'they'} handed on stay in the Classic log and activations' tables, though the state never took them`,
        );
      }
      if (outcome.notices) notices.push(...outcome.notices);
      if (restated > 0) {
        const profiles = restatedProfiles.size === 1 ? '1 profile' : `${restatedProfiles.size} profiles`;
        notices.push(`${profiles} gained a userId, an anonymous id or a mobile id: ${restated === 1 ? '1 current value' : `${restated} current values`} of audiences and computed traits sent to the ids they now have, as identify calls (logged for the next sync)`);
      }
      if (outcome.applied) {
        this.runMarks.applied(header.space, computation.key, header.id, store.epoch, Object.keys(computation.warehouses), header.completedAt);
      }
      const results: FlushResult[] = [];
      for (const warehouse of new Set(activations.map((a) => a.warehouse))) {
        if (!this.actions.pending(warehouse, space.name)) continue;
        let s = session(warehouse);
        // A write failed the run's session on a row the warehouse refused, or on one activation's
        // table, and the warehouse still answers. The queue is written now, in a session of its
        // own, where the events it refuses on their own, and the activations whose table refuses
        // their write, are told from the others, which land right after their run. The failed
        // session is closed first: two sessions open on one DuckDB file in one process are two
        // engines, and the first to close would checkpoint over the other's commits.
        if (s.failed && (s.failedOnARow() || s.failedOnATable()) && (await s.answers())) {
          const failed = await s.close();
          if (s.used) results.push(failed);
          sessions.set(warehouse, (s = this.actions.open(this.warehouse(warehouse), space, `run ${header.id} (its queue, after a failed write)`)));
        }
        await this.actions.drain(s, this.warehouse(warehouse), space);
      }
      for (const s of sessions.values()) {
        const result = await s.close();
        if (s.used) results.push(result);
      }
      sessions.clear();
      if (!outcome.applied) this.endInterruptedWrites(header, space, new Set(activations.map((a) => a.warehouse)), outcome.appliedAt);
      const outcomes = mergeOutcomes(results.flatMap((r) => r.activations));
      this.markWrites(space, results, heldBefore, requeued);
      return { ...outcome, calls, events, activations: outcomes, writes: results.map((r) => r.record), notices };
    } catch (error) {
      // The run failed: what its writes committed lands once when it is applied again, but
      // the history must not call them a success.
      for (const s of sessions.values()) s.failRun(error);
      // A lost table it found stays found (its members are queued again, and the next run
      // writes them as it would a new activation's, saying nothing): said now, or never.
      if (lostTables.length > 0 && error instanceof Error) error.message = `${error.message} (before it failed, the run found: ${lostTables.join('; ')})`;
      throw error;
    } finally {
      // A failed run may leave a write running: it ends before its session closes.
      await Promise.allSettled([...lanes.values()].map((l) => l.settle()));
      for (const s of sessions.values()) await s.close();
    }
  }

  /**
   * The write of a run found applied before that shows as interrupted, where its process stopped
   * after the profile state took the run, before its record ended. The state takes a run only
   * once each of its events is written or durably queued, and the queue has just been written
   * (`applyRunNow`), so that record ends now as what it was, saying how it was found. Only the
   * attempt that applied the run: per warehouse, the last to start before the state took it
   * (`appliedAt`; attempts of a run take turns). An attempt killed before that, and sent again,
   * did not apply it: its record stays interrupted.
   */
  private endInterruptedWrites(header: RunHeader, space: SpaceConfig, warehouses: ReadonlySet<string>, appliedAt?: string): void {
    const attempts = this.history.list().filter((r) => r.path === 'storage-actions' && r.trigger === `run ${header.id}` && warehouses.has(r.warehouse));
    const applier = new Map<string, SyncRecord>();
    for (const r of attempts) {
      if (appliedAt !== undefined && r.startedAt > appliedAt) continue;
      const latest = applier.get(r.warehouse);
      if (!latest || r.startedAt >= latest.startedAt) applier.set(r.warehouse, r);
    }
    for (const { error, ...record } of attempts) {
      if (applier.get(record.warehouse)?.id !== record.id || !error?.startsWith('interrupted:')) continue;
      const queued = this.actions.pending(record.warehouse, space.name);
      this.history.record({
        ...record,
        status: queued || record.rejects > 0 ? 'Partial' : 'Success',
        // No end time: when it ended is not known, and the time it was found would make a duration of it.
        notices: [...record.notices, `its process stopped after run ${header.id} was applied, before this record ended (found when the run was sent again): every event of the run was written${queued ? ', or is queued for `stowage flush`' : ''}`],
      });
    }
  }

  /**
   * Storage Actions queues holding events for a warehouse or space no longer configured: nothing
   * writes them until it is configured again under that name (then `flush` writes them).
   */
  strandedQueues(): Array<{ warehouse: string; space: string }> {
    return this.actions.stranded();
  }

  /** Events queued, for a configured warehouse and space, by activations no longer configured (renamed, removed): no flush writes them until one of that name is again. */
  strandedActivations(): Promise<StrandedEvents[]> {
    return this.actions.strandedActivations();
  }

  /**
   * Classic call logs of a warehouse no longer configured, or of a space it no longer loads
   * (renamed, removed): nothing syncs them until it is configured again under that name. Each with
   * its folder and the bytes it holds: loaded calls are pruned as syncs go, but not the last
   * segment's, and which are loaded only the warehouse's ledger says, so they may all be.
   */
  strandedLogs(): Array<{ warehouse: string; space: string; dir: string; bytes: number }> {
    const root = join(this.config.stateDir, 'log');
    if (!existsSync(root)) return [];
    const out: Array<{ warehouse: string; space: string; dir: string; bytes: number }> = [];
    // What cannot be read now (a folder removed meanwhile, one this process may not read) is passed over: this only informs.
    const folders = (dir: string) => {
      try {
        return readdirSync(dir).filter((name) => statSync(join(dir, name)).isDirectory());
      } catch {
        return [];
      }
    };
    for (const warehouse of folders(root)) {
      for (const space of folders(join(root, warehouse))) {
        if (Object.hasOwn(this.config.warehouses, warehouse) && this.config.warehouses[warehouse]!.spaces.includes(space)) continue;
        const dir = join(root, warehouse, space);
        let bytes = 0;
        try {
          bytes = CallLog.bytesAt(dir);
        } catch {
          continue;
        }
        if (bytes > 0) out.push({ warehouse, space, dir, bytes });
      }
    }
    return out;
  }

  /**
   * Writes the Storage Actions events queued for a warehouse (a retry after a failed write): for
   * each space with an activation on it, or with only the spaces whose queue holds events
   * (`onlyQueued`). Recorded in the history under `trigger` (default `manual`).
   */
  async flush(warehouseName: string, opts: FlushOptions = {}): Promise<FlushResult[]> {
    const warehouse = this.warehouse(warehouseName);
    const trigger = triggerOf('flush', opts.trigger);
    return this.withActions(() => this.flushNow(warehouse, { ...opts, trigger, onProgress: guardedCallback(opts.onProgress) }));
  }

  private async flushNow(warehouse: WarehouseConfig, opts: FlushOptions): Promise<FlushResult[]> {
    const results: FlushResult[] = [];
    for (const space of Object.values(this.config.spaces)) {
      const queued = this.actions.pending(warehouse.name, space.name);
      // A space whose activations all write elsewhere now may still hold events queued for this warehouse.
      if (opts.onlyQueued ? !queued : !this.actions.warehousesOf(space).includes(warehouse.name) && !queued) continue;
      const started = Date.now();
      let events = 0;
      const onRead = opts.onProgress && ((n: number) => opts.onProgress!({ warehouse: warehouse.name, space: space.name, events: (events += n), elapsedMs: Date.now() - started }));
      const heldBefore = this.markers.heldOf(space);
      const result = await this.actions.flush(warehouse, space, opts.trigger ?? 'manual', onRead);
      this.markWrites(space, [result], heldBefore);
      results.push(result);
    }
    return results;
  }

  /** Where the Storage Actions queue of a warehouse and space ends (`FlushResult.heldUntilConfigured`): it moves as events are queued. */
  queueEnd(warehouseName: string, space: string): string {
    const warehouse = this.warehouse(warehouseName);
    // A space misspelt had no queue, and its end, '', differed from any flush's: a service retried it for ever.
    if (!Object.hasOwn(this.config.spaces, space)) throw new UsageError(`No space named "${space}"; configured: ${Object.keys(this.config.spaces).join(', ')}`);
    return this.actions.queueEnd(warehouse.name, space);
  }

  /** The configured spaces whose Storage Actions queue for a warehouse holds events (a few file reads, no warehouse). */
  queuedSpaces(warehouseName: string): string[] {
    const warehouse = this.warehouse(warehouseName);
    return Object.keys(this.config.spaces).filter((space) => this.actions.pending(warehouse.name, space));
  }

  /**
   * An activation's first run writes an entered row for every current member of its computation:
   * queued once, before the run's own changes, with the ids of the changes that made them members.
   */
  private ensureActivated(space: SpaceConfig, activation: ActivationConfig, lost: { lacksTable: () => Promise<boolean>; notices: string[]; requeued: Set<string> }): Promise<number> {
    // One start at a time per state folder in this process: two instances on one folder each read
    // the marker unset and each queued every member (other processes wait for the profile state).
    return inTurn(`activation:${this.config.stateDir}`, () => this.ensureActivatedNow(space, activation, lost));
  }

  private async ensureActivatedNow(space: SpaceConfig, activation: ActivationConfig, lost: { lacksTable: () => Promise<boolean>; notices: string[]; requeued: Set<string> }): Promise<number> {
    // The marker is read holding the profile state: another process's run, which held it, has
    // written its start by then (read before, it was unset for both, and both queued the members).
    const store = await this.profileStore();
    const mark = this.markers.read(space.name, activation);
    const where = `${activation.schema ?? space.name}.${activation.table}`;
    const lostWhy = `warehouse "${activation.warehouse}" had lost its table ${where} (dropped, or the database replaced${mark.madeAgain ? '; found when another write made it again' : ''})`;
    // Configured again after runs of its computation were applied without it: its table has no
    // row of them. It starts over with its current members, as a new activation does; those its
    // table holds already keep their one row (the same message ids).
    const missedWhy = `it was not configured while run ${mark.missed} of computation "${activation.computation}" and any later ones were applied, which wrote nothing to ${where}`;
    if (mark.begun && mark.missed !== undefined) {
      if (space.computations[activation.computation]?.type === 'journey_step') {
        this.markers.start(space.name, activation);
        lost.notices.push(`activation "${activation.name}": ${missedWhy}: a journey step has no current members to write again; the entries of those runs are not in its table`);
        return 0;
      }
    } else if (mark.begun) {
      // Written again naming the target, so that a later change of it is seen.
      if (mark.outdated) this.markers.start(space.name, activation);
      // A table the warehouse held once and has lost (dropped, a DuckDB file deleted, the
      // database replaced) starts again with the current members, as the Classic schema is sent
      // the current state again. One it never held (its events queued, or refused) is not lost,
      // and is not asked about: the run need not wait for the warehouse before it is staged.
      if (!mark.held || !(mark.madeAgain || (await lost.lacksTable()))) return 0;
      if (space.computations[activation.computation]?.type === 'journey_step') {
        // No current members to write again: held again once this run's entries are written.
        this.markers.start(space.name, activation);
        lost.notices.push(`activation "${activation.name}": ${lostWhy}: a journey step has no current members to write again; the table holds the entries from this run on`);
        return 0;
      }
    }
    // An earlier start killed as it queued them left some of these events queued: they are not
    // queued twice (the copies would be written as duplicates, "already there" though the table
    // never held them). Those it wrote before it was killed are no longer queued, and are queued
    // again: found in the table, they are already there indeed.
    const waiting = await this.actions.queuedIds(activation.warehouse, space.name, activation);
    let queued = 0;
    await store.members(space.name, activation.computation, async (changes) => {
      for (const [warehouse, byActivation] of this.actions.eventsFor(space, [activation], changes)) {
        if (waiting.size > 0) {
          for (const [a, events] of byActivation) {
            const fresh = events.filter((e) => !waiting.has(e.messageId));
            queued += events.length - fresh.length;
            byActivation.set(a, fresh);
          }
        }
        queued += await this.actions.enqueue(warehouse, space, byActivation);
        failpoint('actions:after-queueing-members');
      }
    });
    this.markers.start(space.name, activation);
    const members = queued === 1 ? 'its current member was' : `its ${queued.toLocaleString('en-US')} current members were`;
    if (mark.begun && mark.missed !== undefined) {
      // A table the write makes (lost meanwhile too) holds them: not one made again.
      lost.requeued.add(activation.name);
      const requeuedMembers = queued === 0 ? 'it has no current members to write again' : `${members} queued again, to be written after the run's own rows as for a new activation (those its table holds already are not written twice)`;
      lost.notices.push(`activation "${activation.name}": ${missedWhy}: ${requeuedMembers}; members who exited meanwhile have no exit row in it`);
    } else if (mark.begun) {
      lost.requeued.add(activation.name);
      if (queued > 0) lost.notices.push(`activation "${activation.name}": ${lostWhy}: ${members} queued again, to be written after the run's own rows as for a new activation, with the message ids their entries always had`);
    }
    return queued;
  }

  /**
   * What writes tell the activations' markers: the tables they made again, which the warehouse
   * had lost (of activations whose table held rows as the writes began, `heldBefore`: a table
   * made for first rows, which another process's write marked held meanwhile, was not lost; and
   * not for the activations that just queued their members again: the table made holds them),
   * and the tables rows were written to, of any activation whose events they wrote.
   */
  private markWrites(space: SpaceConfig, results: readonly FlushResult[], heldBefore: ReadonlySet<string>, requeued: ReadonlySet<string> = new Set()): void {
    this.markers.madeAgain(space, results.flatMap((r) => r.madeFor ?? []).filter((name) => heldBefore.has(name) && !requeued.has(name)));
    for (const o of results.flatMap((r) => r.activations)) if (o.written + o.duplicates > 0) this.markers.held(space, Object.hasOwn(space.activations, o.activation) ? space.activations[o.activation] : undefined);
  }

  /**
   * A warehouse's first sync loads the current state of every computation of the space, even
   * those not connected to it (as Segment's users table does). Done once, before anything else
   * is logged for it; its calls carry the same message ids as the originals, so nothing doubles.
   */
  private async ensureBackfilled(warehouse: WarehouseConfig, spaceName: string): Promise<{ sentAgain: string[]; unmarked: boolean }> {
    const marker = join(this.config.stateDir, 'backfilled', warehouse.name, spaceName);
    const classic = Object.values(this.config.spaces[spaceName]!.computations).filter((c) => c.type === 'audience' || c.type === 'trait');
    // The marker and the marks are read holding the profile state, where anything looks due: a
    // run in another process, which held it, has backfilled the warehouse and marked its own run
    // sent by then. Read before (a sync meeting a new warehouse while a run backfilled it), both
    // logged the whole state, and the sync marked the run before as the last sent: a third time.
    // Not opened where nothing is due: a sync must not wait for another process's run for nothing.
    if (!existsSync(marker) || !this.runMarks.recorded(spaceName) || this.behindOf(warehouse, spaceName, classic, this.runMarks.latest(spaceName)).length > 0) await this.profileStore();
    let latest = this.runMarks.latest(spaceName);
    if (!existsSync(marker)) {
      // What warehouses receive is recorded from the space's first one on. Where others were
      // backfilled before such records were kept (an install from before), the record starts
      // unknown for them (below), and this one has just had the whole state.
      if (!this.runMarks.recorded(spaceName)) {
        if (this.anyBackfilled(spaceName)) latest = Object.fromEntries(classic.map((c) => [c.key, BEFORE_RUN_MARKS]));
        this.runMarks.seed(spaceName, latest);
      }
      await this.logCurrentState(warehouse, spaceName);
      // Received as connected only: a computation not connected to it got identify calls alone
      // (for users), and is sent its state again, with its settings, once connected.
      this.runMarks.received(warehouse.name, spaceName, this.receivedMarks(spaceName, latest, classic.filter((c) => Object.hasOwn(c.warehouses, warehouse.name) && latest[c.key] !== undefined).map((c) => c.key)));
      makeFolder(join(marker, '..'));
      writeFileSync(marker, new Date().toISOString());
      return { sentAgain: [], unmarked: false };
    }
    // An install from before run marks (or one whose warehouse was backfilled before any run):
    // which runs each warehouse received is unknown, so each is taken as behind on every
    // computation, once. The state sent again carries the message ids of the calls that made it:
    // it loads nothing twice.
    if (!this.runMarks.recorded(spaceName)) {
      latest = Object.fromEntries(classic.map((c) => [c.key, BEFORE_RUN_MARKS]));
      this.runMarks.seed(spaceName, latest);
    }
    // Runs the warehouse missed: applied while it was out of the configuration, or before the
    // computation was connected to it. Its current state goes first, as for a new warehouse.
    const behind = this.behindOf(warehouse, spaceName, classic, latest);
    // Sent again for want of a record (not for a run it missed): told as such.
    const unmarked = behind.some((key) => latest[key] === BEFORE_RUN_MARKS);
    if (behind.length === 0) return { sentAgain: [], unmarked };
    // Its changes up to the last run it received reached it as events then: sent again, under event
    // names changed since, they would be those events a second time, in other tables.
    const logged = await this.logCurrentState(warehouse, spaceName, new Set(behind), this.runMarks.receivedUpTo(warehouse.name, spaceName));
    this.runMarks.received(warehouse.name, spaceName, this.receivedMarks(spaceName, latest, behind));
    return { sentAgain: logged > 0 ? behind : [], unmarked };
  }

  /**
   * Why the profile state must not make changes in the space, or undefined: it has not applied a
   * run the state folder records as applied by it (`runs/latest`, with the epoch of the state
   * that applied it; written right after the state commits, so a crash in between leaves the
   * state ahead, never behind): `state.duckdb` older than the rest of the folder, restored alone.
   * Its changes would count again versions the warehouses hold, remake their message ids, and be
   * skipped as copies. A run marked by a state of another epoch (this one begun anew: ids of its
   * own), or marked before epochs were kept, tells nothing.
   */
  private async stateBehindMarks(store: ProfileStore, spaceName: string): Promise<string | undefined> {
    const marked = Object.fromEntries(this.runMarks.latestRuns(spaceName).filter((m) => m.epoch === store.epoch && m.run !== BEFORE_RUN_MARKS).map((m) => [m.computation, m.run]));
    if (Object.keys(marked).length === 0) return undefined;
    const applied = await store.applied(spaceName, marked);
    const missed = Object.keys(marked).filter((computation) => !applied[computation]);
    if (missed.length === 0) return undefined;
    const runs = missed.map((computation) => `run ${marked[computation]} of ${computation}`).join(', ');
    return (
      `the profile state ${join(this.config.stateDir, STATE_FILE)} has not applied ${runs}, which this state folder records as applied by it (runs/latest/${encodeURIComponent(spaceName)}.json): ${STATE_FILE} is older than the rest of the folder (restored from a backup alone, say). ` +
      `Its changes would count again versions the warehouses hold, remaking message ids they would skip as copies. Nothing was changed. ` +
      `Put back the ${STATE_FILE} (with its contexts-*.texts) that applied ${missed.length === 1 ? 'that run' : 'those runs'}; or restore the whole state folder and the warehouses from one moment; ` +
      `or begin a new state: move ${this.config.stateDir} aside, \`stowage claim <warehouse>\` for each warehouse, then send each computation's current run again (docs/architecture.md#the-state-folder)`
    );
  }

  /**
   * What is wrong with the profile state for the spaces it serves (`stowage check`): a state
   * older than its folder's run marks (`stateBehindMarks`). Opens the state only where it is, and
   * waits `waitMs` at most for another process that holds it.
   */
  async stateProblems(waitMs?: number): Promise<string[]> {
    // NaN (a setting read from the environment as `Number('5s')`) never compared past: the look waited as long as another process held the state.
    if (waitMs !== undefined && !(typeof waitMs === 'number' && waitMs >= 0 && waitMs <= Number.MAX_SAFE_INTEGER)) throw new UsageError(`stateProblems(waitMs): waitMs must be a number of milliseconds, 0 or more, not ${typeof waitMs === 'string' ? JSON.stringify(waitMs) : String(waitMs)}`);
    if (!existsSync(join(this.config.stateDir, STATE_FILE))) return [];
    return this.withState(async () => {
      // A quick look: waitMs in all, however the state passes from one process to the next.
      const store = await this.profileStore(waitMs === undefined ? undefined : { waitMs, waitInAllMs: waitMs });
      const problems: string[] = [];
      for (const space of Object.keys(this.config.spaces)) {
        const behind = await this.stateBehindMarks(store, space);
        if (behind) problems.push(`space "${space}": ${behind}`);
        const kinds = await store.storedKinds(space);
        for (const [key, computation] of Object.entries(this.config.spaces[space]!.computations)) {
          const other = kindsOtherThan(computation.type, kinds.get(key));
          if (other) problems.push(kindChangedMessage(space, key, computation.type, other));
        }
      }
      return problems;
    });
  }

  /** The computations connected to the warehouse whose latest run it was not sent (`ensureBackfilled`). */
  private behindOf(warehouse: WarehouseConfig, spaceName: string, classic: readonly ComputationConfig[], latest: RunsByComputation): string[] {
    const sent = this.runMarks.sent(warehouse.name, spaceName) ?? {};
    return classic.filter((c) => Object.hasOwn(c.warehouses, warehouse.name) && latest[c.key] !== undefined && sent[c.key] !== latest[c.key]).map((c) => c.key);
  }

  /** Whether a warehouse was backfilled for the space (`ensureBackfilled`'s markers). */
  private anyBackfilled(spaceName: string): boolean {
    const root = join(this.config.stateDir, 'backfilled');
    return existsSync(root) && readdirSync(root).some((warehouse) => existsSync(join(root, warehouse, spaceName)));
  }

  /** Logs the current state of the space's computations (`only` these, or all) for the warehouse, as a backfill does. */
  /** The latest runs of these computations as a warehouse receives them: with their completion times, where the marks kept them. */
  private receivedMarks(spaceName: string, latest: RunsByComputation, computations: readonly string[]): Parameters<RunMarks['received']>[2] {
    const kept = this.runMarks.latestMarks(spaceName, computations);
    // A mark seeded for an install from before run marks has no time: the run's id alone.
    return Object.fromEntries(computations.map((c) => [c, typeof kept[c] === 'object' && kept[c].run === latest[c] ? kept[c] : latest[c]!]));
  }

  /**
   * `eventsUpTo`: per computation, the last run whose changes the warehouse received, with its
   * completion time; the state's changes up to it are sent without their track calls (identify
   * calls load once, by message id, into the one `identifies`).
   */
  private async logCurrentState(warehouse: WarehouseConfig, spaceName: string, only?: ReadonlySet<string>, eventsUpTo: Readonly<Record<string, ReceivedRun>> = {}): Promise<number> {
    const space = this.config.spaces[spaceName]!;
    const store = await this.profileStore();
    const behind = await this.stateBehindMarks(store, spaceName);
    if (behind) throw new StowageError(`the current state of space "${spaceName}" was not sent to warehouse "${warehouse.name}": ${behind}`);
    // Of the computations whose state goes out (audiences and traits): a changed linked audience's
    // or journey step's, which sends none, keeps no other computation's from a new warehouse.
    const kinds = await store.storedKinds(spaceName);
    for (const [key, computation] of Object.entries(space.computations)) {
      if ((only && !only.has(key)) || (computation.type !== 'audience' && computation.type !== 'trait')) continue;
      const other = kindsOtherThan(computation.type, kinds.get(key));
      if (other) throw new StowageError(`the current state of space "${spaceName}" was not sent to warehouse "${warehouse.name}": ${kindChangedMessage(spaceName, key, computation.type, other)}`);
    }
    // A computation not connected to the warehouse is sent as identify calls alone, for `users`;
    // but not one whose key names the column of another audience or trait of the space (`VIP` and
    // `vip`, each connected to a warehouse of its own, which the configuration allows): in the
    // new warehouse, each would overwrite the other's value in that one column.
    const classicKeys = Object.values(space.computations).filter((c) => c.type === 'audience' || c.type === 'trait').map((c) => c.key);
    const byColumn = new Map<string, number>();
    for (const key of classicKeys) byColumn.set(snakeCase(key), (byColumn.get(snakeCase(key)) ?? 0) + 1);
    const sharesColumn = new Set(classicKeys.filter((key) => !Object.hasOwn(space.computations[key]!.warehouses, warehouse.name) && byColumn.get(snakeCase(key))! > 1));
    const received = await this.receivedBy(store, spaceName, eventsUpTo);
    const log = this.log(warehouse.name, spaceName);
    let logged = 0;
    await store.currentState(spaceName, async (changes: Change[]) => {
      const receivedAt = new Date().toISOString();
      const calls = changes.flatMap((change) => {
        if (only && !only.has(change.computation)) return [];
        const computation = space.computations[change.computation];
        // Classic Storage carries audiences and computed traits only.
        if (!computation || (computation.type !== 'audience' && computation.type !== 'trait') || sharesColumn.has(computation.key)) return [];
        // Own keys only: a warehouse named `constructor` is connected to no computation by it.
        const settings = (Object.hasOwn(computation.warehouses, warehouse.name) ? computation.warehouses[warehouse.name] : undefined) ?? { ...CLASSIC_DEFAULTS, track: false };
        return callsFromChange(change, computation, received(change) ? { ...settings, track: false } : settings, space.id, receivedAt);
      });
      await log.append(calls);
      logged += calls.length;
    });
    return logged;
  }

  /**
   * Whether a change of the current state reached the warehouse with its run (`eventsUpTo`): one
   * of a run that completed before the last run it received did; one of that moment, only if its
   * run was applied no later than that one. Told by time alone, a run it missed that completed at
   * the same moment (runs stamped to the second) was taken for received, and its entries and exits
   * never reached its event tables. Where the state does not hold the run received (a state begun
   * anew), a change of that moment is taken for received, as before.
   */
  private async receivedBy(store: ProfileStore, spaceName: string, eventsUpTo: Readonly<Record<string, ReceivedRun>>): Promise<(change: Change) => boolean> {
    const ofTheMoment = new Map<string, ReadonlySet<string> | undefined>();
    for (const [computation, last] of Object.entries(eventsUpTo)) {
      const runs = await store.runsCompletedAt(spaceName, computation, last.at);
      const lastApplied = runs.find((r) => r.run === last.run)?.appliedAt;
      ofTheMoment.set(computation, lastApplied === undefined ? undefined : new Set(runs.filter((r) => r.appliedAt <= lastApplied).map((r) => r.run)));
    }
    return (change) => {
      const last = eventsUpTo[change.computation];
      if (last === undefined) return false;
      const [at, upTo] = [Date.parse(change.at), Date.parse(last.at)];
      if (at !== upTo) return at < upTo;
      return ofTheMoment.get(change.computation)?.has(change.runId) ?? true;
    };
  }

  /**
   * Logs Segment-spec calls fed in directly (NDJSON lines) for every warehouse of the space. Lines
   * given as bytes (a file read as it is) are checked to be UTF-8 before they are decoded: a byte
   * that is no character's would otherwise become U+FFFD unseen (`utf8Problem`). A line longer
   * than `maxCallBytes` may be handed over as its size alone (`LineTooLong`), so that its reader
   * need not hold it.
   */
  async ingestCalls(spaceName: string, lines: AsyncIterable<string | Uint8Array | LineTooLong> | Iterable<string | Uint8Array | LineTooLong>, { maxCallBytes = MAX_CALL_BYTES }: { maxCallBytes?: number } = {}): Promise<IngestResult> {
    // Own keys only: `constructor` is no space.
    if (!Object.hasOwn(this.config.spaces, spaceName)) throw new UsageError(`Unknown space "${spaceName}"; configured: ${Object.keys(this.config.spaces).join(', ')}`);
    if (!Number.isSafeInteger(maxCallBytes) || maxCallBytes < 1) throw new UsageError(`maxCallBytes must be a whole number of bytes, 1 or more, not ${String(maxCallBytes)}`);
    const notLines = notAnIterableOfLines(lines);
    if (notLines) throw new UsageError(notLines);
    const logs = this.warehousesOf(spaceName).map((w) => this.log(w.name, spaceName));
    // Accepted into no log, the calls were kept nowhere, and a warehouse that loads the space later never had them (a run's changes it is sent from the profile state; calls have none).
    if (logs.length === 0) {
      throw new UsageError(
        `No warehouse loads space "${spaceName}" (none lists it in its "spaces"): its calls would be kept nowhere, and a warehouse that loads it later would never receive them. Nothing was logged: list the space in a warehouse's "spaces" (or leave "spaces" out), then ingest them`,
      );
    }
    const result: IngestResult = { accepted: 0, rejected: 0, errors: [] };
    let batch: Call[] = [];
    let chars = 0;
    /** The log that could not be written (a full disk, a folder made read-only), and why. */
    let unwritten: { dir: string; error: Error } | undefined;
    const flush = async () => {
      for (const log of logs) {
        try {
          await log.append(batch);
        } catch (error) {
          unwritten = { dir: log.dir, error: error as Error };
          throw error;
        }
      }
      result.accepted += batch.length;
      batch = [];
      chars = 0;
    };
    let n = 0;
    const reject = (error: string) => {
      result.rejected++;
      if (result.errors.length < 100) result.errors.push({ line: n, error });
    };
    try {
      for await (const given of lines as AsyncIterable<unknown>) {
        n++;
        let line: string;
        if (given instanceof LineTooLong) {
          // A line of any size is refused so, without ever being held: its reader measured it.
          reject(given.byteLength > maxCallBytes ? tooBig(given.byteLength, maxCallBytes).error : `the line was handed over as LineTooLong (${given.byteLength} bytes), not its text, though it is within the limit of ${maxCallBytes} bytes: hand over the text of every line up to maxCallBytes`);
          continue;
        } else if (given instanceof Uint8Array) {
          // Refused by its size before it is decoded: a line past what a string holds (~512 MB)
          // would otherwise stop the whole ingest, and every line after it with it.
          if (given.byteLength > maxCallBytes) {
            reject(tooBig(given.byteLength, maxCallBytes).error);
            continue;
          }
          const problem = utf8Problem(given);
          if (problem) {
            reject(problem);
            continue;
          }
          line = Buffer.from(given.buffer, given.byteOffset, given.byteLength).toString('utf8');
        } else if (typeof given === 'string') {
          line = given;
        } else {
          // A library caller may hand over anything: a line that is no text is refused like a bad one.
          reject(`a line must be a string of JSON text (or its UTF-8 bytes), not ${given === null ? 'null' : typeof given}`);
          continue;
        }
        // A byte-order mark before the first line (a file from a Windows editor, read line by line
        // with readline) is no character of the call, as `stowage ingest` reads it.
        if (n === 1 && line.charCodeAt(0) === 0xfeff) line = line.slice(1);
        if (line.trim() === '') continue;
        const accepted = acceptLine(line, new Date().toISOString(), maxCallBytes);
        if (accepted.ok) {
          batch.push(accepted.call);
          chars += line.length;
        } else reject(accepted.error);
        if (batch.length >= INGEST_BATCH || chars >= INGEST_BATCH_CHARS) await flush();
      }
      await flush();
    } catch (error) {
      // The lines stopped coming: what was accepted before is kept, and the caller told how far it got.
      const reading = unwritten ? undefined : ((error as Error).message ?? String(error));
      if (reading !== undefined) await flush().catch(() => undefined);
      if (unwritten) {
        // Calls logged are loaded once, by message id (one a call lacks is made from its content): sent again, none doubles.
        throw new StowageError(`The call log ${unwritten.dir} could not be written (${unwritten.error.message})${reading !== undefined ? `, once reading the calls had failed after line ${n} (${reading})` : ''}: ${result.accepted.toLocaleString('en-US')} calls were logged and are kept, the ${batch.length.toLocaleString('en-US')} read after them were not${logs.length > 1 ? ' (or not in every warehouse\'s log)' : ''}; make room (or make the folder writable), then send the same lines again: each call is loaded once, by its message id`);
      }
      throw new StowageError(`Reading the calls failed after line ${n} (${result.accepted} calls logged, ${result.rejected} rejected): ${reading}`);
    }
    return result;
  }

  /**
   * The calls a warehouse refused in a space's Classic schema, as logged, oldest first
   * (`readRefusedCalls`): `stowage refused` prints them for `stowage ingest`.
   */
  async refusedCalls(warehouseName: string, space: string): Promise<string[]> {
    const warehouse = this.warehouse(warehouseName);
    this.servedSpace(warehouse, space);
    const destination = this.options.destinations.get(warehouse.type)!;
    const driver = await this.connectOrSay(warehouse);
    try {
      return await readRefusedCalls(driver, destination.dialect, `${warehouse.schemaPrefix}${space}`);
    } catch (error) {
      throw new StowageError(redact((error as Error).message ?? String(error), destination.secrets(warehouse.settings)));
    } finally {
      await driver.close();
    }
  }

  /**
   * Makes the loaded-keys index of each of the warehouse's spaces (or of one) again from the ids
   * its Classic tables hold: after rows were added to those tables other than by a sync. A sync
   * makes it itself when it finds none. Nothing to do where the warehouse indexes its keys.
   */
  async rebuildLoadedKeys(warehouseName: string, space?: string): Promise<Array<{ space: string; schema: string; keys: number | undefined }>> {
    const warehouse = this.warehouse(warehouseName);
    if (space !== undefined) this.servedSpace(warehouse, space);
    const destination = this.options.destinations.get(warehouse.type)!;
    if (destination.capabilities.keyIndexes) return [];
    return this.withSyncLock(warehouse, async (writer) => {
      const rebuilt = [];
      for (const name of space === undefined ? warehouse.spaces : [space]) {
        const schema = `${warehouse.schemaPrefix}${name}`;
        const cursor = await writer.cursor(schema, classicStream(warehouse.name, name, this.log(warehouse.name, name).id));
        const index = await rebuildLoadedKeys(loadedKeysDir(this.config.stateDir, warehouse.name, name), writer, schema, cursor, KEYLESS_TABLES);
        rebuilt.push({ space: name, schema, keys: index?.size() });
      }
      return rebuilt;
    });
  }

  /**
   * The schemas Stowage owns in a warehouse, which record the state that writes them
   * (`_stowage_states`): each Classic schema of the spaces it serves, and each space's own schema
   * its activations write (not one an activation names: that is the user's).
   */
  ownedSchemas(warehouseName: string): string[] {
    const warehouse = this.warehouse(warehouseName);
    const schemas = new Set(warehouse.spaces.map((space) => `${warehouse.schemaPrefix}${space}`));
    for (const space of Object.values(this.config.spaces)) {
      if (Object.values(space.activations).some((a) => a.warehouse === warehouse.name && a.schema === undefined)) schemas.add(space.name);
    }
    return [...schemas];
  }

  /**
   * Makes this state the writer of the schemas it owns in a warehouse (`_stowage_states`): each
   * existing Classic schema of the spaces it serves, and each space's own schema its activations
   * write. Every other state's claim goes: a state begun anew carries on where a lost one
   * stopped (`stowage claim`). Gives each schema with a claim it replaced, if any (`already`: this
   * state alone wrote it before).
   */
  async claimWarehouse(warehouseName: string): Promise<Array<{ schema: string; already: boolean; before?: StateClaim }>> {
    const warehouse = this.warehouse(warehouseName);
    const schemas = this.ownedSchemas(warehouse.name);
    return this.withSyncLock(warehouse, async (writer, driver) => {
      const owner = stateOwner(this.config.stateDir, warehouse);
      // A claim under no id would be anyone's: the emptied file is written back first (a sync says with which id).
      if (owner.emptied) throw new StowageError(`${join(this.config.stateDir, 'state-id')} is empty (a write cut short: a power loss, a full disk): write back the id the warehouse's schemas record for this folder (\`stowage sync ${warehouse.name}\` names it), or, for a new state on purpose, remove the file; then claim`);
      const claimed = [];
      // A schema not there yet is taken by this state's first write to it.
      for (const schema of schemas) {
        if (!(await driver.schemaExists(schema))) continue;
        const before = await writer.claim(schema, owner);
        const other = before.find((c) => c.id !== owner.id);
        claimed.push({ schema, already: other === undefined && before.length > 0, ...(other ? { before: other } : {}) });
      }
      return claimed;
    });
  }

  /**
   * The schemas of the warehouse this state would be refused (`stowage check`): another state's
   * claim, or its trace in a schema from before claims, each as the refusal would say it. Reads only.
   */
  async otherStates(warehouseName: string): Promise<string[]> {
    const warehouse = this.warehouse(warehouseName);
    const destination = this.options.destinations.get(warehouse.type)!;
    const driver = await this.connectOrSay(warehouse);
    try {
      const writer = new TableWriter(driver, destination.dialect, destination.capabilities);
      writer.claimFor(stateOwner(this.config.stateDir, warehouse, { make: false }), this.earlierWriter(warehouse, { check: true }));
      const problems = [];
      for (const schema of this.ownedSchemas(warehouse.name)) {
        if (!(await driver.schemaExists(schema))) continue;
        const problem = await writer.claimProblem(schema);
        if (problem) problems.push(problem.message);
        // A state folder older than the warehouse: told before a sync refuses it.
        const space = warehouse.spaces.find((name) => `${warehouse.schemaPrefix}${name}` === schema);
        const dir = space === undefined ? undefined : join(this.config.stateDir, 'log', warehouse.name, space);
        // Read, not begun: a check makes no log (one with an id or segments writes nothing when opened).
        if (problem || dir === undefined || CallLog.idAt(dir) === null) continue;
        const log = new CallLog(dir);
        const stream = classicStream(warehouse.name, space!, log.id);
        const cursor = await writer.cursor(schema, stream);
        const behind = this.logBehindLedger(warehouse, schema, log, cursor, cursor && (await writer.lastLoadedId(schema, stream, cursor)));
        if (behind) problems.push(behind);
      }
      return problems;
    } finally {
      await driver.close();
    }
  }

  /**
   * Runs `fn` on a session of the warehouse while holding its sync lock (a sync of it meanwhile is
   * refused); an error comes out without the warehouse's secrets.
   */
  private withSyncLock<T>(warehouse: WarehouseConfig, fn: (writer: TableWriter, driver: Driver) => Promise<T>): Promise<T> {
    const destination = this.options.destinations.get(warehouse.type)!;
    const lock = join(this.config.stateDir, 'locks', `sync-${warehouse.name}.lock`);
    makeFolder(join(lock, '..'));
    return withFileLock(lock, `A sync of warehouse "${warehouse.name}"`, async () => {
      // A warehouse that cannot be reached is one that failed: a StowageError (library.md), as what fails after connecting is.
      const driver = await this.connectOrSay(warehouse);
      try {
        return await fn(new TableWriter(driver, destination.dialect, destination.capabilities), driver);
      } catch (error) {
        throw new StowageError(redact((error as Error).message ?? String(error), destination.secrets(warehouse.settings)));
      } finally {
        await driver.close();
      }
    }, 0);
  }

  /** A session of the warehouse; one that cannot be opened is a StowageError without the warehouse's secrets. */
  private async connectOrSay(warehouse: WarehouseConfig): Promise<Driver> {
    const destination = this.options.destinations.get(warehouse.type)!;
    try {
      return await destination.connect(warehouse.settings, this.connectContext(warehouse));
    } catch (error) {
      throw new StowageError(redact((error as Error).message ?? String(error), destination.secrets(warehouse.settings)));
    }
  }

  /** The next time a warehouse's schedule fires. */
  nextSync(warehouse: string, after = new Date()): Date | null {
    // Else croner's TypeError ("CronDate: Invalid type (number) passed to CronDate constructor"): `Date.now()`, or a Date of text that is no time.
    if (!(after instanceof Date) || Number.isNaN(after.getTime())) {
      throw new UsageError(`nextSync(warehouse, after): after must be a Date of a moment, not ${after instanceof Date ? 'an Invalid Date' : typeof after === 'string' ? JSON.stringify(after) : after === null ? 'null' : `a ${typeof after} (${String(after)})`}${typeof after === 'number' ? ': pass new Date(ms)' : ''}`);
    }
    return new Cron(this.warehouse(warehouse).schedule, { paused: true, timezone: 'UTC' }).nextRun(after);
  }

  /**
   * Loads everything logged for a warehouse since its last sync, batch by batch, each batch in one
   * transaction with its ledger row. Killed at any point and run again, it leaves exactly the rows
   * an uninterrupted sync leaves.
   */
  async sync(warehouseName: string, opts: { trigger?: string; onProgress?: (p: SyncProgress) => void } = {}): Promise<SyncRecord> {
    const warehouse = this.warehouse(warehouseName);
    const trigger = triggerOf('sync', opts.trigger);
    const onProgress = guardedCallback(opts.onProgress);
    const destination = this.options.destinations.get(warehouse.type)!;
    const lock = join(this.config.stateDir, 'locks', `sync-${warehouse.name}.lock`);
    makeFolder(join(lock, '..'));
    return withFileLock(lock, `A sync of warehouse "${warehouse.name}"`, async () => {
      const record = this.history.start(warehouse.name, 'classic', trigger);
      const started = Date.now();
      let driver: Driver | undefined;
      let writer: TableWriter | undefined;
      // Widenings of writes that failed after their DDL stood (`transactionalDdl` false).
      const tellStoodDdl = () => record.notices.push(...(writer?.takeStoodNotices() ?? []));
      try {
        // The profile state before the warehouse, never the other way: a run in another process
        // holds the state while it waits for a DuckDB warehouse's file, and a sync that held that
        // file while it waited for the state kept both waiting until one gave up (15–30 s, and
        // the run's write queued). A state this backfill opened is let go of before the batches.
        // In one turn: another sync of this process (`serve`) must not open the state between.
        await this.withStateLetGo(async () => {
          for (const space of warehouse.spaces) {
            const caught = await this.ensureBackfilled(warehouse, space);
            if (caught.unmarked && caught.sentAgain.length > 0) {
              record.notices.push(sentAgainNotice(space, caught.sentAgain));
            }
          }
        });
        const connect = async () => {
          driver = await destination.connect(warehouse.settings, this.connectContext(warehouse));
          const writer = new TableWriter(driver, destination.dialect, destination.capabilities);
          writer.claimFor(stateOwner(this.config.stateDir, warehouse), this.earlierWriter(warehouse));
          return writer;
        };
        writer = await connect();
        // Best effort: a count in the history, never a reason to fail this sync.
        await this.countCommitsTheLastSyncMissed(writer, warehouse, record.id).catch(() => undefined);
        for (const space of warehouse.spaces) {
          const progress = (rows: number, lookingUp?: number) =>
            onProgress?.({ warehouse: warehouse.name, space, calls: record.calls, rows, elapsedMs: Date.now() - started, ...(lookingUp ? { lookingUp } : {}) });
          const needed = await this.syncSpace(writer, destination, warehouse, space, record, progress);
          if (needed === undefined) continue;
          // The schema lost what the log let go of: the current state is logged again, from the
          // profile state, with the warehouse let go of meanwhile (the same order as above).
          const held = driver!;
          driver = undefined;
          tellStoodDdl();
          await held.close();
          await this.withStateLetGo(() => this.logCurrentState(warehouse, space));
          record.notices.push(
            `${needed.notice}: the current state of every computation of space "${space}" was sent again, as for a new warehouse; the earlier calls themselves (tracks, past identifies) are not in it`,
          );
          this.history.progress(record, { notices: true });
          writer = await connect();
          await this.syncSpace(writer, destination, warehouse, space, record, progress, { stateSentAgain: true });
        }
        record.status = record.rejects > 0 ? 'Partial' : 'Success';
      } catch (error) {
        record.status = 'Failure';
        const message = (error as Error).message ?? String(error);
        // A full disk, said as such where the error names no file (the state folder's, the load files').
        const full = message.includes('a disk Stowage writes to is full') ? undefined : fullDiskAdvice(error, [this.config.stateDir]);
        const advice = full ?? (driver && (await notATableAdvice(driver, error)));
        record.error = redact(advice ? `${message} (${advice})` : message, destination.secrets(warehouse.settings));
      } finally {
        tellStoodDdl();
        await driver?.close().catch(() => undefined);
        // Release the state file: `stowage run` in another process must be able to open it.
        await this.close();
        // Notices quote the warehouse (a refused row's reason): never a credential in the history.
        record.notices = record.notices.map((notice) => redact(notice, destination.secrets(warehouse.settings)));
        record.endedAt = new Date().toISOString();
        delete record.pid;
        this.history.recordEnd(record, 'the calls counted here were loaded, and the next sync goes on after them');
      }
      return record;
    }, 0);
  }

  /**
   * The warehouse's last sync, where it failed, may have had a batch committed that it never
   * counted: the warehouse's answer to its COMMIT lost with the connection (a server restarted
   * at that moment), or its process killed right after. The ledger has each committed batch's
   * calls under its sync id: a record short of them is completed from it, with a notice (the
   * rows per table of such a batch are not in the ledger, so they stay short).
   */
  private async countCommitsTheLastSyncMissed(writer: TableWriter, warehouse: WarehouseConfig, current: string): Promise<void> {
    // Read from the newest generation back only as far as that sync.
    const [last] = this.history.latest(1, (r) => r.warehouse === warehouse.name && r.path === 'classic' && r.id !== current);
    if (!last || last.status !== 'Failure') return;
    let committed = 0;
    for (const space of warehouse.spaces) committed += await writer.ledgerCalls(`${warehouse.schemaPrefix}${space}`, last.id);
    if (committed <= last.calls) return;
    this.history.record({
      ...last,
      calls: committed,
      notices: [
        ...last.notices,
        `${committed - last.calls} more calls were committed than this record counted (the warehouse's answer to a COMMIT lost, or the process stopped right after it): found in the ledger by the next sync; their rows are not in the counts per table`,
      ],
    });
  }

  /**
   * What tells, in a schema from before `_stowage_states`, that a state other than this one wrote
   * it. A Classic schema: a cursor of another log of this warehouse and space in its ledger, and
   * none of this state's log. A space's own schema: rows of activations, while this state began
   * after them (its profile state has an epoch: it began with a version that writes claims).
   */
  private earlierWriter(warehouse: WarehouseConfig, { check = false } = {}): EarlierWriterOf {
    return async (schema, writer) => {
      const classic = warehouse.spaces.find((name) => `${warehouse.schemaPrefix}${name}` === schema);
      if (classic !== undefined) {
        // Read, not begun: a check makes no log.
        const id = CallLog.idAt(join(this.config.stateDir, 'log', warehouse.name, classic));
        const ours = id === null ? undefined : classicStream(warehouse.name, classic, id);
        const family = classicStream(warehouse.name, classic, undefined);
        const streams = await writer.ledgerStreams(schema);
        const other = ours !== undefined && streams.includes(ours) ? undefined : streams.find((stream) => stream === family || stream.startsWith(`${family}/`));
        return other && `was loaded from another state's call log (${other} in its ledger, and this state's log is new)`;
      }
      // An activation's schema named like a member every object has (`constructor`) is no space's.
      const space = Object.hasOwn(this.config.spaces, schema) ? this.config.spaces[schema] : undefined;
      if (space === undefined) return undefined;
      // Its activations' tables only: a schema named like the space may hold tables of the user's.
      const names = new ColumnNamer(this.options.destinations.get(warehouse.type)!.dialect.identifiers);
      const tables = Object.values(space.activations).filter((a) => a.warehouse === warehouse.name && a.schema === undefined).map((a) => names.column(a.table));
      if (!(await writer.holdsRows(schema, tables))) return undefined;
      // Rows from before claims were written by a state from before epochs: one that has an epoch
      // (or has no profile state yet, and will) began since, and did not write them. A check does
      // not open the profile state (another command may hold it): it tells only of a new one.
      if (existsSync(join(this.config.stateDir, STATE_FILE)) && (check || (await this.profileStore()).epoch === '')) return undefined;
      return `holds rows of activations written before _stowage_states, by a state from before this one (this one began since)`;
    };
  }

  /**
   * Loads one space's log into its classic schema, from the ledger's cursor to the log's end.
   * Where the schema holds no record of calls the log has let go of, or the log began anew beside
   * a ledger of another (its folder deleted), and the current state was not sent again yet, it
   * loads nothing and says so (the notice of the sync): the caller sends it, with the warehouse
   * let go of, and calls again with `stateSentAgain`.
   */
  private async syncSpace(
    writer: TableWriter,
    destination: Destination,
    warehouse: WarehouseConfig,
    space: string,
    record: SyncRecord,
    progress: (rows: number, lookingUp?: number) => void,
    { stateSentAgain = false } = {},
  ): Promise<{ schema: string; notice: string } | undefined> {
    const schema = `${warehouse.schemaPrefix}${space}`;
    const log = this.log(warehouse.name, space);
    const stream = classicStream(warehouse.name, space, log.id);
    // Not in the middle of an append: one that fails takes its lines back.
    let stop = await log.settledEnd();
    // Traits' types as their runs' configuration declared them too: this one may be older (a
    // `serve` started before the trait was configured). Read after the log's end: a run records
    // its trait's type before it logs a call, so every call read here has its type recorded.
    const computations = this.valueTypes.withRecorded(space, Object.values(this.config.spaces[space]!.computations));
    const batcher = new ClassicBatcher(destination.dialect.identifiers, warehouse, computations, destination.dialect.keyForComparison?.bind(destination.dialect));
    let rows = 0;
    const busy = new BusyRetries(this.options.busyDelaysMs);
    const refresh = async () => {
      // Another session's lock or conflict: the slice is tried again after a pause, as a batch is.
      const whenBusy = async (error: unknown) => {
        if (busy.firstOfSpell) record.notices.push(`the warehouse was busy with other sessions' work (${refusalReason(error)})${heldBy(await writer.lockHolders(schema))}; the users refresh was tried again after a pause`);
        if (!(await busy.pause())) throw busy.spent(error, await writer.lockHolders(schema));
        return true;
      };
      // Counted as each slice commits, so that a refresh that fails (or is killed) after some
      // slices still counts the rows they wrote, as a batch's are counted once committed.
      const latest: LatestRefreshCounts = { rows: {}, rejects: 0, notices: [] };
      const counted: LatestRefreshCounts = { rows: {}, rejects: 0, notices: [] };
      // Notices are taken only from a refresh that committed: one that failed may have noted DDL it rolled back.
      const count = (notices = true) => {
        let changed = false;
        for (const [table, n] of Object.entries(latest.rows)) {
          const gained = n - countOf(counted.rows, table);
          // A table listed with 0 (a slice that recomputed no row) is listed, as before.
          if (gained === 0 && Object.hasOwn(counted.rows, table)) continue;
          addCount(record.rows, table, gained);
          rows += gained;
          counted.rows[table] = n;
          changed = true;
        }
        if (latest.rejects !== counted.rejects || (notices && latest.notices.length !== counted.notices.length)) changed = true;
        record.rejects += latest.rejects - counted.rejects;
        counted.rejects = latest.rejects;
        if (notices) {
          record.notices.push(...latest.notices.slice(counted.notices.length));
          counted.notices = [...latest.notices];
        }
        if (!changed) return;
        if (Object.keys(latest.rows).length > 0) progress(rows);
        this.history.progress(record);
      };
      try {
        await writer.refreshLatest(schema, batcher.latestTables(), record.id, whenBusy, latest, count);
        busy.reset();
        count();
      } catch (error) {
        count(false);
        throw error;
      }
    };
    const tally = (result: WriteResult) => {
      for (const [table, n] of Object.entries(result.rows)) {
        addCount(record.rows, table, n);
        rows += n;
      }
      record.casts += result.casts;
      record.rejects += result.rejects;
      record.duplicates += result.duplicates;
      record.notices.push(...result.notices);
      this.history.progress(record);
    };
    const secrets = destination.secrets(warehouse.settings);
    let index: LoadedKeys | undefined;
    let at = LOG_START;
    try {
      // The look at the ledger and the claim wait on another session's lock (or its schema made
      // at the same moment) as a batch would: tried again after a pause.
      const whileBusy = async <T>(what: string, work: () => Promise<T>): Promise<T> => {
        for (;;) {
          try {
            const done = await work();
            busy.reset();
            return done;
          } catch (error) {
            if (!writer.busyError(error)) throw error;
            if (busy.firstOfSpell) record.notices.push(`the warehouse was busy with other sessions' work (${refusalReason(error)})${heldBy(await writer.lockHolders(schema))}; ${what} was tried again after a pause`);
            if (!(await busy.pause())) throw busy.spent(error, await writer.lockHolders(schema));
          }
        }
      };
      const cursor = await whileBusy('the look at the ledger', () => writer.cursor(schema, stream));
      at = cursor ?? LOG_START;
      const lastId = cursor && (await whileBusy('the look at the ledger', () => writer.lastLoadedId(schema, stream, cursor)));
      const behind = this.logBehindLedger(warehouse, schema, log, cursor, lastId);
      if (behind) throw new StowageError(behind);
      // Before the look at the tables' ids, anything logged again, and the users refresh (which
      // may run with nothing to load): the schema may be another state's.
      if (comparePositions(at, stop) < 0 || !log.holdsFrom(at) || (await writer.holdsTables(schema))) await whileBusy('the claim of the schema', () => writer.takeClaim(schema));
      // The schema holds no record of the loads the log has let go of (a new database, the
      // schema dropped, `schemaPrefix` changed; or a ledger older than the log): what is left of
      // the log would load a slice of the history and call it a success. The current state of
      // every computation is logged again (by the caller), as for a new warehouse, with the ids
      // of the calls that made it; the calls the log let go of are not.
      if (!log.holdsFrom(at) && !stateSentAgain) return { schema, notice: `${schema} holds no record of the calls loaded into it before (${cursor !== undefined ? 'its ledger is older than the log' : 'a new database, the schema dropped, or schemaPrefix changed'}), and the log has let go of them` };
      // A log begun anew where this state's syncs loaded another of this warehouse and space: its
      // folder was deleted (by hand), and with it the calls it held that were not loaded yet,
      // which the next syncs passed by in silence (an entry, an exit never in the tables). The current state of every computation is logged again, as above, with the
      // ids of the calls that made it: those already loaded are skipped, the lost ones are not.
      if (cursor === undefined && !stateSentAgain && (await this.otherLogLoaded(writer, schema, warehouse.name, space, stream))) {
        return { schema, notice: `this state's call log for warehouse "${warehouse.name}" and space "${space}" began anew (${log.dir} deleted), while ${schema}'s ledger loaded another one: the calls it held that no sync loaded are gone` };
      }
      // Where the tables have no key index, the ids they hold are kept beside the log, so that a
      // sync need not read every id of every table to know which of its calls are new.
      // With nothing to load, only an index that a sync left behind the ledger (below) is opened: it takes its ids from the log before the log is pruned.
      const opens = !destination.capabilities.keyIndexes && (comparePositions(at, stop) < 0 || this.loadedKeysBehind(warehouse.name, space, at));
      index = opens ? await this.openLoadedKeys(writer, schema, warehouse.name, space, log, cursor, record, secrets) : undefined;
      // Where tables have a key index, no ledger and no rows yet stand for empty tables, for the
      // sync's first window (a sync that goes on after a failed batch looks as usual).
      let firstLoad = destination.capabilities.keyIndexes && cursor === undefined && comparePositions(at, stop) < 0 && (await writer.holdsKeyedRows(schema, 'id', KEYLESS_TABLES).catch(() => undefined)) === false;
      while (comparePositions(at, stop) < 0) {
        // A first window's batches left their ids to the index for later (below); a window cut
        // short (a refused call, a busy warehouse), or a longer one, needs them before it goes on.
        if (index && comparePositions(index.coveredUntil, at) < 0) {
          await catchUpLoadedKeys(index, log, at);
          this.compactLoadedKeys(index, schema, record, secrets);
        }
        // The calls' message ids are looked up once per window of the log, not once per batch: in
        // the index, which asks the tables about the few it may hold, or else in the tables (each
        // look reads every row of every table). An empty index stands for tables that hold no id:
        // no look then, each batch's ids checked against those of the window's earlier batches.
        const emptyTables = (index !== undefined && index.size() === 0) || firstLoad ? new IdsOfEmptyTables() : undefined;
        firstLoad = false;
        const window: { keys?: SyncKeys; until: LogPosition; hashes?: BigUint64Array } =
          destination.capabilities.keyIndexes || emptyTables
            ? { until: stop }
            : index
              ? await this.lookUpThroughIndex(index, writer, schema, log, at, stop, record, secrets, (calls) => progress(rows, calls))
              : await this.lookUpKeys(writer, schema, log, at, stop, record, secrets, (calls) => progress(rows, calls));
        const read = log.read<Call>(at, this.config.batchSize, this.config.batchBytes, eventTablesCut(), window.until);
        let taken = 0;
        const applied = new BatchesApplied();
        let made = 0;
        // While the warehouse applies one batch, the next ones are read, planned and encoded in
        // load files: on two cores the client's work and the warehouse's overlap instead of taking turns.
        const batches = prefetch(
          emptyTables ? windowOf(read, this.options.keyWindow ?? KEY_WINDOW, window) : read,
          async ({ entries, end }, stopped) => {
            const earlierBatches = made++;
            let keys = window.keys;
            if (emptyTables && destination.capabilities.keyIndexes) {
              // Where tables have key indexes, a later sync plans a copy before its insert skips
              // it: so does a first sync's batch there, or the same sync killed and run again
              // would leave other tables than one left alone (tables.md, deduplication).
              keys = emptyTables.keysFor(entries.map((call) => call.messageId));
            } else if (emptyTables) {
              const lookFailed = (error: unknown) => record.notices.push(redact(`the look for ids a batch repeats from an earlier one failed (${(error as Error).message ?? error}); the batch looked for them as it inserted, and a copy's new keys may have added empty columns`, secrets));
              keys = await this.sortOrLook(emptyTables, entries, () => applied.until(earlierBatches, stopped), writer, schema, lookFailed);
            }
            // Where tables have key indexes and no look sorted this batch's keys, a copy of a loaded
            // call is looked for only where it would shape a table (TableWriter.prepare): an index
            // probe per key. Not without key indexes (a replay's batches on DuckDB or Redshift), where
            // each statement of the look would read the table's every key.
            const copies = destination.capabilities.keyIndexes && !keys ? { earlierApplied: () => applied.until(earlierBatches, stopped) } : undefined;
            return { calls: entries.length, end, prepared: await writer.prepare(await batcher.batch(schema, entries, { stream, end, syncId: record.id }), keys, copies) };
          },
          PREPARED_AHEAD,
        );
        let refused: RefusedBatch | undefined;
        let busyError: unknown;
        try {
          for await (const { calls, end, prepared } of batches) {
            // Before the batch can commit: the index then holds at least what the tables hold, or
            // (a first window's) stops short of the ledger's cursor, and the log still holds the rest.
            if (index && !emptyTables) index.add(window.hashes!.subarray(taken, taken + calls), end);
            taken += calls;
            let result: WriteResult;
            try {
              result = await writer.apply(prepared);
            } catch (error) {
              // Leaving the loop drops the batches prepared ahead: they planned for this one's DDL.
              if (writer.busyError(error)) {
                busyError = error;
                break;
              }
              if (!writer.rowError(error) || !(await writer.answers())) throw error;
              refused = { schema, stream, syncId: record.id, from: at, to: end, error };
              break;
            }
            applied.applied();
            busy.reset();
            at = end;
            record.calls += calls;
            tally(result);
            progress(rows);
          }
        } catch (error) {
          // Preparing a batch may read a table too (whether a column holds integers past 2^53),
          // and wait on another session's lock there as an insert would.
          if (!writer.busyError(error)) throw error;
          busyError = error;
        }
        if (busyError !== undefined) {
          // Read and prepared again from the log after a pause: another session's lock or
          // conflict is usually gone in seconds.
          if (busy.firstOfSpell) record.notices.push(`the warehouse was busy with other sessions' work (${refusalReason(busyError)})${heldBy(await writer.lockHolders(schema))}; the batch was tried again after a pause`);
          if (!(await busy.pause())) throw busy.spent(busyError, await writer.lockHolders(schema));
          writer.forgetCatalog();
          continue;
        }
        if (refused) {
          // One call the warehouse refuses must not stop every sync from here on: the batch is
          // written in parts, that call set apart, and the sync goes on after it. The parts commit
          // without a ledger row: the index must hold their ids first (a first window's batches
          // left theirs for later).
          if (index && comparePositions(index.coveredUntil, refused.to) < 0) await catchUpLoadedKeys(index, log, refused.to);
          await writeRefusedBatch(writer, batcher, log, refused, secrets, (result, calls) => {
            record.calls += calls;
            tally(result);
          });
          progress(rows);
          at = refused.to;
          continue;
        }
        at = window.until;
        // The window's hashes become a run: the pending ones are held in memory, and sorted for each look.
        if (index && !emptyTables) this.compactLoadedKeys(index, schema, record, secrets);
      }
    } catch (error) {
      // The batches committed before the failure still bring users up to date; the sync fails
      // with the batch's error either way. Not in another state's schema: it writes nothing there.
      if (!(error instanceof OtherStateError)) await refresh().catch(() => undefined);
      throw error;
    }
    // users (the latest-value tables) follow identifies once the batches are in: one recompute of
    // the keys they touched, also after a sync killed before it could. Meanwhile, on the client,
    // the index takes the ids a first window's batches left to it.
    // Both settle before the sync ends: the index is not written once the sync's lock is let go.
    // The batches' rows are checkpointed first (where the warehouse keeps them in memory until
    // then, as DuckDB does): the recompute's aggregate came on top of them, at the sync's peak
    // RSS (docs/benchmarks.md, session 27), and the closing checkpoint has the same rows to write
    // either way.
    const [refreshed] = await Promise.allSettled([writer.checkpoint().then(refresh), index && this.indexTheRest(index, log, at, schema, record, secrets)]);
    if (refreshed.status === 'rejected') throw refreshed.reason;
    // Segments every batch of which is committed, and the index holds, are no longer needed.
    const cursor = await writer.cursor(schema, stream);
    if (cursor) log.prune(index && comparePositions(index.coveredUntil, cursor) < 0 ? index.coveredUntil : cursor);
  }

  /**
   * Whether the schema's ledger holds a cursor of another call log of the warehouse and space than
   * `stream`, loaded by a sync this state's history records: a log of this state's, lost. (A state
   * begun anew that claimed the schema, whose ledger another state's syncs wrote, is not told:
   * its first runs sent every member.)
   */
  private async otherLogLoaded(writer: TableWriter, schema: string, warehouse: string, space: string, stream: string): Promise<boolean> {
    const family = classicStream(warehouse, space, undefined);
    const others = [...(await writer.ledgerLastSyncs(schema))].filter(([other]) => other !== stream && (other === family || other.startsWith(`${family}/`)));
    if (others.length === 0) return false;
    // Every generation of the history, newest first, as far as needed: the space's last sync may be older than the recent ones.
    const syncIds = new Set(others.map(([, syncId]) => syncId));
    return this.history.latest(1, (r) => syncIds.has(r.id)).length > 0;
  }

  /**
   * The ids loaded up to `at` that the index does not hold yet, from the log. Failing is no reason
   * to fail a sync whose batches are in: the log is kept from where the index stops, and the next
   * sync adds them.
   */
  private async indexTheRest(index: LoadedKeys, log: CallLog, at: LogPosition, schema: string, record: SyncRecord, secrets: readonly string[]): Promise<void> {
    if (comparePositions(index.coveredUntil, at) >= 0) return;
    failpoint('sync:before-indexing-the-rest');
    try {
      await catchUpLoadedKeys(index, log, at);
    } catch (error) {
      record.notices.push(redact(`the message ids loaded into ${schema} could not be added to its index (${(error as Error).message}); the next sync adds them from the log`, secrets));
      return;
    }
    this.compactLoadedKeys(index, schema, record, secrets);
  }

  /**
   * `LoadedKeys.compact`. Failing (a full disk) is no reason to fail a sync whose batches are in:
   * the hashes stay pending, flushed, and the next sync tries again.
   */
  private compactLoadedKeys(index: LoadedKeys, schema: string, record: SyncRecord, secrets: readonly string[]): void {
    try {
      index.compact();
    } catch (error) {
      record.notices.push(redact(`the index of the message ids loaded into ${schema} could not be compacted (${(error as Error).message}); the next sync tries again`, secrets));
    }
  }

  /**
   * Why a sync refuses a log the warehouse loaded more of than it holds (undefined where the log
   * holds the ledger's cursor): the state folder restored from a backup older than the warehouse.
   * Its calls logged since the backup sit where the ledger's cursor says the calls it loaded were,
   * and would be skipped as loaded (or read from the middle of one); and its profile state makes
   * again the message ids of changes the warehouse holds, whose new values would be skipped as
   * copies. A cursor past the log's end, or inside a call, tells; so does one that falls where a
   * call of the restored log ends (calls of one shape are of one length) that is not the call the
   * ledger loaded last (`lastLoadedId`: kept since ledgers had `last_id`). The same calls logged
   * again in the same order are the ones loaded: not told.
   */
  private logBehindLedger(warehouse: WarehouseConfig, schema: string, log: CallLog, cursor: LogPosition | undefined, lastId: string | undefined): string | undefined {
    // No cursor, or one into segments the log let go of: nothing to tell here (a sync logs the current state again).
    if (!cursor || !log.holdsFrom(cursor)) return undefined;
    const remedy = `the state folder ${this.config.stateDir} is older than the warehouse (restored from a backup, say). No call was loaded. Restore the state folder and the warehouse from the same moment; or begin a new state: move ${this.config.stateDir} aside, \`stowage claim ${warehouse.name}\`, then send each computation's current run again (docs/architecture.md#the-state-folder)`;
    const where = `${schema}'s ledger has loaded this state's call log up to segment ${cursor.segment}, byte ${cursor.offset}`;
    if (log.holdsPosition(cursor)) {
      if (lastId === undefined) return undefined;
      const there = log.entryEndingAt<{ messageId?: unknown }>(cursor)?.messageId;
      if (typeof there !== 'string' || ledgerId(there) === lastId) return undefined;
      return `${where}, where the log's call ${JSON.stringify(there)} ends, not the call the ledger loaded last (${JSON.stringify(lastId)}): ${remedy}`;
    }
    const end = log.end();
    return `${where}, which is not where any call of the log ends (it ends at segment ${end.segment}, byte ${end.offset}): ${remedy}`;
  }

  /** Whether the space's index stops short of `at` (the ledger's cursor): a first sync's, killed before it took its batches' ids. */
  private loadedKeysBehind(warehouse: string, space: string, at: LogPosition): boolean {
    const kept = LoadedKeys.open(loadedKeysDir(this.config.stateDir, warehouse, space));
    return kept !== undefined && comparePositions(kept.coveredUntil, at) < 0;
  }

  /** `openLoadedKeys`; an index that cannot be read or made is no reason to fail the sync: the tables are read instead. */
  private async openLoadedKeys(writer: TableWriter, schema: string, warehouse: string, space: string, log: CallLog, cursor: LogPosition | undefined, record: SyncRecord, secrets: readonly string[]): Promise<LoadedKeys | undefined> {
    const dir = loadedKeysDir(this.config.stateDir, warehouse, space);
    try {
      return await openLoadedKeys(dir, writer, schema, log, cursor, KEYLESS_TABLES);
    } catch (error) {
      record.notices.push(redact(`the index of the message ids loaded into ${schema} could not be read (${(error as Error).message}); the tables were read instead`, secrets));
      return undefined;
    }
  }

  /**
   * `lookUpThroughIndex`. When the warehouse's look at the few ids the index may hold fails, the
   * window's batches look for themselves, as when the look without an index fails.
   */
  private async lookUpThroughIndex(index: LoadedKeys, writer: TableWriter, schema: string, log: CallLog, at: LogPosition, stop: LogPosition, record: SyncRecord, secrets: readonly string[], lookingUp: (calls: number) => void): Promise<IndexedWindow> {
    const most = this.options.keyWindow ?? KEY_WINDOW;
    lookingUp(Math.max(1, Math.min(most, Math.ceil(log.bytesBetween(at, stop) / CALL_BYTES))));
    try {
      return await lookUpThroughIndex({ index, writer, schema, log, at, stop, most, skip: KEYLESS_TABLES });
    } catch (error) {
      if (!(error instanceof LookFailed)) throw error;
      record.notices.push(redact(`the look for the calls' message ids in ${schema}'s tables failed (${(error.cause as Error).message}); each batch looked for its own`, secrets));
      return { until: error.until, hashes: error.hashes };
    }
  }

  /**
   * How a batch of a sync into empty tables sorts its rows: all new, unless an earlier batch of
   * the window may have loaded some of its ids (the same call sent twice, say). It then waits for
   * the earlier batches to be applied and looks for those ids in the tables, so that a copy is set
   * aside before the batch is planned, as a look before the sync sets it aside: its keys add no
   * column, and its values are neither cast nor quarantined, whether or not the sync was killed
   * between the two batches. Should that look fail, the batch looks for its ids as it inserts.
   */
  private async sortOrLook(emptyTables: IdsOfEmptyTables, calls: readonly Call[], earlierApplied: () => Promise<void>, writer: TableWriter, schema: string, lookFailed: (error: unknown) => void): Promise<SyncKeys | undefined> {
    const sorted = emptyTables.sortOrLook(calls.map((call) => call.messageId));
    if ('keys' in sorted) return sorted.keys;
    // Rejects once the sync stops applying batches: this batch will not be applied either.
    await earlierApplied();
    try {
      return await writer.lookUpKeys(schema, 'id', [sorted.earlier], { minKeys: 0, skip: KEYLESS_TABLES });
    } catch (error) {
      lookFailed(error);
      return undefined;
    }
  }

  /**
   * The look at the classic tables for the message ids of the next window of the log (up to
   * KEY_WINDOW calls), and where that window ends. A look that fails is no reason to fail the
   * sync: its batches then look for themselves, as they do when the look gives up.
   */
  private async lookUpKeys(writer: TableWriter, schema: string, log: CallLog, at: LogPosition, stop: LogPosition, record: SyncRecord, secrets: readonly string[], lookingUp: (calls: number) => void): Promise<{ keys?: SyncKeys; until: LogPosition }> {
    let until = stop;
    const most = this.options.keyWindow ?? KEY_WINDOW;
    const skip = KEYLESS_TABLES;
    async function* window(): AsyncGenerator<string[]> {
      let count = 0;
      for await (const { ids, end } of messageIds(log, at, stop, Math.min(KEY_LOT, most))) {
        yield ids;
        count += ids.length;
        if (count >= most && comparePositions(end, stop) < 0) {
          until = end;
          return;
        }
      }
    }
    try {
      // A first sync into empty tables is better off with its batches' own looks: they read little.
      const calls = Math.min(most, Math.ceil(log.bytesBetween(at, stop) / CALL_BYTES));
      if (!this.options.alwaysLookUpKeys && !lookPays({ rows: (await writer.keyedRows(schema, 'id', skip)) ?? 0, keys: calls, batchKeys: this.config.batchSize })) return { until: stop };
      lookingUp(calls);
      const keys = await writer.lookUpKeys(schema, 'id', window(), { minKeys: this.config.batchSize, skip });
      return keys ? { keys, until } : { until: stop };
    } catch (error) {
      record.notices.push(redact(`the look for the calls' message ids in ${schema}'s tables failed (${(error as Error).message}); each batch looked for its own`, secrets));
      return { until: stop };
    }
  }

  /**
   * Runs `fn` on a turn of the profile state (`withState`), and closes the state after it if it
   * was not open before: a sync that only needs it for a moment must not keep it from a run in
   * another process.
   */
  private withStateLetGo<T>(fn: () => Promise<T>): Promise<T> {
    return this.withState(async () => {
      const wasOpen = this.opening !== undefined;
      const done = await fn();
      if (!wasOpen) await this.closeStateNow();
      return done;
    });
  }

  /**
   * Closes the profile state once the runs of this instance under way have ended, those waiting
   * for their Storage Actions turn too (a run takes that turn before the state's: closing on the
   * state's turn alone went ahead of them, and they opened the state again, for good); the next
   * use opens it again.
   */
  close(): Promise<void> {
    return this.withActions(() => this.withState(() => this.closeStateNow()));
  }

  /** Closes the profile state, on a turn already taken (`withState`). */
  private async closeStateNow(): Promise<void> {
    const opening = this.opening;
    this.opening = undefined;
    await (await opening?.catch(() => undefined))?.close();
  }
}

/**
 * Why `ingestCalls` cannot read `lines` as lines, or undefined. A string, or a file's bytes, is
 * iterable too, but by character or byte: each was rejected as a line of its own (a file of a
 * thousand calls, a few hundred thousand rejections, none accepted); `null` failed as "Reading
 * the calls failed after line 0", a TypeError's words.
 */
function notAnIterableOfLines(lines: unknown): string | undefined {
  const fix = 'hand over an iterable of lines, one call each (an async generator, a readline interface, an array of strings or of their bytes)';
  if (typeof lines === 'string') return `The calls must come as lines, not as one string, which would be read a character at a time: ${fix}, such as \`text.split('\\n')\`; nothing was logged`;
  if (lines instanceof Uint8Array) return `The calls must come as lines, not as one buffer of bytes, which would be read a byte at a time: ${fix}, such as a file read with readline; nothing was logged`;
  const iterable = lines as { [Symbol.asyncIterator]?: unknown; [Symbol.iterator]?: unknown } | null | undefined;
  if (typeof iterable?.[Symbol.asyncIterator] === 'function' || typeof iterable?.[Symbol.iterator] === 'function') return undefined;
  return `The calls must come as lines: ${fix}, not ${lines === null ? 'null' : typeof lines}; nothing was logged`;
}

/**
 * One outcome per activation and warehouse: a run whose write failed and whose queue was then
 * written in a session of its own has two for an activation, which are one to its caller.
 */
function mergeOutcomes(outcomes: readonly ActivationOutcome[]): ActivationOutcome[] {
  const merged = new Map<string, ActivationOutcome>();
  for (const o of outcomes) {
    const key = `${o.activation}\u0000${o.warehouse}`;
    const seen = merged.get(key);
    // What a later session (the queue's, after a failed write) left queued is what is queued now: it read the whole queue.
    if (seen) merged.set(key, { ...seen, written: seen.written + o.written, duplicates: seen.duplicates + o.duplicates, refused: seen.refused + o.refused, queued: o.queued, ms: seen.ms + o.ms });
    else merged.set(key, o);
  }
  return [...merged.values()];
}

/**
 * The log's batches up to the first that brings the window to `most` calls, where the window
 * then ends (`window.until`): a window's hashes are held in memory until its batches are in.
 */
async function* windowOf<T>(batches: AsyncIterable<LogBatch<T>>, most: number, window: { until: LogPosition }): AsyncGenerator<LogBatch<T>> {
  let calls = 0;
  for await (const batch of batches) {
    yield batch;
    calls += batch.entries.length;
    if (calls >= most) {
      window.until = batch.end;
      return;
    }
  }
}

/**
 * The ledger's name for a space's Classic log of a warehouse: where its cursor is. It names the
 * log itself (`CallLog.id`): a log begun anew (its state folder lost) is refused by a schema
 * another log loaded (`otherLog`) until its state claims the schema, and then reads from its
 * start, its calls deduplicated by message id, rather than from a position in the one before it.
 */
function classicStream(warehouse: string, space: string, logId: string | undefined): string {
  return logId === undefined ? `classic/${warehouse}/${space}` : `classic/${warehouse}/${space}/${logId}`;
}

/**
 * Where a sync failed on one table (`Driver.tableError`) that a view, or another object that is no
 * table, stands in place of: what to move (`notATable`). The warehouse's words alone ("Can only
 * modify view with ALTER VIEW statement") name neither the table nor the way out. Best effort.
 */
async function notATableAdvice(driver: Driver, error: unknown): Promise<string | undefined> {
  const failed = failedTable(error);
  if (!failed || !driver.notTables || !driver.tableError?.(error)) return undefined;
  const [found] = await driver.notTables(failed.schema, [failed.table]).catch(() => []);
  return found && notATable(failed.schema, found.name, found.kind);
}
