import { randomBytes } from 'node:crypto';
import { readFileSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ownerGone } from './alive.js';
import { makeFolder } from './make-folder.js';

/**
 * A ticket its waiter has not touched for this long is left over (a process frozen, or gone in a
 * way `ownerGone` cannot tell): waiters touch theirs at every look, a few times a second. Well
 * under the 30 s a waiter waits for a line that does not move, so that those behind a frozen
 * waiter go on before they give up.
 */
const STALE_MS = 10_000;

/** Rewritten by each waiter that takes the file: those behind see the line move. */
const TAKEN = 'taken';

/** `<arrival ms, 15 digits>-<pid, 10 digits>-<random>.wait`: names sort in the order the waiters came. */
const TICKET = /^(\d{15})-(\d+)-[0-9a-f]{8}\.wait$/;

/** Written by a waiter that gave up: its ticket and when, so that those behind it give up too. */
const GAVE_UP = 'gave-up';

/**
 * The processes waiting for a file one process at a time may hold, in the order they came: a
 * ticket each, a file in a folder of their own. Without it, each waiter tried the file every
 * 200 ms, and whichever tried first once it was let go took it: of four runs of one computation
 * started a second apart while another run held the profile state, the last took it first, and
 * the three older ones were refused for good (a computation's runs apply in the order they
 * completed).
 */
export class WaitQueue {
  constructor(private readonly dir: string) {}

  /** Joins the queue, at the place of a waiter that came at `arrived` (ms since the epoch): behind those that came before. */
  enter(arrived: number): string {
    makeFolder(this.dir);
    const name = `${String(Math.floor(arrived)).padStart(15, '0')}-${String(process.pid).padStart(10, '0')}-${randomBytes(4).toString('hex')}.wait`;
    writeFileSync(join(this.dir, name), '');
    return name;
  }

  /**
   * The waiters ahead of `ticket` (ahead of any newcomer, without one), first first; `ticket` is
   * touched (its waiter is alive), and the tickets of waiters gone are removed.
   */
  ahead(ticket?: string): string[] {
    if (ticket !== undefined) touch(join(this.dir, ticket));
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch {
      return [];
    }
    const ahead: string[] = [];
    for (const name of names.sort()) {
      if (ticket !== undefined && name >= ticket) break;
      const m = TICKET.exec(name);
      if (!m) continue;
      if (this.gone(name, Number(m[2]), Number(m[1]))) rmSync(join(this.dir, name), { force: true });
      else ahead.push(name);
    }
    return ahead;
  }

  /** What the last waiter to take the file wrote (`markTaken`), or undefined for none yet. */
  lastTaken(): string | undefined {
    try {
      return readFileSync(join(this.dir, TAKEN), 'utf8');
    } catch {
      return undefined;
    }
  }

  /** Says the file was taken (best effort: a folder that refuses it only hides the line's moves). */
  markTaken(): void {
    try {
      writeFileSync(join(this.dir, TAKEN), `${Date.now()} ${process.pid} ${randomBytes(4).toString('hex')}`);
    } catch {
      // as above
    }
  }

  /**
   * Says that the waiter holding `ticket` gave up: every waiter that was behind it then gives up
   * too (`gaveUpAhead`), rather than take the file over it; best effort.
   */
  markGaveUp(ticket: string): void {
    try {
      writeFileSync(join(this.dir, GAVE_UP), `${ticket}\n${Date.now()}`);
    } catch {
      // as above
    }
  }

  /** Whether a waiter ahead of `ticket` gave up since `inLineSince` (ms since the epoch), while this one was in line behind it. */
  gaveUpAhead(ticket: string, inLineSince: number): boolean {
    let text: string;
    try {
      text = readFileSync(join(this.dir, GAVE_UP), 'utf8');
    } catch {
      return false;
    }
    const [which, at] = text.split('\n');
    return which !== undefined && which < ticket && Number(at) >= inLineSince;
  }

  leave(ticket: string): void {
    try {
      rmSync(join(this.dir, ticket), { force: true });
    } catch {
      // A folder gone or refusing: a ticket left there is taken for gone with its process.
    }
  }

  private gone(name: string, pid: number, madeAt: number): boolean {
    if (ownerGone(pid, madeAt)) return true;
    try {
      return Date.now() - statSync(join(this.dir, name)).mtimeMs > STALE_MS;
    } catch {
      // Removed meanwhile: its waiter took the file, or gave up.
      return true;
    }
  }
}

function touch(path: string): void {
  const now = new Date();
  try {
    utimesSync(path, now, now);
  } catch {
    // Removed by another waiter that took it for left over (a pause past STALE_MS): made again.
    writeFileSync(path, '');
  }
}
