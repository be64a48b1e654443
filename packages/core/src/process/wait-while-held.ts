import { setTimeout as sleep } from 'node:timers/promises';
import { emptyFileAt, removeIfStillEmpty } from './empty-file.js';
import { WaitQueue } from './wait-queue.js';

/** How often a file another process holds is tried again. */
const POLL_MS = 200;

/**
 * However often the holder changes, a waiter gives up after this many times its timeout: two
 * processes that take a file in turn, over and over, would otherwise keep it waiting for good.
 */
const TURNS_AT_MOST = 20;

/** A file one process kept past the wait (`waitWhileHeld`): who held it, and for how long. */
export class HeldTooLongError extends Error {
  constructor(
    /** The holder as the open's error names it (a pid), or undefined where it does not. */
    readonly holder: string | undefined,
    /** How long that holder kept the file while this process waited. */
    readonly heldMs: number,
    /** How long this process waited in all, through every holder. */
    readonly waitedMs: number,
    cause: unknown,
    /** How many waiters were ahead of this one when it gave up (queued behind them: `heldMs` is how long the line did not move). */
    readonly ahead = 0,
  ) {
    super((cause as Error)?.message ?? String(cause), { cause });
    this.name = 'HeldTooLongError';
  }
}

export interface WaitWhileHeldOptions<T = unknown> {
  /** How long one holder may keep the file before the waiter gives up. */
  timeoutMs: number;
  /** How long the whole wait may last, through every holder: TURNS_AT_MOST timeouts unless given (a quick look gives its timeout). */
  inAllMs?: number;
  /**
   * Told once the waiting starts, and each time another process holds the file; `ahead`: how many
   * waiters came before this one (`queue`), told when it joins the queue behind them.
   */
  onWait?: (holder: string | undefined, ahead?: number) => void;
  /**
   * A folder where waiters queue (WaitQueue): only the first of them tries the file, so that
   * processes take it in the order they came, and a newcomer queues behind those waiting.
   */
  queue?: string;
  /**
   * Lets go of what `open` gave (`queue`), where a waiter that came before this one joined the
   * line while it opened the file: the file is the earlier waiter's. Without it, this one keeps it.
   */
  release?: (opened: T) => unknown;
  /**
   * When the waiter came, for its place in line (ms since the epoch; default: the call): a
   * command's own start, so that commands keep the order they were started in however long each
   * takes to get here (a few hundred milliseconds of startup, more on a busy machine).
   */
  arrivedAt?: number;
  pollMs?: number;
  /** Tests give a clock of their own. */
  now?: () => number;
  sleep?: (ms: number) => Promise<unknown>;
}

/**
 * Opens a file that one process at a time may hold (DuckDB's database files), trying again while
 * another holds it. `heldBy` tells a refusal for that from any other error: it gives the holder
 * (a pid; '' where the error names none), or undefined for an error to throw at once.
 *
 * The timeout is how long one holder may keep the file, not the whole wait: commands run side by
 * side (a scheduler starting a run of each computation at once) take the file in turn, and the
 * last of eleven runs of a few seconds each waited past a fixed 30 s and failed, while every
 * holder was moving on. A holder that keeps the file past the timeout (a long run, a shell left
 * open on the file) still ends the wait, with HeldTooLongError.
 */
export async function waitWhileHeld<T>(open: () => Promise<T>, heldBy: (error: unknown) => string | undefined, options: WaitWhileHeldOptions<T>): Promise<T> {
  const now = options.now ?? Date.now;
  const pause = options.sleep ?? sleep;
  const started = now();
  // A place in line is the arrival, not the first refusal: two commands arriving a few
  // milliseconds apart (a refusal takes 3–7 ms) keep their order.
  const arrived = options.arrivedAt ?? Date.now();
  const line = options.queue === undefined ? undefined : new WaitQueue(options.queue);
  // Unordered once the folder takes no ticket (read-only, full, not a folder): the wait goes on
  // as it did before queues, rather than failing; the command's own writes there say what is wrong.
  let queued = line !== undefined;
  let ticket: string | undefined;
  // The wait goes on from the last time it moved: another holder seen (by the waiter trying the
  // file), or the file taken by a waiter of the line (`WaitQueue.taken`). Not a waiter leaving the
  // line: where the holder keeps the file, the first in line giving up reset the others' waits,
  // and the oldest command alone failed, its run then refused for good behind the newer ones.
  let holder: string | undefined;
  let taken = queued ? line!.lastTaken() : undefined;
  let told = false;
  let ahead: string[] = [];
  let since = started;
  let refusal: unknown;
  // In line from the start (a ticket made, then looked ahead of), so that the first look counts
  // only those that came before.
  let inLineSince = 0;
  if (queued) {
    try {
      ticket = line!.enter(arrived);
      inLineSince = Date.now();
    } catch {
      queued = false;
    }
  }
  const giveUp = (t: number, why?: Error): never => {
    // A quick look (its own time in all: `stowage check`) giving up says nothing of the line.
    if (ticket !== undefined && options.inAllMs === undefined) line!.markGaveUp(ticket);
    throw new HeldTooLongError(holder || undefined, t - since, t - started, refusal ?? why ?? new Error(`other processes waited ahead of this one for ${Math.round((t - started) / 1000)} s`), ahead.length);
  };
  try {
    for (;;) {
      ahead = [];
      let broken = false;
      if (queued) {
        try {
          ahead = line!.ahead(ticket);
          const last = line!.lastTaken();
          if (last !== taken) {
            taken = last;
            since = now();
          }
          broken = line!.gaveUpAhead(ticket!, inLineSince);
        } catch {
          queued = false;
        }
      }
      // A waiter ahead gave up (the holder kept the file past the timeout): this one gives up
      // too, rather than take the file over it: a newer run applied first has the older refused
      // for good, and sent again in order, they all apply.
      if (broken) {
        ahead = ahead.length > 0 ? ahead : [''];
        giveUp(now(), new Error('a command ahead of this one in line for the file gave up waiting for it'));
      }
      if (ahead.length === 0) {
        try {
          const opened = await open();
          // A waiter that came before this one may have joined the line while the file opened
          // (its command slower to start): it takes the file, or it would find a newer run
          // applied and be refused for good.
          if (queued && options.release && cameBefore(line!, ticket)) {
            await options.release(opened);
            told = false;
          } else {
            if (queued) line!.markTaken();
            return opened;
          }
        } catch (error) {
          const by = heldBy(error);
          if (by === undefined) throw error;
          refusal = error;
          // A holder the error does not name cannot be told from the one before.
          if (by !== '' && holder !== undefined && holder !== '' && by !== holder) since = now();
          if (holder === undefined || (by !== '' && by !== holder)) {
            holder = by;
            options.onWait?.(by === '' ? undefined : by);
          }
          told = true;
        }
      } else if (!told) {
        // Behind other waiters: this one does not try the file until they have had it.
        told = true;
        options.onWait?.(undefined, ahead.length);
      }
      const t = now();
      if (t - since > options.timeoutMs || t - started > (options.inAllMs ?? options.timeoutMs * TURNS_AT_MOST)) giveUp(t);
      await pause(options.pollMs ?? POLL_MS);
    }
  } finally {
    if (ticket !== undefined) line!.leave(ticket);
  }
}

/** Whether a waiter that came before the one holding `ticket` is in line (false where the folder cannot be read). */
function cameBefore(line: WaitQueue, ticket: string | undefined): boolean {
  try {
    return line.ahead(ticket).length > 0;
  } catch {
    return false;
  }
}

/**
 * The holder of a DuckDB file named in DuckDB's refusal to open it for want of its lock (a pid;
 * '' where it names none), or undefined for any other error: `Could not set lock on file …:
 * Conflicting lock is held in /usr/bin/node (PID 4242)`. Only those words: a corrupt file's
 * error (`… checksum … in block at location …`) holds "lock" too, and was waited on as if held.
 */
export function duckdbLockHolder(error: unknown): string | undefined {
  const message = (error as Error)?.message ?? '';
  if (!/Could not set lock on file|Conflicting lock is held/i.test(message)) return undefined;
  return /\(PID (\d+)\)/i.exec(message)?.[1] ?? '';
}

/**
 * Opens a DuckDB file with `create`, waiting while other processes hold it in turn
 * (`waitWhileHeld`). A file left empty by a command that ran out of disk as it made it, which
 * DuckDB refuses as "not a valid DuckDB database" on every open, is removed and made again, once.
 */
export function openDuckDBFile<T>(path: string, create: () => Promise<T>, options: WaitWhileHeldOptions<T>): Promise<T> {
  let emptied = false;
  return waitWhileHeld(
    async () => {
      const empty = emptied ? undefined : emptyFileAt(path);
      try {
        return await create();
      } catch (error) {
        if (/not a valid DuckDB database/i.test((error as Error).message) && (emptied = removeIfStillEmpty(empty))) return await create();
        throw error;
      }
    },
    duckdbLockHolder,
    options,
  );
}
