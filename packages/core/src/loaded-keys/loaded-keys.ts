import { closeSync, existsSync, fsyncSync, ftruncateSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { comparePositions, type LogPosition } from '../log/position.js';
import { findInRun, mergeRuns, runChunks, searchRun, writeRun, writeRunFrom } from './hash-runs.js';
import { makeFolder } from '../process/make-folder.js';

interface Meta {
  version: 1;
  /** Every message id of the log before this position that a sync may have loaded is held. */
  coveredUntil: LogPosition;
  runs: Array<{ file: string; hashes: number }>;
  next: number;
}

const META = 'meta.json';
const PENDING = 'pending.bin';
/**
 * Below one query per this many hashes of a run, the run is binary-searched for each query (~25
 * reads of 8 bytes each for 20,000,000 hashes) rather than read whole (~150 ms for as many).
 */
const SEARCH_BELOW = 4096;

/** A pending record's head: the batch's end in the log (two float64), its hash count, the count again, inverted. */
const HEAD_BYTES = 24;

/**
 * The message ids a space's Classic tables hold, as 64-bit hashes (`keyHash`), kept beside the
 * log for warehouses without a key index (DuckDB, Redshift), where the only other way to know
 * whether a call was loaded already is to read every id of every table.
 *
 * It holds at least the ids the tables hold: a batch's ids are added, durably, before its
 * transaction commits, so a sync killed at any point leaves it a superset, never less. What it
 * finds is only "maybe there" (two ids may share a hash; a batch added may not have committed):
 * the warehouse is asked about those few. What it does not find is not in the tables, as long as
 * it covers the log up to the ledger's cursor (`coveredUntil`): a sync checks that before using it.
 *
 * Hashes live in sorted run files, the newest batches in an append-only pending file; a sync's
 * pending hashes become a run when it ends, and runs are merged while the older is no more than
 * twice the newer, so there are about log2 of them.
 */
export class LoadedKeys {
  private pending: BigUint64Array[] = [];
  private pendingSorted: BigUint64Array | undefined;

  private constructor(
    private readonly dir: string,
    private meta: Meta,
  ) {}

  /** The index in `dir`, or undefined when there is none (or it cannot be read: it is then rebuilt, never trusted half-read). */
  static open(dir: string): LoadedKeys | undefined {
    let meta: Meta;
    try {
      meta = JSON.parse(readFileSync(join(dir, META), 'utf8')) as Meta;
    } catch {
      return undefined;
    }
    if (meta.version !== 1 || !meta.runs.every((run) => existsSync(join(dir, run.file)))) return undefined;
    // Runs a compaction left behind, killed after its meta named their merge and before it removed them.
    const named = new Set(meta.runs.map((run) => run.file));
    for (const file of readdirSync(dir)) if (/^run-\d+\.bin(\.tmp)?$/.test(file) && !named.has(file)) rmSync(join(dir, file), { force: true });
    const keys = new LoadedKeys(dir, meta);
    keys.readPending();
    return keys;
  }

  /** A new, empty index covering the log up to `coveredUntil` (tables that hold no id yet). */
  static create(dir: string, coveredUntil: LogPosition): LoadedKeys {
    LoadedKeys.discard(dir);
    makeFolder(dir);
    const keys = new LoadedKeys(dir, { version: 1, coveredUntil, runs: [], next: 0 });
    keys.writeMeta();
    return keys;
  }

  /**
   * The index made again from the hashes of every id the tables hold (`TableWriter.keyHashes`: a
   * pass at a time, the passes in ascending ranges), covering the log up to `coveredUntil`: one run, written as the
   * passes come.
   */
  static async rebuild(dir: string, coveredUntil: LogPosition, passes: AsyncIterable<BigUint64Array>): Promise<LoadedKeys> {
    LoadedKeys.discard(dir);
    makeFolder(dir);
    const file = 'run-000000.bin';
    async function* sorted(): AsyncGenerator<BigUint64Array> {
      for await (const hashes of passes) yield hashes.sort();
    }
    const hashes = await writeRunFrom(join(dir, file), sorted());
    const keys = new LoadedKeys(dir, { version: 1, coveredUntil, runs: [{ file, hashes }], next: 1 });
    keys.writeMeta();
    return keys;
  }

  static discard(dir: string): void {
    rmSync(dir, { recursive: true, force: true });
  }

  get coveredUntil(): LogPosition {
    return this.meta.coveredUntil;
  }

  /** Adds a batch's hashes, durably, before the batch is applied; the index then covers the log up to `end`. */
  add(hashes: BigUint64Array, end: LogPosition): void {
    const head = Buffer.alloc(HEAD_BYTES);
    head.writeDoubleLE(end.segment, 0);
    head.writeDoubleLE(end.offset, 8);
    head.writeUInt32LE(hashes.length, 16);
    head.writeUInt32LE(~hashes.length >>> 0, 20);
    const body = Buffer.from(hashes.buffer, hashes.byteOffset, hashes.byteLength);
    const fd = openSync(join(this.dir, PENDING), 'a');
    try {
      for (const bytes of [head, body]) for (let written = 0; written < bytes.length; ) written += writeSync(fd, bytes, written, bytes.length - written);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    this.pending.push(hashes.slice());
    this.pendingSorted = undefined;
    if (comparePositions(end, this.meta.coveredUntil) > 0) this.meta.coveredUntil = end;
  }

  /** Of `sorted` (ascending), the hashes the index holds: maybe loaded. */
  find(sorted: BigUint64Array): Set<bigint> {
    const found = new Uint8Array(sorted.length);
    for (const run of this.meta.runs) {
      const path = join(this.dir, run.file);
      // A few ids (an hourly sync's) against a large run: searched, not read whole.
      if (sorted.length * SEARCH_BELOW < run.hashes) searchRun(path, run.hashes, sorted, found);
      else findInRun(runChunks(path), sorted, found);
    }
    findInRun([this.sortedPending()], sorted, found);
    const held = new Set<bigint>();
    for (let i = 0; i < sorted.length; i++) if (found[i]) held.add(sorted[i]!);
    return held;
  }

  /** The pending hashes become a run; runs are merged while the older is no more than twice the newer. */
  compact(): void {
    const pending = this.sortedPending();
    if (pending.length === 0) return;
    const runs = [...this.meta.runs];
    let next = this.meta.next;
    const name = () => `run-${String(next++).padStart(6, '0')}.bin`;
    const fresh = name();
    writeRun(join(this.dir, fresh), pending);
    runs.push({ file: fresh, hashes: pending.length });
    const removed: string[] = [];
    while (runs.length >= 2 && runs[runs.length - 2]!.hashes <= 2 * runs[runs.length - 1]!.hashes) {
      const newer = runs.pop()!;
      const older = runs.pop()!;
      const merged = name();
      const hashes = mergeRuns(join(this.dir, merged), [runChunks(join(this.dir, older.file)), runChunks(join(this.dir, newer.file))]);
      runs.push({ file: merged, hashes });
      removed.push(older.file, newer.file);
    }
    // The new runs first, then the meta that names them, then what they replace: a crash between
    // any two steps leaves an index that holds at least what it held.
    this.meta = { ...this.meta, runs, next };
    this.writeMeta();
    const fd = openSync(join(this.dir, PENDING), 'a');
    try {
      ftruncateSync(fd, 0);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    this.pending = [];
    this.pendingSorted = undefined;
    for (const file of removed) rmSync(join(this.dir, file), { force: true });
  }

  /** How many hashes the index holds (repeats between runs counted twice). */
  size(): number {
    return this.meta.runs.reduce((n, run) => n + run.hashes, 0) + this.pending.reduce((n, p) => n + p.length, 0);
  }

  private sortedPending(): BigUint64Array {
    if (this.pendingSorted) return this.pendingSorted;
    const all = new BigUint64Array(this.pending.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of this.pending) {
      all.set(p, at);
      at += p.length;
    }
    return (this.pendingSorted = all.sort());
  }

  /** The pending batches; a torn last record (a crash mid-add, before its batch was applied) is cut off. */
  private readPending(): void {
    const path = join(this.dir, PENDING);
    if (!existsSync(path)) return;
    const bytes = readFileSync(path);
    let at = 0;
    while (at + HEAD_BYTES <= bytes.length) {
      const count = bytes.readUInt32LE(at + 16);
      if (bytes.readUInt32LE(at + 20) !== ~count >>> 0 || at + HEAD_BYTES + count * 8 > bytes.length) break;
      const end = { segment: bytes.readDoubleLE(at), offset: bytes.readDoubleLE(at + 8) };
      const body = new BigUint64Array(count);
      Buffer.from(body.buffer).set(bytes.subarray(at + HEAD_BYTES, at + HEAD_BYTES + count * 8));
      this.pending.push(body);
      if (comparePositions(end, this.meta.coveredUntil) > 0) this.meta.coveredUntil = end;
      at += HEAD_BYTES + count * 8;
    }
    if (at < statSync(path).size) {
      const fd = openSync(path, 'r+');
      try {
        ftruncateSync(fd, at);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
    }
  }

  private writeMeta(): void {
    const path = join(this.dir, META);
    const tmp = `${path}.tmp`;
    writeFileSync(tmp, JSON.stringify(this.meta));
    const fd = openSync(tmp, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  }
}
