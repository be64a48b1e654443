import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Cron } from 'croner';
import { makeFolder, StowageError, withFileLock, type Stowage } from '@stowage/core';
import { printNotices, summarize } from './sync.js';
import { QueueRetries } from './queue-retries.js';
import { strandedNotices } from './run.js';

export interface ServeOptions {
  /** Seconds from queued Storage Actions events first seen to their first retry (then doubling, at most hourly). */
  retryAfterSeconds: number;
}

export const DEFAULT_RETRY_AFTER_SECONDS = 60;

/**
 * Runs `work` (a serve) as the only `stowage serve` of the state folder: a second one, started by
 * mistake (a unit file and a terminal), refused at once, saying which process serves it. Two
 * would each sync on the schedules, the second's syncs refused as under way in the first, each a
 * Failure in the history, and each retry the queues.
 */
export async function servingAlone(stowage: Pick<Stowage, 'config'>, work: () => Promise<void>): Promise<void> {
  const lock = join(stowage.config.stateDir, 'locks', 'serve.lock');
  // A new project's state folder is made by its first command.
  makeFolder(join(stowage.config.stateDir, 'locks'));
  try {
    await withFileLock(lock, `\`stowage serve\` of the state folder ${stowage.config.stateDir}`, work, 0);
  } catch (error) {
    // Not the serve's own failure: the lock was not taken.
    if (!(error instanceof StowageError) || !error.message.includes(`(lock file ${lock})`)) throw error;
    const owner = lockOwner(lock);
    throw new StowageError(
      `another \`stowage serve\`${owner ? ` (process ${owner})` : ''} serves the state folder ${stowage.config.stateDir} (lock file ${lock}): two would each sync on the schedules, and retry the queues. Stop it before starting this one, or remove the lock file if that process is gone.`,
      { cause: error },
    );
  }
}

/** The pid a lock file names, if it can be read. */
function lockOwner(lock: string): string | undefined {
  try {
    return readFileSync(lock, 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

/** How often the Storage Actions queues are looked at (a few file reads each, no warehouse), at most. */
const QUEUE_LOOK_MS = 5_000;

/**
 * Runs every warehouse's Classic sync on its cron schedule (UTC) until SIGINT/SIGTERM. A sync that
 * is still running when its next slot comes is not started twice; the slot is skipped. Storage
 * Actions events left queued by a failed write (a run's, in any process) are written again on
 * their own schedule (`QueueRetries`). One piece of work at a time per warehouse; once stopped,
 * the work under way finishes before this returns.
 */
export async function serve(stowage: Stowage, opts: ServeOptions = { retryAfterSeconds: DEFAULT_RETRY_AFTER_SECONDS }): Promise<void> {
  const inFlight = new Map<string, Promise<unknown>>();
  /** Set by SIGINT or SIGTERM: the work under way ends, and none starts after it. */
  let stopped = false;
  const exclusive = async <T>(warehouse: string, work: () => Promise<T>): Promise<T | undefined> => {
    for (let busy = inFlight.get(warehouse); busy; busy = inFlight.get(warehouse)) await busy.catch(() => undefined);
    // Work that waited behind other work is not started once stopped.
    if (stopped) return undefined;
    const running = work();
    inFlight.set(warehouse, running);
    try {
      return await running;
    } finally {
      inFlight.delete(warehouse);
    }
  };

  // Work no warehouse of this configuration will do: said once, at the start (a state folder that
  // cannot be read now is no reason not to serve).
  try {
    for (const line of strandedNotices(stowage)) console.log(line);
  } catch (error) {
    console.error(`${stamp()} ${(error as Error).message}`);
  }

  const jobs = Object.values(stowage.config.warehouses).map((w) => {
    const sync = (trigger: 'schedule' | 'connected') =>
      exclusive(w.name, async () => {
        // A result of the schedule's, with the others on standard output (`serve >> log` keeps it): serve goes on.
        const record = await stowage.sync(w.name, { trigger }).catch((error: Error) => {
          console.log(`${stamp()} ${w.name}: not synced: ${error.message}`);
          return undefined;
        });
        if (record) {
          console.log(`${stamp()} ${summarize(record)}`);
          printNotices(record);
        }
        // None once stopped (SIGINT or SIGTERM during this sync).
        const next = job.nextRun();
        if (next) console.log(`next sync of ${w.name}: ${next.toISOString()}`);
      });
    // A slot that comes while this warehouse's sync before it still runs is skipped, and said.
    // The one before may not have begun: a sync waits for a retry of the warehouse's queue under way.
    const skipped = () => console.log(`${stamp()} ${w.name}: the sync due now is skipped: the one before it has not ended (it runs, or waits for the retry of the warehouse's queue under way)`);
    // The start's sync (below) is no slot of croner's: a slot that comes while it runs is skipped as one that comes during a slot's.
    let starting = false;
    const job = new Cron(w.schedule, { timezone: 'UTC', protect: skipped }, () => (starting ? skipped() : sync('schedule')));
    const first = job.nextRun();
    // A schedule whose last time has passed (a year gone) is a valid configuration: said, and the others served.
    console.log(first ? `warehouse ${w.name}: schedule "${w.schedule}" (UTC), next sync ${first.toISOString()}` : `warehouse ${w.name}: schedule "${w.schedule}" (UTC) has no time to come (its last has passed): no scheduled sync of it; give it a schedule with times to come, and restart serve`);
    // A warehouse that never loaded (new to the configuration) is synced now, not at its first
    // scheduled time (up to an hour away, hourly): Engage fills a warehouse's tables, `users`
    // with the current state, as soon as the warehouse is connected. Not one whose schedule has
    // no time to come: that is how a user stops a warehouse's syncs, the first one too.
    if (first && !everSynced(stowage, w.name)) {
      console.log(`warehouse ${w.name}: never synced: syncing now`);
      starting = true;
      void sync('connected').finally(() => (starting = false));
    }
    return job;
  });

  const retries = new QueueRetries(opts.retryAfterSeconds * 1000);
  // Queues whose every event waits for a change of the configuration, which this process read
  // once: where each ended then. Written again once new events come (the end moves), not before:
  // a retry would only hold them again, and add a Partial to the history at each.
  const waitingForConfiguration = new Map<string, string>();
  const queueKey = (warehouse: string, space: string) => `${warehouse}\u0000${space}`;
  // Never throws: a queue that cannot be read now (the state folder's disk) is said, and looked at again next time.
  const queuedSpaces = (warehouse: string): string[] | undefined => {
    try {
      return stowage.queuedSpaces(warehouse).filter((space) => {
        const key = queueKey(warehouse, space);
        const end = waitingForConfiguration.get(key);
        if (end === undefined) return true;
        if (end === stowage.queueEnd(warehouse, space)) return false;
        waitingForConfiguration.delete(key);
        return true;
      });
    } catch (error) {
      console.error(`${stamp()} ${warehouse}: ${(error as Error).message}`);
      return undefined;
    }
  };
  const retry = async (warehouse: string) => {
    const results = await stowage.flush(warehouse, { trigger: 'retry', onlyQueued: true }).catch((error: Error) => {
      console.log(`${stamp()} ${warehouse}: ${error.message}`);
      return [];
    });
    for (const { record, space, heldUntilConfigured } of results) {
      console.log(`${stamp()} ${summarize(record)}`);
      printNotices(record);
      if (!heldUntilConfigured) continue;
      waitingForConfiguration.set(queueKey(warehouse, space), heldUntilConfigured.queueEnd);
      console.log(
        `${stamp()} ${warehouse}: the ${heldUntilConfigured.events} events queued for space ${space} wait for a change of the configuration (above; \`stowage check\` lists them): not retried until more events are queued for it; change the configuration, then restart serve`,
      );
    }
    const left = queuedSpaces(warehouse) ?? ['?'];
    retries.retried(warehouse, left.length > 0, Date.now());
    const next = retries.nextAt(warehouse);
    // None once stopped: no retry comes.
    if (next !== undefined && !stopped) console.log(`Storage Actions events stay queued for warehouse ${warehouse} (space ${left.join(', ')}): next retry ${new Date(next).toISOString()}`);
  };
  const lookAtQueues = () => {
    for (const warehouse of Object.keys(stowage.config.warehouses)) {
      if (inFlight.has(warehouse)) continue;
      const queued = queuedSpaces(warehouse);
      if (queued !== undefined && retries.isDue(warehouse, queued.length > 0, Date.now())) void exclusive(warehouse, () => retry(warehouse));
    }
  };
  const looking = setInterval(lookAtQueues, Math.min(QUEUE_LOOK_MS, opts.retryAfterSeconds * 1000));
  lookAtQueues();

  await new Promise<void>((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      stopped = true;
      // A second signal, of any of these, stops the process at once (Node's own handling).
      for (const s of STOP_SIGNALS) process.removeListener(s, stop);
      for (const job of jobs) job.stop();
      clearInterval(looking);
      const busy = [...inFlight.keys()];
      console.log(
        busy.length === 0
          ? `${stamp()} ${signal}: stopping`
          : `${stamp()} ${signal}: stopping once the work under way on warehouse ${busy.join(', ')} ends; nothing new starts (a second signal, SIGINT, SIGTERM or SIGHUP, stops at once: what was committed stays, and the next sync or flush goes on from there)`,
      );
      resolve();
    };
    for (const s of STOP_SIGNALS) process.once(s, stop);
  });
  // A sync or retry that waited behind the last one starts once it ends: wait for it too.
  while (inFlight.size > 0) {
    await Promise.allSettled([...inFlight.values()]);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/**
 * What stops `serve` once the work under way ends: Ctrl-C, a service manager's stop, and the
 * hangup of the terminal it runs in (Node's own handling of SIGHUP ended it at once, mid-sync).
 */
const STOP_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/**
 * Whether a Classic sync of the warehouse ever ended (`History.everSynced`); true where the state
 * folder cannot be read now (nothing is synced at the start then, rather than every warehouse).
 */
function everSynced(stowage: Stowage, warehouse: string): boolean {
  try {
    return stowage.history.everSynced(warehouse);
  } catch (error) {
    console.error(`${stamp()} ${(error as Error).message}`);
    return true;
  }
}

/** A log line's time, as every line of `serve` starts. */
const stamp = () => `[${new Date().toISOString()}]`;
