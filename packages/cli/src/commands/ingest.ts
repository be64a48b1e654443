import { createReadStream, statSync } from 'node:fs';
import { MAX_CALL_BYTES, UsageError, type Stowage } from '@stowage/core';
import { fileProblem } from '../read-run.js';
import { byteSize, EXIT, fmt, progressPrinter } from '../output.js';
import { byteLines } from '../text-lines.js';

/** Logs Segment-spec calls from an NDJSON file (or stdin with `-`); bad lines are reported, the rest kept. */
export async function ingest(stowage: Stowage, file: string, space: string, maxCallBytes?: number): Promise<number> {
  // Both told at once: fixing one should not reveal the other only at the next try.
  const problems = [file === '-' ? undefined : fileProblem(file, { empty: true }), Object.hasOwn(stowage.config.spaces, space) ? undefined : `Unknown space "${space}"; configured: ${Object.keys(stowage.config.spaces).join(', ')}`].filter((p) => p !== undefined);
  if (problems.length > 0) throw new UsageError(problems.join('; '));
  const input = file === '-' ? process.stdin : createReadStream(file);
  // As bytes: each line is checked to be UTF-8 before it is decoded.
  // A line past the limit is refused by its size, never held whole: one endless line takes a chunk's memory.
  const limit = maxCallBytes ?? MAX_CALL_BYTES;
  const result = await stowage.ingestCalls(space, byteLines(counted(input, file === '-' ? undefined : statSync(file).size), limit), { maxCallBytes: limit });
  console.log(`accepted ${fmt(result.accepted)} calls for space ${space}${result.rejected ? `; rejected ${fmt(result.rejected)}:` : ''}`);
  for (const e of result.errors) console.log(`  line ${e.line}: ${e.error}`);
  if (result.rejected > result.errors.length) console.log(`  … and ${fmt(result.rejected - result.errors.length)} more`);
  return result.rejected > 0 ? EXIT.partial : EXIT.ok;
}

/**
 * The input's chunks, with progress on stderr once reading them has taken a second (a file of
 * millions of calls takes a while; a small one says nothing but its result), as `sync` and `run`
 * do. Counted in bytes, chunk by chunk, which costs nothing next to the calls: a file's share
 * read is told too. A chunk is counted once taken, when the lines before it are logged.
 */
async function* counted(chunks: AsyncIterable<Buffer | string>, size: number | undefined): AsyncGenerator<Buffer | string> {
  const progress = progressPrinter();
  const started = Date.now();
  let bytes = 0;
  let told = false;
  for await (const chunk of chunks) {
    yield chunk;
    bytes += chunk.length;
    const seconds = (Date.now() - started) / 1000;
    if (seconds < 1) continue;
    const share = size ? ` of ${byteSize(size)} (${Math.floor((100 * bytes) / size)}%)` : '';
    progress(`ingest: ${byteSize(bytes)}${share} read, ${byteSize(bytes / seconds)}/s`);
    told = true;
  }
  if (told && process.stderr.isTTY) process.stderr.write('\n');
}

