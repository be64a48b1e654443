import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { ActionWriter } from '../actions/action-writer.js';
import { actionsCore } from '../actions/actions-core.js';
import { bindActionWriter } from '../actions/definition.js';
import { eventFromChange, type ActionEvent } from '../actions/events.js';
import { sendCustomEventFields } from '../actions/fields.js';
import { presetColumns } from '../actions/presets.js';
import type { ActivationConfig, SpaceConfig, StowageConfig, WarehouseConfig } from '../config/config.js';
import type { Destination } from '../contract/destination.js';
import type { History, SyncRecord } from '../history/history.js';
import { redact } from '../history/redact.js';
import { CallLog } from '../log/call-log.js';
import { withFileLock } from '../log/file-lock.js';
import { LOG_START, type LogPosition } from '../log/position.js';
import type { Change } from '../runs/run.js';

/** What one activation's events became in one write (a run's, or a retry's). */
export interface ActivationOutcome {
  activation: string;
  warehouse: string;
  /** `<schema>.<table>`. */
  table: string;
  /** Events written (a message already in the table counts once, when it first landed). */
  written: number;
  /** Events refused: entity context over the limit, a name outside the scope, an invalid payload. */
  refused: number;
  /** Milliseconds from the start of the write to its commit. */
  ms: number;
}

export interface FlushResult {
  record: SyncRecord;
  activations: ActivationOutcome[];
}

/** One queued event: which activation it is for, and the event. */
interface Queued {
  a: string;
  e: ActionEvent;
}

/** Events per executeBatch call: one transaction each, with the mapping validated once. */
const WRITE_BATCH = 10_000;

/**
 * The Storage Actions path. A run's changes become track events per activation, queued durably
 * (an outbox per warehouse and space, written before the profile state commits, so nothing is
 * lost if the process dies after the run); the queue is then written at once through the
 * destination's actions-core definition (mapping kit, presets, performBatch → shared table
 * writer). A message id is written once, so a write killed mid-way and retried lands each row
 * exactly once.
 */
export class StorageActionsPath {
  constructor(
    private readonly config: StowageConfig,
    private readonly destinations: ReadonlyMap<string, Destination>,
    private readonly history: History,
  ) {}

  private dir(warehouse: string, space: string): string {
    return join(this.config.stateDir, 'actions', warehouse, space);
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
    const file = join(this.dir(warehouse, space), 'cursor.json');
    writeFileSync(`${file}.tmp`, JSON.stringify(position));
    renameSync(`${file}.tmp`, file);
  }

  activationsOf(space: SpaceConfig, computation: string): ActivationConfig[] {
    return Object.values(space.activations).filter((a) => a.computation === computation);
  }

  /** Warehouses an activation of the space writes to. */
  warehousesOf(space: SpaceConfig): string[] {
    return [...new Set(Object.values(space.activations).map((a) => a.warehouse))];
  }

  /** Queues the events of changes for each of the given activations; returns how many. */
  async enqueue(space: SpaceConfig, activations: readonly ActivationConfig[], changes: readonly Change[]): Promise<number> {
    const byWarehouse = new Map<string, Queued[]>();
    for (const activation of activations) {
      const computation = space.computations[activation.computation]!;
      for (const change of changes) {
        const event = eventFromChange(change, activation, computation, space);
        if (!event) continue;
        let queue = byWarehouse.get(activation.warehouse);
        if (!queue) byWarehouse.set(activation.warehouse, (queue = []));
        queue.push({ a: activation.name, e: event });
      }
    }
    let queued = 0;
    for (const [warehouse, entries] of byWarehouse) {
      await this.outbox(warehouse, space.name).append(entries);
      queued += entries.length;
    }
    return queued;
  }

  /** The mapping an activation's events go through: the preset's columns, then its own. */
  private mapping(space: SpaceConfig, activation: ActivationConfig): Record<string, unknown> {
    return {
      ...actionsCore.defaultValues(sendCustomEventFields as never),
      event: activation.table,
      schema: activation.schema ?? space.name,
      schemaOverride: activation.schema !== undefined,
      maxEntityContextBytes: activation.maxEntityContextBytes,
      properties: { ...presetColumns(activation.preset), ...activation.columns },
    };
  }

  /** Writes every event queued for a warehouse and space, now. */
  async flush(warehouse: WarehouseConfig, space: SpaceConfig, trigger: string): Promise<FlushResult> {
    const destination = this.destinations.get(warehouse.type)!;
    const lock = join(this.config.stateDir, 'locks', `actions-${warehouse.name}-${space.name}.lock`);
    mkdirSync(join(lock, '..'), { recursive: true });
    mkdirSync(this.dir(warehouse.name, space.name), { recursive: true });
    return withFileLock(lock, `A Storage Actions write to warehouse "${warehouse.name}"`, async () => {
      const record: SyncRecord = {
        id: `write_${new Date().toISOString().replace(/[-:.TZ]/g, '').slice(0, 14)}_${randomUUID().slice(0, 8)}`,
        warehouse: warehouse.name,
        path: 'storage-actions',
        trigger,
        startedAt: new Date().toISOString(),
        status: 'Running',
        calls: 0,
        rows: {},
        casts: 0,
        rejects: 0,
        duplicates: 0,
        notices: [],
        pid: process.pid,
      };
      this.history.record(record);
      const outcomes = new Map<string, ActivationOutcome>();
      let refused = 0;
      let driver;
      try {
        driver = await destination.connect(warehouse.settings, { root: this.config.root });
        const writer = new ActionWriter(driver, destination.dialect, destination.capabilities, (schema) => schema === space.name);
        const definition = new actionsCore.Destination(destination.definition as never);
        // A settings object of this write's own: performBatch finds the engine's session by it.
        const settings = { ...warehouse.settings };
        const unbind = bindActionWriter(settings, writer);
        try {
          const outbox = this.outbox(warehouse.name, space.name);
          for await (const { entries, end } of outbox.read<Queued>(this.readCursor(warehouse.name, space.name), WRITE_BATCH)) {
            for (const [name, events] of groupByActivation(entries)) {
              const activation = space.activations[name];
              if (!activation) {
                record.notices.push(`${events.length} queued events of activation "${name}", which is no longer configured, were skipped`);
                continue;
              }
              const started = Date.now();
              const before = { ...writer.totals.rows };
              const results = await definition.executeBatch('sendCustomEvent', { events: events as never, mapping: this.mapping(space, activation) as never, settings: settings as never });
              const outcome = outcomes.get(name) ?? { activation: name, warehouse: warehouse.name, table: `${activation.schema ?? space.name}.${activation.table}`, written: 0, refused: 0, ms: 0 };
              for (const [i, r] of results.entries()) {
                if (r.status >= 200 && r.status < 300) outcome.written++;
                else {
                  outcome.refused++;
                  if (refused++ < 20) record.notices.push(`${name}: event ${events[i]?.messageId} not written: ${(r as { errormessage?: string }).errormessage ?? r.status}`);
                }
              }
              outcome.ms += Date.now() - started;
              outcomes.set(name, outcome);
              record.calls += events.length;
              for (const [table, n] of Object.entries(writer.totals.rows)) {
                const gained = n - (before[table] ?? 0);
                if (gained > 0) record.rows[table] = (record.rows[table] ?? 0) + gained;
              }
            }
            this.writeCursor(warehouse.name, space.name, end);
          }
          const cursor = this.readCursor(warehouse.name, space.name);
          outbox.prune(cursor);
        } finally {
          unbind();
        }
        record.duplicates = writer.totals.duplicates;
        record.casts = writer.totals.casts;
        record.rejects = writer.totals.rejects;
        record.status = refused > 0 || record.rejects > 0 ? 'Partial' : 'Success';
        if (refused > 20) record.notices.push(`… and ${refused - 20} more events not written`);
      } catch (error) {
        record.status = 'Failure';
        record.error = `${redact((error as Error).message ?? String(error), destination.secrets(warehouse.settings))} (the events stay queued: the next run of the space, or \`stowage flush\`, writes them)`;
      } finally {
        await driver?.close().catch(() => undefined);
        record.endedAt = new Date().toISOString();
        delete record.pid;
        this.history.record(record);
      }
      return { record, activations: [...outcomes.values()] };
    });
  }
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
