import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Pauses before a Classic batch or a `users` refresh is tried again after the warehouse was busy
 * (`Driver.busyError`: a lock held by another session past the session's lock timeout, a
 * serialization conflict, a deadlock), doubling from a second to half a minute: about a minute
 * in all, enough for a conflict or a short query of someone else's, not for a long one, for
 * which the sync fails and the next one tries again.
 */
export const BUSY_DELAYS_MS: readonly number[] = [1000, 2000, 4000, 8000, 16_000, 30_000];

/** The tries of one sync, counted from its last write that went through. */
export class BusyRetries {
  private tries = 0;
  /** When the spell's first busy error came (`Date.now()`): the time told is the spell's, lock waits and tries included. */
  private spellSince = 0;

  constructor(private readonly delaysMs: readonly number[] = BUSY_DELAYS_MS) {}

  /** After a busy error: waits its turn and says to try again, or says the tries are spent. */
  async pause(): Promise<boolean> {
    const delay = this.delaysMs[this.tries];
    if (delay === undefined) return false;
    if (this.tries === 0) this.spellSince = Date.now();
    this.tries++;
    await sleep(delay);
    return true;
  }

  /** Whether this is the first pause of a busy spell (told once in the sync's notices). */
  get firstOfSpell(): boolean {
    return this.tries === 0;
  }

  /** A write went through: the next busy spell gets every try again. */
  reset(): void {
    this.tries = 0;
  }

  /** The error a sync fails with once the tries are spent; `holders`: who held locks on the schema's tables then (`Driver.lockHolders`). */
  spent(error: unknown, holders: readonly string[] = []): Error {
    // The pauses alone said ~61 s of a spell of two minutes: each try waited for the lock too.
    const seconds = Math.round((this.tries === 0 ? 0 : Date.now() - this.spellSince) / 1000);
    const message = (error as Error)?.message ?? String(error);
    return new Error(
      `the warehouse stayed busy with other sessions' work through ${this.delaysMs.length + 1} tries over ~${seconds} s (${message}): a lock Stowage needs is held, or another writer touches the same tables${heldBy(holders)}; what is loaded stays, and the next sync goes on from there`,
    );
  }
}

/** `; locks on the schema's tables: …` of a busy notice or error, when the warehouse said who holds them. */
export function heldBy(holders: readonly string[]): string {
  return holders.length > 0 ? `; locks on the schema's tables: ${holders.join('; ')}` : '';
}
