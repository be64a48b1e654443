import { Cron } from 'croner';
import type { Stowage } from '@stowage/core';
import { printNotices, summarize } from './sync.js';

/**
 * Runs every warehouse's Classic sync on its cron schedule (UTC) until SIGINT/SIGTERM. A sync that
 * is still running when its next slot comes is not started twice; the slot is skipped.
 */
export async function serve(stowage: Stowage): Promise<void> {
  const jobs = Object.values(stowage.config.warehouses).map((w) => {
    const job = new Cron(w.schedule, { timezone: 'UTC', protect: true }, async () => {
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
    });
    console.log(`warehouse ${w.name}: schedule "${w.schedule}" (UTC), next sync ${job.nextRun()?.toISOString()}`);
    return job;
  });
  await new Promise<void>((resolve) => {
    const stop = () => {
      for (const job of jobs) job.stop();
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}
