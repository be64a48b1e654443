import { appendFileSync, closeSync, existsSync, fstatSync, linkSync, openSync, readdirSync, readFileSync, readSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { ownerGone } from '../process/alive.js';
import { makeFolder } from '../process/make-folder.js';
import { fullDiskAdvice } from '../process/full-disk.js';
import { UsageError } from '../engine/errors.js';

/**
 * Records this process started: Running while it runs. Any other Running record whose pid is gone,
 * or now names a process started after it (a container's PID 1, reused by every start), was
 * interrupted.
 */
const startedHere = new Set<string>();


export type SyncStatus = 'Running' | 'Success' | 'Partial' | 'Failure';

/** One sync as `stowage history` shows it. */
export interface SyncRecord {
  id: string;
  warehouse: string;
  /** Classic: a scheduled or manual sync of the log. Storage Actions: the write after a run (trigger `run <id>`). */
  path: 'classic' | 'storage-actions';
  trigger: string;
  startedAt: string;
  endedAt?: string;
  status: SyncStatus;
  calls: number;
  rows: Record<string, number>;
  casts: number;
  rejects: number;
  duplicates: number;
  notices: string[];
  error?: string;
  pid?: number;
}


/** A history file past this size is set aside as a generation of its own, and a new one begun. */
const GENERATION_BYTES = 16 * 1024 * 1024;

/**
 * Generations set aside that are kept (the oldest beyond them removed): with the file in use, at
 * most ~128 MB of history, ~100,000 syncs and writes, whatever the years of `serve`.
 */
const KEPT_GENERATIONS = 7;

/** Generations read for what a sync or a run looks up (the recent ones): at most ~32 MB. */
const RECENT_GENERATIONS = 2;

/**
 * Sync history: an append-only NDJSON file of start and end records, folded by sync id. A sync
 * whose process died (kill -9) shows as a Failure, "interrupted", never as forever Running. It
 * is kept in generations (`history.ndjson`, and those set aside, `history-<n>.ndjson`), so that
 * it never grows without bound, and a look at the recent syncs never reads years of them.
 */
export class History {
  /** Whether the file's folder is there: made with the first record, so that a command that records nothing (`check`) makes no state folder. */
  private folderMade = false;

  /** A generation's file name: `history-<n>.ndjson`, `n` counting up from 1, ten digits, so that names sort as they were set aside. */
  private readonly generation: RegExp;

  constructor(
    private readonly file: string,
    /** The size a file is set aside at (tests give a small one). */
    private readonly generationBytes = GENERATION_BYTES,
  ) {
    this.generation = new RegExp(`^${basename(file, '.ndjson').replace(/[^A-Za-z0-9_]/g, '\\$&')}-(\\d{10})\\.ndjson$`);
  }

  /**
   * Ends that could not be written (`recordEnd`), each written before the next line that can be:
   * left out, a sync's record stayed Running in the file for as long as its process lived (a
   * `serve` of months), though the sync had ended.
   */
  private readonly unwrittenEnds: SyncRecord[] = [];

  private append(line: string): void {
    while (this.unwrittenEnds.length > 0) {
      try {
        this.appendLine(JSON.stringify(this.unwrittenEnds[0]));
      } catch {
        // Still no room: the line itself may fail as well, and says so to its caller.
        break;
      }
      startedHere.delete(this.unwrittenEnds.shift()!.id);
    }
    this.appendLine(line);
  }

  private appendLine(line: string): void {
    if (!this.folderMade) makeFolder(dirname(this.file));
    this.folderMade = true;
    this.setAsideIfFull();
    // A line cut short (a write that ran out of disk) would swallow this record whole: it starts
    // a line of its own (at worst, beside another process's append, a blank line, which is skipped).
    appendFileSync(this.file, endsCut(this.file) ? `\n${line}\n` : `${line}\n`);
  }

  /**
   * A full file is set aside as the next generation, and the oldest beyond KEPT_GENERATIONS
   * removed. Linked under the next number, never over an existing one (two processes setting
   * aside at once: the second takes the number after, or finds the file gone), then unlinked:
   * another process's append under way lands in the generation, read before the new file.
   * Numbers, not times: a clock set back would have sorted the newest first, and removed it.
   */
  private setAsideIfFull(): void {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        if (statSync(this.file).size < this.generationBytes) return;
        const last = this.generations().at(-1);
        const next = (last === undefined ? 0 : Number(this.generation.exec(basename(last))![1])) + 1;
        linkSync(this.file, join(dirname(this.file), `${basename(this.file, '.ndjson')}-${String(next).padStart(10, '0')}.ndjson`));
        unlinkSync(this.file);
      } catch (error) {
        // Another process took that number first: the next one.
        if ((error as NodeJS.ErrnoException).code === 'EEXIST') continue;
        // No file yet, or another process set it aside first.
        return;
      }
      for (const old of this.generations().slice(0, -KEPT_GENERATIONS)) rmSync(old, { force: true });
      return;
    }
  }

  /** The generations set aside, oldest first. */
  private generations(): string[] {
    const dir = dirname(this.file);
    if (!existsSync(dir)) return [];
    return readdirSync(dir)
      .filter((f) => this.generation.test(f))
      .sort()
      .map((f) => join(dir, f));
  }

  /** Whether a Classic sync of the warehouse ever ended (Success or Partial), by its mark (`record`), or else by the recent history. */
  everSynced(warehouse: string): boolean {
    const mark = this.syncedMark(warehouse);
    if (existsSync(mark)) return true;
    const found = this.list().some((r) => r.warehouse === warehouse && r.path === 'classic' && (r.status === 'Success' || r.status === 'Partial'));
    // An install from before marks were made: marked now, so that the look is made once.
    if (found) this.markSynced(warehouse);
    return found;
  }

  private syncedMark(warehouse: string): string {
    return join(dirname(this.file), 'synced', encodeURIComponent(warehouse));
  }

  /** Best effort: a mark that cannot be written (a full disk) costs a sync at `serve`'s next start, not this sync's record. */
  private markSynced(warehouse: string): void {
    const mark = this.syncedMark(warehouse);
    try {
      if (existsSync(mark)) return;
      makeFolder(dirname(mark));
      writeFileSync(mark, '');
    } catch {
      // Looked for again in the history next time.
    }
  }

  /** Records the start of a sync or a write (status Running, with this process's pid) and returns it. */
  start(warehouse: string, path: SyncRecord['path'], trigger: string): SyncRecord {
    const record = this.draft(warehouse, path, trigger);
    this.record(record);
    return record;
  }

  /** A new sync's record, not written yet: `record` writes it. */
  draft(warehouse: string, path: SyncRecord['path'], trigger: string): SyncRecord {
    const prefix = path === 'classic' ? 'sync' : 'write';
    const record: SyncRecord = {
      id: `${prefix}_${new Date().toISOString().replace(/[-:.TZ]/g, '').slice(0, 14)}_${randomUUID().slice(0, 8)}`,
      warehouse,
      path,
      trigger,
      startedAt: new Date().toISOString(),
      status: 'Running',
      calls: 0,
      rows: {},
      casts: 0,
      rejects: 0,
      duplicates: 0,
      notices: [],
      pid: process.pid,
    };
    startedHere.add(record.id);
    return record;
  }

  record(entry: SyncRecord): void {
    this.append(JSON.stringify(entry));
    if (entry.path === 'classic' && (entry.status === 'Success' || entry.status === 'Partial')) this.markSynced(entry.warehouse);
    // Ended: no longer this process's to tell from an interrupted one (a long `serve` kept them all).
    if (entry.status !== 'Running') startedHere.delete(entry.id);
  }

  /**
   * A sync's or write's end. One that cannot be written here (the state folder's disk full) does
   * not hide what it did: thrown, it was told as a sync that never began ("not synced"), after
   * batches had committed. The entry is handed back all the same, a Failure that says so and
   * what stands (`stands`): the history shows it unfinished (Running, or interrupted once the
   * process is gone), with the counts of its last progress, until the end is written with the
   * next line this process writes there (`unwrittenEnds`).
   */
  recordEnd(entry: SyncRecord, stands: string): void {
    try {
      this.record(entry);
    } catch (error) {
      const told = `which shows it unfinished (interrupted once this process ends) until this process can write there again: ${stands}`;
      const message = (error as Error).message ?? String(error);
      // The history is kept in the state folder.
      const full = fullDiskAdvice(error, [dirname(this.file)]);
      const why = `${message}${full ? `; ${full}` : ''}`;
      if (entry.error === undefined) {
        entry.error = `its end could not be written to the history (${why}), ${told}`;
      } else {
        // Said once where the failure was the same disk's, which already says what to do about
        // it; another (the warehouse unreachable) says nothing of the disk, whose error is told.
        const same = entry.error.includes(message) || (full !== undefined && entry.error.includes(full));
        entry.error = `${entry.error}; nor could its end be written to the history${same ? '' : ` (${why})`}, ${told}`;
      }
      entry.status = 'Failure';
      // Written with the next line that can be; meanwhile this process reads it so.
      this.unwrittenEnds.push({ ...entry });
    }
  }

  /**
   * What a running sync or write has committed so far: a sync killed later shows what it loaded,
   * not none of it (the next one loads only the rest). Written after each commit; with `notices`,
   * its notices too (one the next sync would not give again: a state sent again).
   */
  progress(entry: SyncRecord, { notices = false } = {}): void {
    const { id, calls, rows, casts, rejects, duplicates } = entry;
    this.append(JSON.stringify({ id, calls, rows, casts, rejects, duplicates, ...(notices ? { notices: entry.notices } : {}) }));
  }

  /**
   * The syncs and writes of the recent generations (the file in use and the one set aside last),
   * oldest first: what a sync or a run looks up (its warehouse's last sync, a run's earlier
   * attempts). `all`: every generation kept.
   */
  list({ all = false } = {}): SyncRecord[] {
    return this.folded((files) => (all ? files : files.slice(-RECENT_GENERATIONS)), () => false);
  }

  /**
   * The last `count` syncs and writes that `keep` keeps, oldest first: the generations are read
   * from the newest back only as far as they are needed, each once.
   */
  latest(count: number, keep: (r: SyncRecord) => boolean = () => true): SyncRecord[] {
    // A library caller's count (a query string's "0", a NaN): `slice(-0)` gave every record of the
    // newest generation for none, a negative count all but the first, and NaN read every generation.
    if (typeof count !== 'number' || !Number.isSafeInteger(count) || count < 0) {
      throw new UsageError(`history.latest(n): n must be a whole number of records, 0 or more, not ${typeof count === 'string' ? JSON.stringify(count) : String(count)}`);
    }
    if (count === 0) return [];
    return this.folded((files) => files, (records) => records.filter(keep).length >= count)
      .filter(keep)
      .slice(-count);
  }

  /**
   * The records of the files `pick` picks of the generations and the file in use (oldest first),
   * read from the newest back until `enough` says so. Read again where a generation was set
   * aside meanwhile (its file would have been in neither the list nor the file read).
   */
  private folded(pick: (files: string[]) => string[], enough: (records: SyncRecord[]) => boolean): SyncRecord[] {
    let records: SyncRecord[] = [];
    for (let attempt = 0; attempt < 3; attempt++) {
      const before = this.generations();
      const files = pick([...before, this.file]);
      const entries: SyncRecord[][] = [];
      for (let i = files.length - 1; i >= 0; i--) {
        entries.unshift(this.entriesOf(files[i]!));
        records = fold(entries);
        if (enough(records)) break;
      }
      if (this.generations().join() === before.join()) break;
    }
    if (this.unwrittenEnds.length === 0) return records;
    // Its start may be unreadable too (the file replaced): the end holds the whole record.
    const ended = new Map(this.unwrittenEnds.map((r) => [r.id, r]));
    const found = records.map((r) => ended.get(r.id) ?? r);
    return [...found, ...this.unwrittenEnds.filter((r) => !records.some((f) => f.id === r.id))];
  }

  /** The lines of one file, parsed (a torn line left out). */
  private entriesOf(file: string): SyncRecord[] {
    let text: string;
    try {
      text = this.tailOf(file);
    } catch {
      // Not there (none yet, or removed by another process as the oldest generation).
      return [];
    }
    const out: SyncRecord[] = [];
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      try {
        out.push(JSON.parse(line) as SyncRecord);
      } catch {
        // A torn last line from a crash mid-write: the sync it belongs to shows as interrupted.
      }
    }
    return out;
  }

  /**
   * A file's text, or its last two generations' worth where it is larger: one an older version
   * grew for years (set aside whole at the first record after the upgrade) is not read whole.
   */
  private tailOf(file: string): string {
    const limit = 2 * this.generationBytes;
    const fd = openSync(file, 'r');
    try {
      const size = fstatSync(fd).size;
      if (size <= limit) return readFileSync(fd, 'utf8');
      const tail = Buffer.alloc(limit);
      readSync(fd, tail, 0, limit, size - limit);
      // From the first whole line on.
      return tail.toString('utf8', tail.indexOf(10) + 1);
    } finally {
      closeSync(fd);
    }
  }
}

/**
 * The records of files' lines (oldest file first), folded by id, oldest first, interrupted ones
 * told as such. A line never takes an ended record back to Running (lines read out of order).
 */
function fold(files: readonly SyncRecord[][]): SyncRecord[] {
  const byId = new Map<string, SyncRecord>();
  for (const entries of files) {
    for (const entry of entries) {
      const before = byId.get(entry.id);
      byId.set(entry.id, before && before.status !== undefined && before.status !== 'Running' && entry.status === 'Running' ? { ...entry, ...before } : { ...before, ...entry });
    }
  }
  // A record whose start is in a generation not read (or removed) is only its later lines: left out.
  return [...byId.values()].filter((r) => r.startedAt !== undefined).map((r) =>
    r.status === 'Running' && !(r.pid === process.pid && startedHere.has(r.id)) && ownerGone(r.pid ?? 0, Date.parse(r.startedAt)) ? { ...r, status: 'Failure' as const, error: r.error ?? `interrupted: the process running this ${r.path === 'classic' ? 'sync' : 'write'} stopped before it finished${r.calls > 0 ? ' (what it had committed is counted)' : ''}` } : r,
  );
}

/** Whether the file's last line has no line break: a write cut short. */
function endsCut(file: string): boolean {
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    const size = fstatSync(fd).size;
    if (size === 0) return false;
    const last = Buffer.alloc(1);
    readSync(fd, last, 0, 1, size - 1);
    return last[0] !== 10;
  } catch {
    // No file yet.
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
