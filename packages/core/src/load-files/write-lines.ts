import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import type { Column } from '../contract/logical-type.js';
import type { LoadFile, Row } from '../contract/driver.js';
import { yieldToEventLoop } from '../process/yield.js';

/**
 * A load file of one line per row (NDJSON, COPY text, JSON arrays…), in a new file in `dir`,
 * written a megabyte at a time, yielding between writes so that a batch being encoded never
 * starves the one being loaded. Drivers choose the line; this owns the file.
 */
export async function writeLoadLines(dir: string, extension: string, columns: readonly Column[], rows: readonly Row[], line: (row: Row) => string): Promise<LoadFile> {
  const path = join(dir, `${randomUUID()}.${extension}`);
  const out = createWriteStream(path);
  let buffer = '';
  let longestRow = 0;
  for (const row of rows) {
    const text = line(row);
    if (text.length > longestRow) longestRow = text.length;
    buffer += text;
    if (buffer.length > 1 << 20) {
      if (!out.write(buffer)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
      else await yieldToEventLoop();
      buffer = '';
    }
  }
  out.end(buffer);
  await finished(out);
  return { path, columns: [...columns], rows: rows.length, longestRow };
}
