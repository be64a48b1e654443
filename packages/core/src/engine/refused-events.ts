import type { ActionEvent } from '../actions/events.js';

/**
 * Writes a failed write may be split into while its events are sorted out. Finding one refused
 * event among 10,000 takes about 2·log2(10,000) ≈ 28; past this, what is still undecided stays
 * queued as it is, for the next flush to sort further.
 */
const MOST_SPLIT_WRITES = 64;

/** Events a failed write left unwritten, and the warehouse's error that kept them out. */
export interface Unwritten {
  events: ActionEvent[];
  error: unknown;
}

/** What sorting a failed write needs of its session. */
export interface SplitWriter {
  /** Writes the events in one transaction; throws when the warehouse fails them. */
  write(events: ActionEvent[]): Promise<void>;
  /** Whether the warehouse answers at all: a warehouse that is down fails every write, whatever it holds. */
  answers(): Promise<boolean>;
}

/**
 * A write of queued events that the warehouse failed, split in halves until each part is written
 * or is one event the warehouse refuses on its own (a constraint a user put on the table, a value
 * no cast foresaw): such an event must not hold back every event queued behind it, on every
 * flush, forever. After each failure the warehouse is asked whether it answers at all; when it
 * does not, the failure is the warehouse's, not the events', and `error` (or the later one) is
 * thrown: nothing is set apart as refused while the warehouse is down. Returns the events left
 * unwritten, in queue order, with the error that kept each part out.
 */
export async function splitFailedWrite(writer: SplitWriter, events: ActionEvent[], error: unknown): Promise<Unwritten[]> {
  if (!(await writer.answers())) throw error;
  const unwritten: Unwritten[] = [];
  let writes = 0;
  const sort = async (part: ActionEvent[], failure: unknown): Promise<void> => {
    if (part.length === 1 || writes >= MOST_SPLIT_WRITES) {
      unwritten.push({ events: part, error: failure });
      return;
    }
    const middle = part.length >> 1;
    for (const half of [part.slice(0, middle), part.slice(middle)]) {
      if (writes >= MOST_SPLIT_WRITES) {
        unwritten.push({ events: half, error: failure });
        continue;
      }
      writes++;
      try {
        await writer.write(half);
      } catch (halfError) {
        if (!(await writer.answers())) throw halfError;
        await sort(half, halfError);
      }
    }
  };
  await sort(events, error);
  return unwritten;
}
