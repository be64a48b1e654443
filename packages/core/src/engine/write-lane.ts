/**
 * Runs tasks one after another, in the order they are submitted, while the submitter goes on
 * preparing the next ones. `submit` returns once at most `depth` tasks wait behind the one
 * running, so memory stays bounded by a few batches however long the stream. The first failure
 * is kept: later tasks are skipped, and `submit` and `settle` reject with it.
 */
export class WriteLane {
  private tail: Promise<void> = Promise.resolve();
  private waiting = 0;
  private error: { cause: unknown } | undefined;
  private readonly freed: Array<() => void> = [];

  constructor(private readonly depth = 1) {}

  async submit(task: () => Promise<void>): Promise<void> {
    this.check();
    this.waiting++;
    this.tail = this.tail.then(async () => {
      this.waiting--;
      this.freed.shift()?.();
      if (this.error) return;
      try {
        await task();
      } catch (cause) {
        this.error = { cause };
        for (const wake of this.freed.splice(0)) wake();
      }
    });
    while (this.waiting > this.depth && !this.error) await new Promise<void>((resolve) => this.freed.push(resolve));
    this.check();
  }

  /** Resolves when every submitted task has run; rejects with the first failure. */
  async settle(): Promise<void> {
    await this.tail;
    this.check();
  }

  private check(): void {
    if (this.error) throw this.error.cause;
  }
}
