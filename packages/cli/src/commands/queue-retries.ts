/** The longest wait between two retries of events that stay queued: an hour, a Classic sync's default period. */
export const MOST_RETRY_DELAY_MS = 60 * 60 * 1000;

/**
 * When `serve` writes a warehouse's queued Storage Actions events again. Events left queued by a
 * failed write (the warehouse down) are retried `firstDelayMs` after they are first seen, then,
 * while a retry leaves events queued (still down, or a schema still missing), after twice the
 * last wait, up to an hour: an outage of a day costs ~30 writes in the history, not one a minute.
 * A queue found empty starts over: the next events seen wait `firstDelayMs` again.
 */
export class QueueRetries {
  private readonly due = new Map<string, { at: number; delay: number }>();

  constructor(private readonly firstDelayMs: number) {}

  /** Whether the warehouse's queue, holding events (`queued`) or not, is to be written at `now`. */
  isDue(warehouse: string, queued: boolean, now: number): boolean {
    if (!queued) {
      this.due.delete(warehouse);
      return false;
    }
    let entry = this.due.get(warehouse);
    if (!entry) this.due.set(warehouse, (entry = { at: now + this.firstDelayMs, delay: this.firstDelayMs }));
    return now >= entry.at;
  }

  /** After a retry: events still queued wait twice as long as the last time; none left start over. */
  retried(warehouse: string, stillQueued: boolean, now: number): void {
    const entry = this.due.get(warehouse);
    if (!stillQueued || !entry) {
      this.due.delete(warehouse);
      return;
    }
    entry.delay = Math.min(entry.delay * 2, Math.max(MOST_RETRY_DELAY_MS, this.firstDelayMs));
    entry.at = now + entry.delay;
  }

  /** When the warehouse's next retry is due (epoch ms), if events wait for one. */
  nextAt(warehouse: string): number | undefined {
    return this.due.get(warehouse)?.at;
  }
}
