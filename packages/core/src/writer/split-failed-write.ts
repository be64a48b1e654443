/**
 * Writes one drain of the queue (or one Classic batch) may spend splitting failed writes while
 * their events are sorted out. Finding one refused event among 10,000 takes about
 * 2·log2(10,000) ≈ 28; once they are spent, what is still undecided is left as it is: queued,
 * for the next flush to sort further, or in the log, for the sync to fail on and say why.
 */
export const MOST_SPLIT_WRITES = 64;

/** Events a failed write left unwritten, and the warehouse's error that kept them out. */
export interface Unwritten<T> {
  events: T[];
  error: unknown;
  /** One event the warehouse refused on its own; false: a part left unsorted when the writes were spent. */
  refused: boolean;
}

/** What sorting a failed write needs of its session. */
export interface SplitWriter<T> {
  /** Writes the events in one transaction; throws when the warehouse fails them. */
  write(events: T[]): Promise<void>;
  /** Whether an error is one a row's data caused (`Driver.rowError`): any other is the warehouse's. */
  rowError(error: unknown): boolean;
  /** Whether the warehouse answers at all. */
  answers(): Promise<boolean>;
  /**
   * Optional: sets an event found refused on its own apart at once, before the next part is
   * written (for parts that are "the first n" of what is left, rather than a list).
   */
  setApart?(event: T, error: unknown): Promise<void>;
}

/**
 * A write of events (queued Storage Actions events, a Classic batch's calls) that the warehouse
 * failed on a row's data (a constraint a user put on the table, a value no cast foresaw), split in
 * halves until each part is written or is one event the warehouse refuses on its own: such an
 * event must not hold back every event behind it, on every flush or sync, forever. Any other error (the warehouse down, disk full, privileges, a lock
 * timeout), or a warehouse that no longer answers, is the warehouse's, not the events': it is
 * thrown, and nothing is set apart. `budget.writes` is the split writes left to the drain, shared
 * by its failed writes. Returns the events left unwritten, in queue order.
 */
export async function splitFailedWrite<T>(writer: SplitWriter<T>, events: T[], error: unknown, budget: { writes: number }): Promise<Array<Unwritten<T>>> {
  if (!writer.rowError(error) || !(await writer.answers())) throw error;
  const unwritten: Array<Unwritten<T>> = [];
  const sort = async (part: T[], failure: unknown): Promise<void> => {
    if (part.length === 1) {
      await writer.setApart?.(part[0]!, failure);
      unwritten.push({ events: part, error: failure, refused: true });
      return;
    }
    const middle = part.length >> 1;
    for (const half of [part.slice(0, middle), part.slice(middle)]) {
      if (budget.writes <= 0) {
        unwritten.push({ events: half, error: failure, refused: false });
        continue;
      }
      budget.writes--;
      try {
        await writer.write(half);
      } catch (halfError) {
        if (!writer.rowError(halfError) || !(await writer.answers())) throw halfError;
        await sort(half, halfError);
      }
    }
  };
  await sort(events, error);
  return unwritten;
}
