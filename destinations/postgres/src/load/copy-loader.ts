import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { from as copyFrom } from 'pg-copy-streams';
import { writeLoadLines } from '@stowage/core';
import type { Loader } from './loader.js';
import { copyTextLines } from './copy-text.js';

/** COPY … FROM STDIN in the text format, streamed from the load file: PostgreSQL's fastest path. */
export const copyLoader: Loader = {
  name: 'copy',
  write: (dir, columns, rows) => writeLoadLines(dir, 'copy', columns, rows, copyTextLines(columns)),
  async load(client, table, file, quote) {
    const columns = file.columns.map((c) => quote(c.name)).join(', ');
    // Megabyte reads: the next batch is encoded on this thread meanwhile, and every chunk waits
    // for a turn of the event loop; at 64 KB a chunk, the COPY took ten times as long as alone.
    await pipeline(createReadStream(file.path, { highWaterMark: 1 << 20 }), client.query(copyFrom(`COPY ${table} (${columns}) FROM STDIN`)));
  },
};
