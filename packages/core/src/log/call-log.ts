import { randomUUID } from 'node:crypto';
import { closeSync, existsSync, fstatSync, fsyncSync, ftruncateSync, openSync, readdirSync, readFileSync, readSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { withFileLock } from './file-lock.js';
import { failpoint } from '../testing/failpoint.js';
import { madeOnce } from '../process/made-once.js';
import { yieldToEventLoop } from '../process/yield.js';
import { comparePositions, LOG_START, type LogPosition } from './position.js';
import { makeFolder } from '../process/make-folder.js';
import { syncFolder } from '../process/sync-folder.js';

const SEGMENT = /^(\d{10})\.ndjson$/;

/** The log folders whose names this process made durable (`append`). */
const SYNCED_FOLDERS = new Set<string>();
const segmentName = (n: number) => `${String(n).padStart(10, '0')}.ndjson`;

/** What `repairTail` cut from a segment, kept beside it until the segment is pruned. */
const CUT = /^(\d{10})\.ndjson\.cut-\d+(-\d+)?$/;

/** The offset after the last newline among a file's first `size` bytes (0 for none): one byte read when the file ends with one. */
function lastLineEnd(path: string, size: number): number {
  if (size === 0) return 0;
  const fd = openSync(path, 'r');
  try {
    return lastLineEndOf(fd, size);
  } finally {
    closeSync(fd);
  }
}

/** `lastLineEnd` of a file open. */
function lastLineEndOf(fd: number, size: number): number {
  if (size === 0) return 0;
  const chunk = Buffer.alloc(Math.min(size, 64 * 1024));
  let end = size;
  // The usual case first: the file ends with a whole line.
  readSync(fd, chunk, 0, 1, size - 1);
  if (chunk[0] === 0x0a) return size;
  while (end > 0) {
    const start = Math.max(0, end - chunk.length);
    readSync(fd, chunk, 0, end - start, start);
    const at = chunk.subarray(0, end - start).lastIndexOf(0x0a);
    if (at >= 0) return start + at + 1;
    end = start;
  }
  return 0;
}

/** The file holding a log's id (`CallLog.id`). */
const LOG_ID = 'log-id';

/** Bytes a reader parses between two turns of the event loop. */
const READ_CHUNK_BYTES = 256 * 1024;

export interface LogBatch<T> {
  entries: T[];
  /** Position just past the last entry of this batch. */
  end: LogPosition;
}

/** Closes a batch early on what its entries hold; the log itself only counts and measures them. */
export interface BatchCut<T> {
  /** Takes the batch's next entry; true when the batch must close after it. */
  add(entry: T): boolean;
  /** A new batch begins. */
  reset(): void;
}

/**
 * A durable, append-only log of calls: NDJSON segment files in one folder. An append returns only
 * after fsync, so a call accepted is never lost; a torn tail left by a crash mid-append is cut off
 * before the next append. Readers address entries by (segment, byte offset), which is what the
 * warehouse ledger records, so a sync resumes exactly where its last committed batch ended.
 */
export class CallLog {
  /**
   * This log's own id, made when it begins (no segment yet): the ledger's cursor of a sync names
   * it, so that a cursor into another log (a state folder lost and begun anew, where an old
   * position would skip the new calls, or fall mid-line) is never taken for this one's. A log
   * begun before ids were made has none, and keeps its cursors.
   */
  readonly id: string | undefined;

  constructor(
    readonly dir: string,
    private readonly segmentBytes = 64 * 1024 * 1024,
  ) {
    // Each folder made, named in its parent durably: its segments' calls depend on it.
    for (const made of makeFolder(dir)) syncFolder(dirname(made));
    this.id = this.ownId();
  }

  /** The bytes the log in `dir` holds, without beginning one there (a check writes nothing). */
  static bytesAt(dir: string): number {
    if (!existsSync(dir)) return 0;
    return readdirSync(dir)
      .filter((f) => SEGMENT.test(f))
      .reduce((bytes, f) => bytes + statSync(join(dir, f)).size, 0);
  }

  /**
   * The id of the log in `dir` without beginning one there (a check writes nothing): null where
   * no log began, undefined for a log begun before ids.
   */
  static idAt(dir: string): string | null | undefined {
    const file = join(dir, LOG_ID);
    if (existsSync(file)) return readFileSync(file, 'utf8').trim();
    return existsSync(dir) && readdirSync(dir).some((f) => SEGMENT.test(f)) ? undefined : null;
  }

  private ownId(): string | undefined {
    const file = join(this.dir, LOG_ID);
    // A log begun before ids were made has segments and no id, and keeps none.
    if (!existsSync(file) && this.segments().length > 0) return undefined;
    return madeOnce(file, randomUUID);
  }

  private segments(): number[] {
    return readdirSync(this.dir)
      .map((f) => SEGMENT.exec(f)?.[1])
      .filter((n): n is string => n !== undefined)
      .map(Number)
      .sort((a, b) => a - b);
  }

  /**
   * The log's end once no append is under way, as a sync reads up to it. An append that fails
   * midway (a full disk) takes back the lines it wrote, whole ones too: a reader that stopped
   * after them would load calls the log then no longer holds (its ledger past the log's end, or
   * past calls appended later in their place).
   */
  settledEnd(): Promise<LogPosition> {
    return withFileLock(this.appendLock(), `The call log ${this.dir}`, async () => this.end());
  }

  private appendLock(): string {
    return join(this.dir, '.append.lock');
  }

  /** Appends entries durably; returns the position after the last one. */
  async append(entries: readonly unknown[]): Promise<LogPosition> {
    if (entries.length === 0) return this.end();
    const data = Buffer.from(entries.map((e) => JSON.stringify(e)).join('\n') + '\n');
    return withFileLock(this.appendLock(), `The call log ${this.dir}`, async () => {
      const segments = this.segments();
      let segment = segments.at(-1) ?? 0;
      let path = join(this.dir, segmentName(segment));
      let made = segments.length === 0;
      let fd = openSync(path, 'a+');
      try {
        let size = repairTail(fd, path);
        if (size > 0 && size + data.length > this.segmentBytes) {
          closeSync(fd);
          segment += 1;
          path = join(this.dir, segmentName(segment));
          fd = openSync(path, 'a+');
          size = 0;
          made = true;
        }
        let written = 0;
        if (process.env.STOWAGE_FAILPOINT?.startsWith('log:mid-append')) {
          written = writeSync(fd, data, 0, data.length >> 1);
          failpoint('log:mid-append');
        }
        try {
          if (process.env.STOWAGE_FAILPOINT === 'log:append-fails-midway') {
            written = writeSync(fd, data, 0, data.length >> 1);
            throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', syscall: 'write' });
          }
          while (written < data.length) written += writeSync(fd, data, written, data.length - written);
          fsyncSync(fd);
          // A segment made by this append: its name too, or a power loss may take it, calls and
          // all. So, once, at a process's first append to the log (not each instance's: a run
          // makes one a batch): the one that made the last segment may have been killed before
          // it synced the folder.
          if (made || !SYNCED_FOLDERS.has(this.dir)) {
            syncFolder(this.dir);
            SYNCED_FOLDERS.add(this.dir);
          }
        } catch (error) {
          // A write that fails midway (a full disk) takes back what it wrote: the caller is told
          // none of these entries was logged, so none may be loaded, even those whose lines were
          // whole (sent again corrected, they would be skipped as copies of those).
          try {
            ftruncateSync(fd, size);
            fsyncSync(fd);
          } catch {
            // Left for the next append, which cuts a partial last line only.
          }
          throw error;
        }
        return { segment, offset: size + data.length };
      } finally {
        closeSync(fd);
      }
    });
  }

  /** Whether the log still holds every entry from `from` on: the segments before the cursor are pruned once loaded. */
  holdsFrom(from: LogPosition): boolean {
    const first = this.segments()[0];
    return first === undefined ? comparePositions(from, LOG_START) >= 0 : first <= from.segment;
  }

  /**
   * Whether `at` is a position this log could have handed a reader: its start, or the end of one
   * of its entries (the byte before it a line's end), within what the log holds. A ledger's cursor
   * past that (the log restored from a backup older than the warehouse's ledger) would skip the
   * calls logged since as loaded, or read from the middle of one.
   */
  holdsPosition(at: LogPosition): boolean {
    if (comparePositions(at, LOG_START) === 0) return true;
    const segments = this.segments();
    if (!segments.includes(at.segment)) return false;
    const path = join(this.dir, segmentName(at.segment));
    const size = statSync(path).size;
    if (at.offset === 0) return true;
    if (at.offset > size) return false;
    const fd = openSync(path, 'r');
    try {
      const byte = Buffer.alloc(1);
      readSync(fd, byte, 0, 1, at.offset - 1);
      return byte[0] === 0x0a;
    } finally {
      closeSync(fd);
    }
  }

  /**
   * The entry that ends at `at` (a position `holdsPosition` accepts), parsed: the call a ledger's
   * cursor says was loaded last. Undefined at the log's start, where the segment holding it was
   * let go of, or where it is no whole entry.
   */
  entryEndingAt<T = unknown>(at: LogPosition): T | undefined {
    let { segment, offset } = at;
    const segments = this.segments();
    if (offset === 0) {
      // The last entry of the segment before: a segment is begun only after a whole entry.
      segment -= 1;
      if (!segments.includes(segment)) return undefined;
      const path = join(this.dir, segmentName(segment));
      offset = lastLineEnd(path, statSync(path).size);
    }
    if (!segments.includes(segment) || offset === 0) return undefined;
    const fd = openSync(join(this.dir, segmentName(segment)), 'r');
    try {
      // Back from the entry's newline to the one before it, a chunk at a time: an entry may be long.
      const parts: Buffer[] = [];
      let end = offset - 1;
      while (end > 0) {
        const chunk = Buffer.alloc(Math.min(end, 64 * 1024));
        const start = end - chunk.length;
        readSync(fd, chunk, 0, chunk.length, start);
        const at = chunk.lastIndexOf(0x0a);
        parts.unshift(at >= 0 ? chunk.subarray(at + 1) : chunk);
        if (at >= 0) break;
        end = start;
      }
      return JSON.parse(Buffer.concat(parts).toString('utf8')) as T;
    } catch {
      return undefined;
    } finally {
      closeSync(fd);
    }
  }

  /** The bytes of the log from `from` to `to`, across segments. */
  bytesBetween(from: LogPosition, to: LogPosition): number {
    let bytes = 0;
    for (const segment of this.segments()) {
      if (segment < from.segment || segment > to.segment) continue;
      const end = segment === to.segment ? to.offset : statSync(join(this.dir, segmentName(segment))).size;
      bytes += end - (segment === from.segment ? from.offset : 0);
    }
    return Math.max(0, bytes);
  }

  /**
   * The position after the last complete entry: short of a torn tail (a crash mid-append, cut off
   * by the next append) or of an append under way in another process, which no reader gets to.
   * Else a queue whose cursor stopped before such a tail was taken for one holding events, and
   * `stowage serve` wrote it (finding nothing) every minute until the next append.
   */
  end(): LogPosition {
    const segment = this.segments().at(-1);
    if (segment === undefined) return { segment: 0, offset: 0 };
    const path = join(this.dir, segmentName(segment));
    return { segment, offset: lastLineEnd(path, statSync(path).size) };
  }

  /**
   * Reads complete entries from `from` up to `stop` (the log's end as it is when reading starts,
   * unless given), in batches of at most `batchSize` entries, a batch closing early once its
   * entries take `batchBytes` of the log, or once `cut` says so. Only a batch's entries are held
   * in memory.
   */
  async *read<T = unknown>(from: LogPosition, batchSize: number, batchBytes = Infinity, cut?: BatchCut<T>, stop: LogPosition = this.end()): AsyncGenerator<LogBatch<T>> {
    let entries: T[] = [];
    let bytes = 0;
    let end = from;
    for await (const { buf, segment, offset } of this.chunks(from, stop)) {
      let start = 0;
      for (let nl = buf.indexOf(10, start); nl !== -1; nl = buf.indexOf(10, start)) {
        const entry = this.parseEntry<T>(buf, start, nl, segment, offset);
        entries.push(entry);
        bytes += nl + 1 - start;
        start = nl + 1;
        end = { segment, offset: offset + start };
        if ((cut?.add(entry) ?? false) || entries.length >= batchSize || bytes >= batchBytes) {
          yield { entries, end };
          entries = [];
          bytes = 0;
          cut?.reset();
        }
      }
    }
    if (entries.length > 0) yield { entries, end };
  }

  /**
   * One entry of the log. Stowage appends only whole JSON lines, fsynced: a line that is not JSON
   * was changed outside it (by hand, a disk's fault), and the error says where.
   */
  private parseEntry<T>(buf: Buffer, start: number, end: number, segment: number, offset: number): T {
    try {
      return JSON.parse(buf.toString('utf8', start, end)) as T;
    } catch (error) {
      throw this.unreadable(error, segment, offset + start);
    }
  }

  /** The error of a line at a position that could not be read as JSON (`parseEntry`, and passes that read one field of each line); any other error as it is. */
  unreadable(error: unknown, segment: number, at: number): unknown {
    if (!(error instanceof SyntaxError)) return error;
    return new Error(`the call log ${join(this.dir, segmentName(segment))} holds a line that is not JSON at byte ${at} (${error.message}); Stowage writes only whole JSON lines there, so it was changed outside Stowage: put the line back as it was, or restore the state folder from a backup`, { cause: error });
  }

  /**
   * The log's bytes from `from` to `stop`, unparsed (a pass that needs one field of every entry
   * need not build each whole), a quarter of a megabyte at a time (a few milliseconds of work),
   * each chunk cut after its last complete line, with the segment and offset of its first byte.
   * A chunk's buffer is only valid until the next is asked for. Yields to the event loop between
   * chunks: a reader shares the thread with the warehouse's statements, whose continuations wait
   * for it.
   */
  async *chunks(from: LogPosition, stop: LogPosition): AsyncGenerator<{ buf: Buffer; segment: number; offset: number }> {
    // One buffer, read into after the partial line the last chunk left at its start: no copy of
    // the chunk itself (concatenating each chunk to that line copied every byte of the log once more).
    let buf = Buffer.alloc(READ_CHUNK_BYTES);
    for (const segment of this.segments()) {
      if (segment < from.segment || segment > stop.segment) continue;
      const fd = openSync(join(this.dir, segmentName(segment)), 'r');
      try {
        const limit = segment === stop.segment ? stop.offset : fstatSync(fd).size;
        let offset = segment === from.segment ? from.offset : 0;
        let pos = offset;
        let carried = 0;
        while (pos < limit) {
          // A line longer than the buffer: twice the room, the line so far kept.
          if (carried === buf.length) {
            const bigger = Buffer.alloc(buf.length * 2);
            buf.copy(bigger, 0, 0, carried);
            buf = bigger;
          }
          const n = readSync(fd, buf, carried, Math.min(buf.length - carried, limit - pos), pos);
          if (n === 0) break;
          pos += n;
          const filled = carried + n;
          const whole = buf.lastIndexOf(10, filled - 1) + 1;
          if (whole > 0) yield { buf: buf.subarray(0, whole), segment, offset };
          offset += whole;
          buf.copy(buf, 0, whole, filled);
          carried = filled - whole;
          await yieldToEventLoop();
        }
      } finally {
        closeSync(fd);
      }
    }
  }

  /** Deletes segments that end before `position` (entries every reader has loaded), and what was cut from them (`repairTail`). */
  prune(position: LogPosition): number {
    let removed = 0;
    for (const segment of this.segments()) {
      if (comparePositions({ segment: segment + 1, offset: 0 }, position) <= 0 && segment < position.segment) {
        rmSync(join(this.dir, segmentName(segment)), { force: true });
        removed++;
      }
    }
    // Those of every segment before the first left (one a prune stopped before removing, too).
    const first = this.segments()[0] ?? Infinity;
    for (const f of readdirSync(this.dir)) {
      const of = CUT.exec(f)?.[1];
      if (of !== undefined && Number(of) < first) rmSync(join(this.dir, f), { force: true });
    }
    return removed;
  }
}

/**
 * Ends the segment on a whole line, so that the next entry starts on a line of its own. A last
 * line without its newline is a crash mid-append, whose caller was never told the entries were
 * logged, or an edit by hand (an editor that drops a file's final newline). One that is a whole
 * entry is kept, its newline added: loaded, it is at worst a copy of one sent again, which the
 * message id skips. Anything else is cut, and kept beside the segment (`<segment>.cut-<offset>`)
 * rather than lost without a trace.
 */
function repairTail(fd: number, path: string): number {
  const size = fstatSync(fd).size;
  if (size === 0) return 0;
  const keep = lastLineEndOf(fd, size);
  if (keep === size) return size;
  const tail = Buffer.alloc(size - keep);
  readSync(fd, tail, 0, tail.length, keep);
  if (isWholeEntry(tail)) {
    writeSync(fd, '\n', size);
    fsyncSync(fd);
    return size + 1;
  }
  keepAside(path, keep, tail);
  ftruncateSync(fd, keep);
  return keep;
}

/**
 * What was cut, beside the segment, under a name of its own (a second crash at the same offset
 * adds one). Best effort: a disk too full for it must not stop the append the cut makes room for.
 */
function keepAside(path: string, offset: number, bytes: Buffer): void {
  for (let n = 0; n < 100; n++) {
    try {
      writeFileSync(`${path}.cut-${offset}${n === 0 ? '' : `-${n}`}`, bytes, { flag: 'wx' });
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') return;
    }
  }
}

/** Whether bytes are one JSON object: a whole entry, as Stowage writes them. */
function isWholeEntry(bytes: Buffer): boolean {
  try {
    const value: unknown = JSON.parse(bytes.toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value);
  } catch {
    return false;
  }
}
