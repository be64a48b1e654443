/**
 * How many of a window's batches the warehouse has applied, for a batch prepared ahead that must
 * see the tables as every batch before it left them (a first sync's batch repeating an earlier
 * batch's message ids looks for them in the tables before it is planned).
 */
export class BatchesApplied {
  private count = 0;
  private readonly waiting: Array<{ count: number; resolve: () => void }> = [];

  /** One more batch applied (committed), in order. */
  applied(): void {
    this.count++;
    for (let i = this.waiting.length - 1; i >= 0; i--) {
      const waiter = this.waiting[i]!;
      if (waiter.count > this.count) continue;
      this.waiting.splice(i, 1);
      waiter.resolve();
    }
  }

  /**
   * Resolves once `count` batches are applied. Rejects when `signal` aborts: the sync stopped
   * applying batches (one failed, or the warehouse was busy), and those it was waiting for never
   * will be.
   */
  until(count: number, signal: AbortSignal): Promise<void> {
    if (this.count >= count) return Promise.resolve();
    if (signal.aborted) return Promise.reject(stoppedError());
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        const at = this.waiting.indexOf(waiter);
        if (at >= 0) this.waiting.splice(at, 1);
        reject(stoppedError());
      };
      const waiter = {
        count,
        resolve: () => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      this.waiting.push(waiter);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }
}

function stoppedError(): Error {
  return new Error('the sync stopped applying batches before the ones this batch waited for');
}
