import { Cron } from 'croner';
import type { Stowage } from '@stowage/core';
import { printNotices, summarize } from './sync.js';
import { QueueRetries } from './queue-retries.js';

export interface ServeOptions {
  /** Seconds from queued Storage Actions events first seen to their first retry (then doubling, at most hourly). */
  retryAfterSeconds: number;
}

export const DEFAULT_RETRY_AFTER_SECONDS = 60;

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
  const exclusive = async <T>(warehouse: string, work: () => Promise<T>): Promise<T> => {
    for (let busy = inFlight.get(warehouse); busy; busy = inFlight.get(warehouse)) await busy.catch(() => undefined);
    const running = work();
    inFlight.set(warehouse, running);
    try {
      return await running;
    } finally {
      inFlight.delete(warehouse);
    }
  };

  const jobs = Object.values(stowage.config.warehouses).map((w) => {
    const job = new Cron(w.schedule, { timezone: 'UTC', protect: true }, () =>
      exclusive(w.name, async () => {
        const record = await stowage.sync(w.name, { trigger: 'schedule' }).catch((error: Error) => {
          console.error(`${w.name}: ${error.message}`);
          return undefined;
        });
        if (record) {
          console.log(`[${new Date().toISOString()}] ${summarize(record)}`);
          printNotices(record);
        }
        // None once stopped (SIGINT or SIGTERM during this sync).
        const next = job.nextRun();
        if (next) console.log(`next sync of ${w.name}: ${next.toISOString()}`);
      }),
    );
    console.log(`warehouse ${w.name}: schedule "${w.schedule}" (UTC), next sync ${job.nextRun()?.toISOString()}`);
    return job;
  });

  const retries = new QueueRetries(opts.retryAfterSeconds * 1000);
  // Never throws: a queue that cannot be read now (the state folder's disk) is said, and looked at again next time.
  const queuedSpaces = (warehouse: string): string[] | undefined => {
    try {
      return stowage.queuedSpaces(warehouse);
    } catch (error) {
      console.error(`${warehouse}: ${(error as Error).message}`);
      return undefined;
    }
  };
  const retry = async (warehouse: string) => {
    const results = await stowage.flush(warehouse, { trigger: 'retry', onlyQueued: true }).catch((error: Error) => {
      console.error(`${warehouse}: ${error.message}`);
      return [];
    });
    for (const { record } of results) {
      console.log(`[${new Date().toISOString()}] ${summarize(record)}`);
      printNotices(record);
    }
    const left = queuedSpaces(warehouse) ?? ['?'];
    retries.retried(warehouse, left.length > 0, Date.now());
    const next = retries.nextAt(warehouse);
    if (next !== undefined) console.log(`Storage Actions events stay queued for warehouse ${warehouse} (space ${left.join(', ')}): next retry ${new Date(next).toISOString()}`);
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
    const stop = () => {
      for (const job of jobs) job.stop();
      clearInterval(looking);
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  // A sync or retry that waited behind the last one starts once it ends: wait for it too.
  while (inFlight.size > 0) {
    await Promise.allSettled([...inFlight.values()]);
    await new Promise((resolve) => setImmediate(resolve));
  }
}
