import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { failpoint } from '../testing/failpoint.js';
import { join } from 'node:path';
import { MissingSchemaError, type RunIdsLook } from '../actions/action-writer.js';
import { stateOwner } from './state-owner.js';
import type { EarlierWriterOf } from '../writer/table-writer.js';
import { eventFromChange, eventFromQueue, type ActionEvent } from '../actions/events.js';
import type { ActivationConfig, SpaceConfig, StowageConfig, WarehouseConfig } from '../config/config.js';
import type { ConnectContext, Destination } from '../contract/destination.js';
import type { History } from '../history/history.js';
import { CallLog } from '../log/call-log.js';
import { withFileLock } from '../log/file-lock.js';
import { comparePositions, LOG_START, type LogPosition } from '../log/position.js';
import type { Change } from '../runs/run.js';
import { ActionWriteSession, type ActivationOutcome, type FlushResult, type PreparedEvents } from './action-write-session.js';
import { MOST_SPLIT_WRITES, splitFailedWrite, type Unwritten } from '../writer/split-failed-write.js';
import { makeFolder } from '../process/make-folder.js';
import { replaceFile } from '../process/replace-file.js';
import { ColumnNamer } from '../naming/column-namer.js';

export type { ActivationOutcome, FlushResult };

/** A run's events for one warehouse, per activation. */
export type EventsByActivation = Map<ActivationConfig, ActionEvent[]>;

/**
 * One queued event: which activation it is for, the schema (`''` for the space's own) and table
 * that activation named when it was queued (absent in entries of earlier versions: written where
 * the activation writes now), and the event. In that order, so that a line's start tells them.
 */
interface Queued {
  a: string;
  s?: string;
  t?: string;
  e: ActionEvent;
}

/** The schema (`''` for the space's own) and table an activation names, as a queued entry keeps them. */
const targetOf = (activation: ActivationConfig) => ({ s: activation.schema ?? '', t: activation.table });

/** `<schema>.<table>` as the configuration names them, for what a notice says. */
const targetName = (space: string, s: string, t: string) => `${s === '' ? space : s}.${t}`;

/** A queued line's target, read off its start (`{"a":"…","s":"…","t":"…",`); undefined for an entry of an earlier version. */
const ENTRY_TARGET = /^\{"a":"(?:[^"\\]|\\.)*","s":("(?:[^"\\]|\\.)*"),"t":("(?:[^"\\]|\\.)*"),/;
function targetOfLine(line: string): { s: string; t: string } | undefined {
  const match = ENTRY_TARGET.exec(line);
  return match ? { s: JSON.parse(match[1]!) as string, t: JSON.parse(match[2]!) as string } : undefined;
}

/** One activation's events of a chunk, and their write, prepared unless they cannot be written now. */
export interface PendingWrite {
  activation: ActivationConfig;
  events: ActionEvent[];
  prepared?: PreparedEvents;
}

/** Events a flush holds back until the configuration changes: `why` of the activation, and the `fix` that lets them be written. */
export interface StrandedEvents {
  warehouse: string;
  space: string;
  activation: string;
  events: number;
  why: string;
  fix: string;
}

/** How the computation's key is written in a queued event's `context.personas`. */
const COMPUTATION_KEY = '"computation_key":';

/**
 * The computation a queued event's line was queued for, without parsing the whole event (a
 * queue left by an outage may hold millions): the event's `context` is written after its
 * properties (`eventFromChange`), so its key is the line's last; the line parsed where that look fails.
 */
function computationKeyOf(line: string): string {
  const at = line.lastIndexOf(COMPUTATION_KEY);
  if (at >= 0 && line.charCodeAt(at + COMPUTATION_KEY.length) === 34 /* " */) {
    let end = at + COMPUTATION_KEY.length + 1;
    while (end < line.length && line.charCodeAt(end) !== 34) end += line.charCodeAt(end) === 92 /* \ */ ? 2 : 1;
    try {
      const key: unknown = JSON.parse(line.slice(at + COMPUTATION_KEY.length, end + 1));
      if (typeof key === 'string') return key;
    } catch {
      // The whole line, below.
    }
  }
  return String((JSON.parse(line) as Queued).e.context.personas.computation_key);
}

/** How a queued entry's line starts, its activation's name next (`Queued`, as JSON.stringify writes it). */
const ENTRY_START = '{"a":"';

/** Reasons of refused events told one by one in a drain's notices, per activation and slice of the queue. */
const REFUSAL_REASONS_TOLD = 5;

/** Events per executeBatch call when the queue is written: one transaction each, with the mapping validated once. */
const WRITE_BATCH = 10_000;

/**
 * The Storage Actions path. A run's changes become track events per activation and are written
 * while the run is applied, before the profile state commits, through the destination's
 * actions-core definition (mapping kit, presets, performBatch → shared table writer). A process
 * that dies before the commit replays the run with the same message ids, and a message id is
 * written once, so each row lands exactly once. When the warehouse fails, the events go to a
 * durable queue (an outbox per warehouse and space) instead, written by the next run of the
 * space or `stowage flush`: the run itself never fails for a warehouse that is down.
 */
export class StorageActionsPath {
  constructor(
    private readonly config: StowageConfig,
    private readonly destinations: ReadonlyMap<string, Destination>,
    private readonly history: History,
    /** What tells of another state's writes in a schema from before claims (`TableWriter.claimFor`). */
    private readonly earlierWriter: (warehouse: WarehouseConfig) => EarlierWriterOf,
    /** What a destination's `connect` is given for a warehouse (`Stowage.connectContext`). */
    private readonly connectContext: (warehouse: WarehouseConfig) => ConnectContext,
  ) {}

  private dir(warehouse: string, space: string): string {
    return join(this.config.stateDir, 'actions', warehouse, space);
  }

  /**
   * Whether two targets (`Queued`'s schema and table) are one table of a warehouse: compared as
   * its writer names tables (`Carts` and `carts` are one), a warehouse no longer configured as written.
   */
  private sameTable(warehouse: string): (a: { s?: string; t: string }, b: { s?: string; t: string }) => boolean {
    const type = Object.hasOwn(this.config.warehouses, warehouse) ? this.config.warehouses[warehouse]!.type : undefined;
    const destination = type === undefined ? undefined : this.destinations.get(type);
    const names = destination ? new ColumnNamer(destination.dialect.identifiers) : undefined;
    const named = (t: string) => names?.column(t) ?? t;
    return (a, b) => (a.s ?? '') === (b.s ?? '') && (a.t === b.t || named(a.t) === named(b.t));
  }

  private outbox(warehouse: string, space: string): CallLog {
    return new CallLog(join(this.dir(warehouse, space), 'queue'));
  }

  private readCursor(warehouse: string, space: string): LogPosition {
    try {
      return JSON.parse(readFileSync(join(this.dir(warehouse, space), 'cursor.json'), 'utf8')) as LogPosition;
    } catch {
      return LOG_START;
    }
  }

  /** Atomically: a crash leaves the old cursor or the new one, and either replays safely. */
  private writeCursor(warehouse: string, space: string, position: LogPosition): void {
    replaceFile(join(this.dir(warehouse, space), 'cursor.json'), JSON.stringify(position));
  }

  /** Message ids of queued events the warehouse refused on their own (`refused.json`): a hint, never a decision. */
  private readRefused(warehouse: string, space: string): Set<string> {
    try {
      return new Set(JSON.parse(readFileSync(join(this.dir(warehouse, space), 'refused.json'), 'utf8')) as string[]);
    } catch {
      return new Set();
    }
  }

  private writeRefused(warehouse: string, space: string, ids: ReadonlySet<string>): void {
    const file = join(this.dir(warehouse, space), 'refused.json');
    if (ids.size === 0 && !existsSync(file)) return;
    replaceFile(file, JSON.stringify([...ids]));
  }

  activationsOf(space: SpaceConfig, computation: string): ActivationConfig[] {
    return Object.values(space.activations).filter((a) => a.computation === computation);
  }

  /** Warehouses an activation of the space writes to. */
  warehousesOf(space: SpaceConfig): string[] {
    return [...new Set(Object.values(space.activations).map((a) => a.warehouse))];
  }

  /** The events of changes for each of the given activations, per warehouse. */
  eventsFor(space: SpaceConfig, activations: readonly ActivationConfig[], changes: readonly Change[]): Map<string, EventsByActivation> {
    const out = new Map<string, EventsByActivation>();
    for (const activation of activations) {
      const computation = space.computations[activation.computation]!;
      const events: ActionEvent[] = [];
      for (const change of changes) {
        const event = eventFromChange(change, activation, computation, space);
        if (event) events.push(event);
      }
      if (events.length === 0) continue;
      let byActivation = out.get(activation.warehouse);
      if (!byActivation) out.set(activation.warehouse, (byActivation = new Map()));
      byActivation.set(activation, events);
    }
    return out;
  }

  /** Queues events durably for a later write; returns how many. */
  async enqueue(warehouse: string, space: SpaceConfig, events: EventsByActivation): Promise<number> {
    const entries: Queued[] = [];
    for (const [activation, list] of events) {
      const { s, t } = targetOf(activation);
      for (const e of list) entries.push({ a: activation.name, s, t, e });
    }
    if (entries.length > 0) await this.outbox(warehouse, space.name).append(entries);
    return entries.length;
  }

  /**
   * The client's share of writing a chunk of a run's events for one warehouse, per activation.
   * An activation that cannot be written now (the warehouse failed, its schema is missing) gets
   * no prepared write: its events go to the durable queue when the chunk's turn comes.
   */
  async prepareWrites(s: ActionWriteSession, byActivation: EventsByActivation, look: RunIdsLook = {}): Promise<PendingWrite[]> {
    const writes: PendingWrite[] = [];
    for (const [activation, events] of byActivation) {
      if (s.failed || s.heldActivations.has(activation.name)) {
        if (!s.failed) s.hold(events.length, undefined, activation.name);
        writes.push({ activation, events });
        continue;
      }
      try {
        writes.push({ activation, events, prepared: await s.prepare(activation, events, look) });
      } catch (error) {
        failedWrite(s, activation, events.length, error);
        writes.push({ activation, events });
      }
    }
    return writes;
  }

  /**
   * Writes a chunk's prepared writes, in order; what cannot be written now (the warehouse failed,
   * here or in an earlier chunk) goes to the durable queue instead. Returns how many events were
   * written (refused ones included: they had their answer).
   */
  async commitOrQueue(s: ActionWriteSession, warehouse: string, space: SpaceConfig, writes: readonly PendingWrite[]): Promise<number> {
    let written = 0;
    const queue: EventsByActivation = new Map();
    for (const { activation, events, prepared } of writes) {
      if (prepared && !s.failed) {
        try {
          await s.commit(prepared);
          written += events.length;
          continue;
        } catch (error) {
          failedWrite(s, activation, events.length, error);
        }
      }
      queue.set(activation, events);
    }
    if (queue.size > 0) await this.enqueue(warehouse, space, queue);
    return written;
  }

  /** A write session on a warehouse, recorded in the history under `trigger`. */
  open(warehouse: WarehouseConfig, space: SpaceConfig, trigger: string): ActionWriteSession {
    const queued = () => this.queuedBy(warehouse.name, space.name);
    return new ActionWriteSession(this.destinations.get(warehouse.type)!, warehouse, space, this.connectContext(warehouse), this.history, trigger, stateOwner(this.config.stateDir, warehouse), queued, this.earlierWriter(warehouse));
  }

  /**
   * Per activation, the events waiting in the queue of a warehouse and space, from its cursor to
   * its end. Each entry's activation is read off the start of its line (`{"a":"<name>",…}`, a name
   * that needs no escapes), not the whole event parsed: a queue may hold a run's million events.
   */
  async queuedBy(warehouse: string, space: string): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    if (!this.pending(warehouse, space)) return counts;
    const outbox = this.outbox(warehouse, space);
    for await (const { buf } of outbox.chunks(this.readCursor(warehouse, space), outbox.end())) {
      let start = 0;
      for (let nl = buf.indexOf(10); nl !== -1; nl = buf.indexOf(10, start)) {
        const from = start + ENTRY_START.length;
        const to = buf.indexOf(34 /* " */, from);
        if (to !== -1 && to < nl && buf.toString('latin1', start, from) === ENTRY_START) {
          const name = buf.toString('utf8', from, to);
          counts.set(name, (counts.get(name) ?? 0) + 1);
        }
        start = nl + 1;
      }
    }
    return counts;
  }

  /**
   * The message ids of the events waiting in the queue of a warehouse and space for one
   * activation (from its cursor to its end).
   */
  async queuedIds(warehouse: string, space: string, activation: ActivationConfig): Promise<Set<string>> {
    const ids = new Set<string>();
    const here = targetOf(activation);
    const same = this.sameTable(warehouse);
    // An entry held for the table the activation named before is no entry of the one it names now.
    await this.eachQueued(warehouse, space, activation.name, (q) => {
      if (q.t === undefined || same({ s: q.s, t: q.t }, here)) ids.add(q.e.messageId);
    });
    return ids;
  }

  /**
   * Each event waiting in the queue of a warehouse and space for one activation. Only that
   * activation's lines are parsed: the queue of a warehouse that was down may hold millions of others.
   */
  private async eachQueued(warehouse: string, space: string, activation: string, visit: (queued: Queued) => void): Promise<void> {
    await this.eachQueuedLine(warehouse, space, activation, (line) => visit(JSON.parse(line) as Queued));
  }

  /** `eachQueued`, each event as its line, unparsed. */
  private async eachQueuedLine(warehouse: string, space: string, activation: string, visit: (line: string) => void): Promise<void> {
    if (!this.pending(warehouse, space)) return;
    const start = Buffer.from(`${ENTRY_START}${activation}"`);
    const outbox = this.outbox(warehouse, space);
    for await (const { buf } of outbox.chunks(this.readCursor(warehouse, space), outbox.end())) {
      let from = 0;
      for (let nl = buf.indexOf(10); nl !== -1; nl = buf.indexOf(10, from)) {
        if (nl - from > start.length && buf.compare(start, 0, start.length, from, from + start.length) === 0) visit(buf.toString('utf8', from, nl));
        from = nl + 1;
      }
    }
  }

  /**
   * Where the queue of a warehouse and space ends, as text: it moves when events are queued (a
   * drain puts back the ones it holds too). Empty where nothing was ever queued.
   */
  queueEnd(warehouse: string, space: string): string {
    if (!existsSync(join(this.dir(warehouse, space), 'queue'))) return '';
    return JSON.stringify(this.outbox(warehouse, space).end());
  }

  /** Whether events wait in the queue of a warehouse and space. */
  pending(warehouse: string, space: string): boolean {
    // Without a queue folder nothing was ever queued; opening the queue would make one.
    if (!existsSync(join(this.dir(warehouse, space), 'queue'))) return false;
    return comparePositions(this.outbox(warehouse, space).end(), this.readCursor(warehouse, space)) > 0;
  }

  /**
   * Queues holding events for a warehouse or space no longer in the configuration: nothing writes
   * them until it is configured again, so they are told about rather than left unseen.
   */
  stranded(): Array<{ warehouse: string; space: string }> {
    const root = join(this.config.stateDir, 'actions');
    if (!existsSync(root)) return [];
    const out: Array<{ warehouse: string; space: string }> = [];
    for (const warehouse of readdirSync(root)) {
      for (const space of existsSync(join(root, warehouse)) ? readdirSync(join(root, warehouse)) : []) {
        // Own keys only: folders named `constructor` name nothing configured.
        const configured = Object.hasOwn(this.config.warehouses, warehouse) && Object.hasOwn(this.config.spaces, space);
        if (!configured && this.pending(warehouse, space)) out.push({ warehouse, space });
      }
    }
    return out;
  }

  /**
   * Events waiting in the queue of a configured warehouse and space that a flush holds back until
   * the configuration changes, so that they are told about rather than left unseen: those of an
   * activation no longer configured (renamed, removed), of one that now writes to another
   * warehouse, or that now activates another computation (`drain` holds each alike).
   */
  async strandedActivations(): Promise<StrandedEvents[]> {
    const out: StrandedEvents[] = [];
    for (const warehouse of Object.keys(this.config.warehouses)) {
      for (const [name, space] of Object.entries(this.config.spaces)) {
        if (!this.pending(warehouse, name)) continue;
        for (const [activation, events] of await this.queuedBy(warehouse, name)) {
          const at = { warehouse, space: name, activation };
          const now = Object.hasOwn(space.activations, activation) ? space.activations[activation] : undefined;
          if (!now) out.push({ ...at, events, why: 'is no longer configured', fix: 'configure it again under that name' });
          else if (now.warehouse !== warehouse) out.push({ ...at, events, why: `now writes to warehouse "${now.warehouse}"`, fix: `point it back at warehouse "${warehouse}"` });
          else {
            const others = new Map<string, number>();
            const elsewhere = new Map<string, number>();
            const here = targetOf(now);
            const { s, t } = here;
            const same = this.sameTable(warehouse);
            await this.eachQueuedLine(warehouse, name, activation, (line) => {
              const key = computationKeyOf(line);
              if (key !== now.computation) others.set(key, (others.get(key) ?? 0) + 1);
              const was = targetOfLine(line);
              if (key === now.computation && was && !same(was, here)) elsewhere.set(targetName(name, was.s, was.t), (elsewhere.get(targetName(name, was.s, was.t)) ?? 0) + 1);
            });
            for (const [was, n] of others) out.push({ ...at, events: n, why: `now activates computation "${now.computation}" (queued for "${was}")`, fix: `point it back at "${was}" (or give "${now.computation}" an activation of its own)` });
            for (const [was, n] of elsewhere) out.push({ ...at, events: n, why: `now writes to ${targetName(name, s, t)} (queued for ${was})`, fix: `point it back at ${was}` });
          }
        }
      }
    }
    return out;
  }

  /** Writes every event queued for a warehouse and space, now, in its own session. */
  async flush(warehouse: WarehouseConfig, space: SpaceConfig, trigger: string, onRead?: (events: number) => void): Promise<FlushResult> {
    const session = this.open(warehouse, space, trigger);
    // A flush is in the history even when the queue is empty. The warehouse before the queue's
    // lock, as a run takes them (ActionWriteSession.connected).
    session.begin();
    if (this.pending(warehouse.name, space.name)) await session.connected();
    await this.drain(session, warehouse, space, onRead);
    return session.close();
  }

  /**
   * Writes the queue of a warehouse and space through a session; a failure ends the session as a
   * Failure. `onRead` hears of each slice of the queue once it is handled (written, refused or held).
   */
  async drain(session: ActionWriteSession, warehouse: WarehouseConfig, space: SpaceConfig, onRead?: (events: number) => void): Promise<void> {
    // A drain is in the history, whatever becomes of it (the lock, the queue, the writes).
    session.begin();
    if (session.failed) return;
    session.recountHeld();
    const lock = join(this.config.stateDir, 'locks', `actions-${warehouse.name}-${space.name}.lock`);
    try {
      // Inside the guard: a state folder that cannot be written ends the session as a Failure,
      // in the history, rather than leaving it open and the caller with an exception.
      makeFolder(join(lock, '..'));
      makeFolder(this.dir(warehouse.name, space.name));
      await withFileLock(lock, `A Storage Actions write to warehouse "${warehouse.name}"`, async () => {
        const outbox = this.outbox(warehouse.name, space.name);
        // Split writes this drain may spend setting apart the events the warehouse refuses, and
        // the ones it refused before, tried alone.
        const sorting: Sorting = { budget: { writes: MOST_SPLIT_WRITES }, refused: this.readRefused(warehouse.name, space.name) };
        // A drain killed after it queued a slice's held events again and before its cursor passed
        // the slice left them queued twice (the slice is read again). Where one may have been
        // (`requeued`, written before a drain first queues events again, removed once it ends),
        // this drain keeps the events it reads and queues again by activation, target and message id (one
        // event may wait for two tables: the one its activation named, and the one it names now,
        // which starts with the current members), and passes the copies by, so that a kill there
        // never doubles what stays queued, nor each kill again. Only then: the keys take memory
        // for every event held, which a drain of millions waiting for a schema would not spare.
        const requeued = join(this.dir(warehouse.name, space.name), 'requeued');
        const dedupe = existsSync(requeued);
        let marked = dedupe;
        const seenKeys = new Set<string>();
        const keyOf = (q: Queued) => JSON.stringify([q.a, q.s ?? null, q.t ?? null, q.e.messageId]);
        for await (const { entries: read, end } of outbox.read<Queued>(this.readCursor(warehouse.name, space.name), WRITE_BATCH)) {
          const entries = !dedupe
            ? read
            : read.filter((q) => {
                // A copy of one this drain read before (held again, or written since) is passed by.
                const key = keyOf(q);
                if (seenKeys.has(key)) return false;
                seenKeys.add(key);
                return true;
              });
          // Their contexts as the text a run's own events carry, for the same rows.
          for (const q of entries) q.e = eventFromQueue(q.e);
          // Events that cannot be written yet go back to the end of the queue before the cursor
          // passes them: one blocked activation never holds back the others, and nothing is lost.
          const held: Queued[] = [];
          // Held events go back as they were queued, their target with them.
          const entryOf = new Map(entries.map((q) => [q.e, q]));
          const requeue = (name: string, list: readonly ActionEvent[]) => {
            for (const e of list) {
              const q = entryOf.get(e) ?? { a: name, e };
              if (dedupe) seenKeys.add(keyOf(q));
              held.push(q);
            }
          };
          for (const [name, queued] of groupByActivation(entries)) {
            let events = queued;
            // Own entries only: a removed activation's name may be one every object has (`constructor`).
            const activation = Object.hasOwn(space.activations, name) ? space.activations[name] : undefined;
            if (session.heldActivations.has(name)) {
              // Held earlier in this session (its schema is missing): back to the queue, untried.
              session.hold(events.length, undefined, name);
              requeue(name, events);
              continue;
            }
            if (!activation) {
              requeue(name, events);
              session.hold(events.length, `activation "${name}" is not configured (configure it again, under that name, to write them)`, undefined, true);
              continue;
            }
            // Queued for the computation the activation named then: written now they would land
            // as another computation's rows, in a table meant for it.
            const otherComputation = events.filter((e) => e.context.personas.computation_key !== activation.computation);
            if (otherComputation.length > 0) {
              const was = String(otherComputation[0]!.context.personas.computation_key);
              requeue(name, otherComputation);
              session.hold(otherComputation.length, `activation "${name}" now activates computation "${activation.computation}"; these were queued for "${was}" (point it back at "${was}" to write them, or give the new computation an activation of its own)`, undefined, true);
              events = events.filter((e) => e.context.personas.computation_key === activation.computation);
              if (events.length === 0) continue;
            }
            if (activation.warehouse !== warehouse.name) {
              // Queued for this warehouse's table; written into the other's, they would be in neither where expected.
              requeue(name, events);
              session.hold(events.length, `activation "${name}" now writes to warehouse "${activation.warehouse}"; these were queued for "${warehouse.name}" (point it back at "${warehouse.name}" to write them here)`, name, true);
              continue;
            }
            // Queued for the table it named then: written into the one it names now, that table
            // would get exits of members it never saw enter, and the old one never see them leave.
            // Compared as the writer names tables: `Carts` for `carts` is the same table.
            const here = targetOf(activation);
            const { s, t } = here;
            const same = this.sameTable(warehouse.name);
            const elsewhere = new Map<string, ActionEvent[]>();
            for (const e of events) {
              const q = entryOf.get(e);
              if (q?.t === undefined || same({ s: q.s, t: q.t }, here)) continue;
              const was = targetName(space.name, q.s ?? '', q.t);
              let list = elsewhere.get(was);
              if (!list) elsewhere.set(was, (list = []));
              list.push(e);
            }
            if (elsewhere.size > 0) {
              const moved = new Set<ActionEvent>();
              for (const [was, list] of elsewhere) {
                requeue(name, list);
                // Not the activation held: its events for the table it names now are written.
                session.hold(list.length, `activation "${name}" now writes to ${targetName(space.name, s, t)}; these were queued for ${was} (point it back at ${was} to write them there)`, undefined, true);
                for (const e of list) moved.add(e);
              }
              events = events.filter((e) => !moved.has(e));
              if (events.length === 0) continue;
            }
            try {
              for (const e of await writeSlice(session, activation, events, sorting)) requeue(name, [e]);
            } catch (thrown) {
              // The events of the slice a write took before the error are not queued again.
              const { error, unwritten } = thrown instanceof SliceNotWritten ? thrown : { error: thrown, unwritten: events };
              if (error instanceof MissingSchemaError) session.hold(unwritten.length, `activation "${name}": ${error.message}`, name);
              // Its own table refuses the write (a privilege on it revoked, a view in its place):
              // the others of the space are written; checked against a warehouse that still answers.
              else if (session.tableError(error) && (await session.answers())) session.holdTableRefused(activation, unwritten.length, error);
              else throw error;
              requeue(name, unwritten);
            }
          }
          if (held.length > 0) {
            if (!marked) writeFileSync(requeued, '');
            marked = true;
            await outbox.append(held);
            failpoint('actions:after-requeue');
          }
          // Before the cursor: a crash between them tries the refused events again, as refused.
          this.writeRefused(warehouse.name, space.name, sorting.refused);
          this.writeCursor(warehouse.name, space.name, end);
          onRead?.(read.length);
        }
        // Every copy a killed drain left is behind the cursor now.
        if (marked) rmSync(requeued, { force: true });
        outbox.prune(this.readCursor(warehouse.name, space.name));
        session.queueEndAfterDrain(this.queueEnd(warehouse.name, space.name));
      });
    } catch (error) {
      session.fail(error);
    }
  }
}

/** What a drain knows while it sorts out the events the warehouse refuses. */
interface Sorting {
  /** Split and retry writes left to the drain (`MOST_SPLIT_WRITES`). */
  budget: { writes: number };
  /** Message ids of queued events the warehouse refused on their own, by this drain or an earlier one. */
  refused: Set<string>;
}

/** A slice's write that failed after some of its writes took their events: the error, and the events not written. */
class SliceNotWritten {
  constructor(
    readonly error: unknown,
    readonly unwritten: ActionEvent[],
  ) {}
}

/**
 * Writes one activation's events of a slice of the queue. When the warehouse fails the write on a
 * row's data, the write is split until the events it refuses on their own are set apart
 * (`splitFailedWrite`); their ids are kept (`Sorting.refused`), so that a later drain tries each
 * of them alone, one write each, rather than splitting its slice again. Returns the events that
 * stay queued, with a notice for a few of the reasons. Throws when the warehouse itself fails
 * (the session then fails and everything stays queued), or when the schema is missing; where
 * some of its writes took their events before, a SliceNotWritten with the events left.
 */
async function writeSlice(session: ActionWriteSession, activation: ActivationConfig, events: ActionEvent[], sorting: Sorting): Promise<ActionEvent[]> {
  const written = new Set<ActionEvent>();
  const write = async (part: ActionEvent[]) => {
    await session.write(activation, part);
    for (const e of part) written.add(e);
  };
  try {
    return await sortSlice(session, activation, events, sorting, write);
  } catch (error) {
    if (written.size === 0) throw error;
    throw new SliceNotWritten(error, events.filter((e) => !written.has(e)));
  }
}

/** `writeSlice`'s sorting of the slice, each write through `write`, which keeps what it took. */
async function sortSlice(session: ActionWriteSession, activation: ActivationConfig, events: ActionEvent[], sorting: Sorting, write: (part: ActionEvent[]) => Promise<void>): Promise<ActionEvent[]> {
  const refusedBefore = events.filter((e) => sorting.refused.has(e.messageId));
  const others = refusedBefore.length === 0 ? events : events.filter((e) => !sorting.refused.has(e.messageId));
  const refused: Array<Unwritten<ActionEvent>> = [];
  const stay: ActionEvent[] = [];
  let unsorted = 0;
  if (others.length > 0) {
    try {
      await write(others);
    } catch (error) {
      if (error instanceof MissingSchemaError) throw error;
      for (const part of await splitFailedWrite({ write, rowError: (e) => session.rowError(e), answers: () => session.answers() }, others, error, sorting.budget)) {
        stay.push(...part.events);
        if (part.refused) refused.push(part);
        else unsorted += part.events.length;
      }
    }
  }
  for (const event of refusedBefore) {
    if (sorting.budget.writes <= 0) {
      stay.push(event);
      unsorted++;
      continue;
    }
    sorting.budget.writes--;
    try {
      await write([event]);
      sorting.refused.delete(event.messageId);
    } catch (error) {
      if (error instanceof MissingSchemaError || !session.rowError(error) || !(await session.answers())) throw error;
      stay.push(event);
      refused.push({ events: [event], error, refused: true });
    }
  }
  for (const part of refused) for (const e of part.events) sorting.refused.add(e.messageId);
  noticeRefusals(session, activation.name, refused, unsorted, events.length - stay.length);
  return stay;
}

/** The notices of the events an activation's slice left queued: one per reason for a few reasons, the rest counted. */
function noticeRefusals(session: ActionWriteSession, name: string, refused: ReadonlyArray<Unwritten<ActionEvent>>, unsorted: number, took: number): void {
  const byReason = new Map<string, { events: ActionEvent[]; error: unknown }>();
  for (const part of refused) {
    const reason = (part.error as Error)?.message ?? String(part.error);
    const group = byReason.get(reason) ?? byReason.set(reason, { events: [], error: part.error }).get(reason)!;
    group.events.push(...part.events);
  }
  // Reasons may quote each row (PostgreSQL's `Failing row contains …`): a few are told, the rest counted.
  const groups = [...byReason.values()];
  for (const group of groups.slice(0, REFUSAL_REASONS_TOLD)) session.holdRefused(name, group.events, group.error, took);
  const untold = groups.slice(REFUSAL_REASONS_TOLD).reduce((n, group) => n + group.events.length, 0);
  if (untold > 0) session.hold(untold, `activation "${name}": the warehouse refused these too, each on its own, for reasons like the ones above`);
  if (unsorted > 0) session.hold(unsorted, `activation "${name}": the warehouse refused a row among them, not found or not tried again yet (the next flush goes on)`);
}

/** Each activation's events, in queue order (an activation's events share one mapping). */
function groupByActivation(entries: readonly Queued[]): Map<string, ActionEvent[]> {
  const groups = new Map<string, ActionEvent[]>();
  for (const { a, e } of entries) {
    let events = groups.get(a);
    if (!events) groups.set(a, (events = []));
    events.push(e);
  }
  return groups;
}

/** A write that failed: a missing schema holds back its own activation only; any other failure, the warehouse. */
function failedWrite(s: ActionWriteSession, activation: ActivationConfig, events: number, error: unknown): void {
  if (error instanceof MissingSchemaError) s.hold(events, `activation "${activation.name}": ${error.message}`, activation.name);
  else s.fail(error);
}
