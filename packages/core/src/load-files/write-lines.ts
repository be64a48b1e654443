import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import type { Column } from '../contract/logical-type.js';
import type { LoadFile, Row } from '../contract/driver.js';
import { yieldToEventLoop } from '../process/yield.js';

/**
 * Bytes encoded before a write to the file and a turn of the event loop: a few milliseconds of
 * work, so that a statement the warehouse finishes meanwhile is followed up at once.
 */
const CHUNK_BYTES = 256 * 1024;

/**
 * Lines are joined into a string of about this many UTF-16 code units before it is encoded into
 * the chunk: one encode per line cost a third more than the lines themselves.
 */
const GROUP_UNITS = 16 * 1024;

/**
 * A line of up to this many bytes at most (3 a UTF-16 code unit) is counted at that bound; a longer
 * one is measured. A loader told the longest line sizes its buffers by it: DuckDB's read_csv takes
 * twice the line, and a row of 100 MB counted at 300 MB asked for 600 MB, past the memory limit.
 */
const MEASURED_FROM_BYTES = 1024 * 1024;

/**
 * A load file of one line per row (NDJSON, COPY text, CSV…), in a new file in `dir`, written a
 * quarter of a megabyte at a time, yielding between writes so that a batch being encoded never
 * starves the one being loaded. Drivers choose the line; this owns the file. Lines are encoded as
 * UTF-8 straight into the chunk's buffer, a group of them at a time.
 */
export async function writeLoadLines(dir: string, extension: string, columns: readonly Column[], rows: readonly Row[], line: (row: Row) => string): Promise<LoadFile> {
  const path = join(dir, `${randomUUID()}.${extension}`);
  const out = createWriteStream(path);
  // Listened to from the start: a stream's error (a full disk, its folder removed) with no
  // listener ends the process. It fails the next write of the file, or its end, instead.
  let failed: Error | undefined;
  const done = finished(out);
  done.catch((error: Error) => {
    failed ??= error;
  });
  let chunk = Buffer.allocUnsafe(CHUNK_BYTES);
  let used = 0;
  let longestRow = 0;
  let group = '';
  const flush = async () => {
    if (failed) throw loadFileError(path, failed);
    const full = chunk.subarray(0, used);
    chunk = Buffer.allocUnsafe(CHUNK_BYTES);
    used = 0;
    // `once` rejects on the stream's error, which would leave a wait for 'drain' forever.
    if (!out.write(full)) await once(out, 'drain').catch((error: Error) => Promise.reject(loadFileError(path, error)));
    else await yieldToEventLoop();
  };
  const encode = async (text: string) => {
    // A UTF-16 code unit takes at most 3 bytes of UTF-8.
    if (used + text.length * 3 > chunk.length) {
      if (used > 0) await flush();
      if (text.length * 3 > chunk.length) chunk = Buffer.allocUnsafe(text.length * 3);
    }
    used += chunk.write(text, used);
  };
  for (const row of rows) {
    const text = line(row);
    if (text.length * 3 > longestRow) {
      const bytes = text.length * 3 <= MEASURED_FROM_BYTES ? text.length * 3 : Buffer.byteLength(text);
      if (bytes > longestRow) longestRow = bytes;
    }
    group += text;
    if (group.length >= GROUP_UNITS) {
      await encode(group);
      group = '';
    }
  }
  if (group.length > 0) await encode(group);
  if (failed) throw loadFileError(path, failed);
  out.end(chunk.subarray(0, used));
  await done.catch((error: Error) => Promise.reject(loadFileError(path, error)));
  return { path, columns: [...columns], rows: rows.length, longestRow };
}

/** A load file that could not be written, saying which and why (`ENOSPC: no space left on device`). */
function loadFileError(path: string, error: Error): Error {
  return Object.assign(new Error(`writing the load file ${path} failed: ${error.message}`), { code: (error as { code?: unknown }).code });
}
