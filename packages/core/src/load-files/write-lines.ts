import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import type { Column } from '../contract/logical-type.js';
import type { LoadFile, Row } from '../contract/driver.js';
import { yieldToEventLoop } from '../process/yield.js';

/** Bytes encoded before a write to the file (and a turn of the event loop). */
const CHUNK_BYTES = 1 << 20;

/**
 * A load file of one line per row (NDJSON, COPY text, JSON arrays…), in a new file in `dir`,
 * written a megabyte at a time, yielding between writes so that a batch being encoded never
 * starves the one being loaded. Drivers choose the line; this owns the file. Each line is encoded
 * as UTF-8 straight into the chunk's buffer: appending lines to a string and converting a
 * megabyte of it at once cost as much as making the lines.
 */
export async function writeLoadLines(dir: string, extension: string, columns: readonly Column[], rows: readonly Row[], line: (row: Row) => string): Promise<LoadFile> {
  const path = join(dir, `${randomUUID()}.${extension}`);
  const out = createWriteStream(path);
  let chunk = Buffer.allocUnsafe(CHUNK_BYTES);
  let used = 0;
  let longestRow = 0;
  const flush = async () => {
    const full = chunk.subarray(0, used);
    chunk = Buffer.allocUnsafe(CHUNK_BYTES);
    used = 0;
    if (!out.write(full)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
    else await yieldToEventLoop();
  };
  for (const row of rows) {
    const text = line(row);
    if (text.length > longestRow) longestRow = text.length;
    // A UTF-16 code unit takes at most 3 bytes of UTF-8.
    if (used + text.length * 3 > chunk.length) {
      if (used > 0) await flush();
      if (text.length * 3 > chunk.length) chunk = Buffer.allocUnsafe(text.length * 3);
    }
    used += chunk.write(text, used);
  }
  out.end(chunk.subarray(0, used));
  await finished(out);
  return { path, columns: [...columns], rows: rows.length, longestRow };
}
