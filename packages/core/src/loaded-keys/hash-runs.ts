import { closeSync, fsyncSync, openSync, readSync, renameSync, writeSync } from 'node:fs';

/** Hashes read from a run file at a time (4 MB): a run can hold tens of millions. */
const READ_HASHES = 512 * 1024;

/**
 * Writes sorted hashes to a run file, durably: written under another name, flushed, renamed.
 * A run is the hashes as 64-bit little-endian integers, in ascending order.
 */
export function writeRun(path: string, sorted: BigUint64Array): void {
  const tmp = `${path}.tmp`;
  const fd = openSync(tmp, 'w');
  try {
    const bytes = Buffer.from(sorted.buffer, sorted.byteOffset, sorted.byteLength);
    for (let written = 0; written < bytes.length; ) written += writeSync(fd, bytes, written, bytes.length - written);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

/**
 * Writes a run from chunks already in order (each sorted, each after the one before), durably,
 * a hash repeated across chunks once; returns how many it holds.
 */
export async function writeRunFrom(path: string, chunks: AsyncIterable<BigUint64Array>): Promise<number> {
  const tmp = `${path}.tmp`;
  const fd = openSync(tmp, 'w');
  let total = 0;
  try {
    let previous: bigint | undefined;
    for await (const chunk of chunks) {
      let k = 0;
      for (let i = 0; i < chunk.length; i++) {
        const h = chunk[i]!;
        if (h === previous) continue;
        if (previous !== undefined && h < previous) throw new Error('a run must be written in ascending order');
        chunk[k++] = previous = h;
      }
      const bytes = Buffer.from(chunk.buffer, chunk.byteOffset, k * 8);
      for (let written = 0; written < bytes.length; ) written += writeSync(fd, bytes, written, bytes.length - written);
      total += k;
    }
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  return total;
}

/** The hashes of a run file, in order, a few million at a time. */
export function* runChunks(path: string): Generator<BigUint64Array> {
  const fd = openSync(path, 'r');
  try {
    const buf = new BigUint64Array(READ_HASHES);
    const bytes = Buffer.from(buf.buffer);
    for (let pos = 0; ; ) {
      let n = 0;
      // A short read is not the end: fill the chunk to whole hashes.
      while (n < bytes.length) {
        const got = readSync(fd, bytes, n, bytes.length - n, pos + n);
        if (got === 0) break;
        n += got;
      }
      const hashes = Math.floor(n / 8);
      if (hashes === 0) return;
      yield buf.subarray(0, hashes);
      pos += hashes * 8;
      if (n < bytes.length) return;
    }
  } finally {
    closeSync(fd);
  }
}

/**
 * Marks in `found` each index of `sorted` (ascending) whose hash the run holds: the run read in
 * chunks, each query found by galloping from where the last one was (a window of 100,000 hashes
 * against a run of 20,000,000 costs ~40 ms, not a step per hash of the run).
 */
export function findInRun(chunks: Iterable<BigUint64Array>, sorted: BigUint64Array, found: Uint8Array): void {
  let i = 0;
  for (const chunk of chunks) {
    const n = chunk.length;
    if (n === 0) continue;
    const last = chunk[n - 1]!;
    let j = 0;
    for (; i < sorted.length; i++) {
      const a = sorted[i]!;
      if (a > last) break;
      let step = 1;
      while (j + step < n && chunk[j + step]! < a) {
        j += step;
        step *= 2;
      }
      let hi = Math.min(n, j + step + 1);
      while (j < hi) {
        const m = (j + hi) >>> 1;
        if (chunk[m]! < a) j = m + 1;
        else hi = m;
      }
      if (chunk[j] === a) found[i] = 1;
    }
    if (i >= sorted.length) return;
  }
}

/**
 * `findInRun` for a few hashes against a large run: each found by a binary search of the file,
 * reading 8 bytes per step (about 25 reads for 20,000,000 hashes), instead of reading it all.
 */
export function searchRun(path: string, hashes: number, sorted: BigUint64Array, found: Uint8Array): void {
  const fd = openSync(path, 'r');
  try {
    const cell = new BigUint64Array(1);
    const bytes = Buffer.from(cell.buffer);
    const at = (i: number): bigint => {
      readSync(fd, bytes, 0, 8, i * 8);
      return cell[0]!;
    };
    let from = 0;
    for (let i = 0; i < sorted.length; i++) {
      const a = sorted[i]!;
      // The queries ascend: each search starts where the last one ended.
      let lo = from;
      let hi = hashes;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (at(mid) < a) lo = mid + 1;
        else hi = mid;
      }
      if (lo < hashes && at(lo) === a) found[i] = 1;
      from = lo;
    }
  } finally {
    closeSync(fd);
  }
}

/** Hashes written to a merged run at a time. */
const WRITE_HASHES = 512 * 1024;

/**
 * The union of sorted runs, each hash once, written to `path` as a run; returns how many it holds.
 * Streams: a few chunks in memory whatever the runs' sizes.
 */
export function mergeRuns(path: string, sources: ReadonlyArray<Iterable<BigUint64Array>>): number {
  const cursors = sources.map((source): { it: Iterator<BigUint64Array>; chunk: BigUint64Array; at: number } => ({ it: source[Symbol.iterator](), chunk: new BigUint64Array(0), at: 0 }));
  const head = (c: (typeof cursors)[number]): bigint | undefined => {
    while (c.at >= c.chunk.length) {
      const r = c.it.next();
      if (r.done) return undefined;
      // A run's reader reuses its buffer: the chunk is consumed before the next is asked for.
      c.chunk = r.value;
      c.at = 0;
    }
    return c.chunk[c.at];
  };
  const tmp = `${path}.tmp`;
  const fd = openSync(tmp, 'w');
  let total = 0;
  try {
    const out = new BigUint64Array(WRITE_HASHES);
    const bytes = Buffer.from(out.buffer);
    let k = 0;
    let previous: bigint | undefined;
    const flush = () => {
      for (let written = 0; written < k * 8; ) written += writeSync(fd, bytes, written, k * 8 - written);
      total += k;
      k = 0;
    };
    for (;;) {
      let least: bigint | undefined;
      let from: (typeof cursors)[number] | undefined;
      for (const c of cursors) {
        const h = head(c);
        if (h !== undefined && (least === undefined || h < least)) {
          least = h;
          from = c;
        }
      }
      if (from === undefined || least === undefined) break;
      from.at++;
      if (least === previous) continue;
      previous = least;
      out[k++] = least;
      if (k === out.length) flush();
    }
    flush();
    fsyncSync(fd);
  } finally {
    closeSync(fd);
    // The runs' readers hold their files open until they end (or are ended, on a failure).
    for (const c of cursors) c.it.return?.();
  }
  renameSync(tmp, path);
  return total;
}
