import { createReadStream } from 'node:fs';
import { UsageError, type Stowage } from '@stowage/core';
import { fileProblem } from '../read-run.js';
import { EXIT, fmt, progressPrinter } from '../output.js';
import { byteLines } from '../text-lines.js';

/** Logs Segment-spec calls from an NDJSON file (or stdin with `-`); bad lines are reported, the rest kept. */
export async function ingest(stowage: Stowage, file: string, space: string): Promise<number> {
  // Both told at once: fixing one should not reveal the other only at the next try.
  const problems = [file === '-' ? undefined : fileProblem(file, { empty: true }), Object.hasOwn(stowage.config.spaces, space) ? undefined : `Unknown space "${space}"; configured: ${Object.keys(stowage.config.spaces).join(', ')}`].filter((p) => p !== undefined);
  if (problems.length > 0) throw new UsageError(problems.join('; '));
  const input = file === '-' ? process.stdin : createReadStream(file);
  // As bytes: each line is checked to be UTF-8 before it is decoded.
  const result = await stowage.ingestCalls(space, counted(byteLines(input)));
  console.log(`accepted ${fmt(result.accepted)} calls for space ${space}${result.rejected ? `; rejected ${fmt(result.rejected)}:` : ''}`);
  for (const e of result.errors) console.log(`  line ${e.line}: ${e.error}`);
  if (result.rejected > result.errors.length) console.log(`  … and ${fmt(result.rejected - result.errors.length)} more`);
  return result.rejected > 0 ? EXIT.partial : EXIT.ok;
}

/** Lines read between looks at the clock. */
const LINES_PER_LOOK = 10_000;

/**
 * The lines, with progress on stderr once reading them has taken a second (a file of millions
 * of calls takes a while; a small one says nothing but its result), as `sync` and `run` do.
 */
async function* counted(lines: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  const progress = progressPrinter();
  const started = Date.now();
  let n = 0;
  let told = false;
  for await (const line of lines) {
    yield line;
    if (++n % LINES_PER_LOOK !== 0) continue;
    const seconds = (Date.now() - started) / 1000;
    if (seconds < 1) continue;
    progress(`ingest: ${fmt(n)} lines read, ${fmt(Math.round(n / seconds))} lines/s`);
    told = true;
  }
  if (told && process.stderr.isTTY) process.stderr.write('\n');
}
