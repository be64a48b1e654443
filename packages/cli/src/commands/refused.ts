import { MAX_CALL_BYTES, type Stowage } from '@stowage/core';
import { fmt } from '../output.js';

/**
 * Prints the calls a warehouse refused in a space's Classic schema, one NDJSON line each, to
 * standard output (a count and what to do next to standard error), so that they can be piped to
 * `stowage ingest - --space <space>` once the table is fixed.
 */
export async function printRefused(stowage: Stowage, warehouse: string, space: string): Promise<void> {
  const calls = await stowage.refusedCalls(warehouse, space);
  let largest = 0;
  for (const call of calls) {
    process.stdout.write(`${call}\n`);
    largest = Math.max(largest, Buffer.byteLength(call));
  }
  const schema = `${stowage.warehouse(warehouse).schemaPrefix}${space}`;
  // A call made from a run has no limit of its own: sent back, it takes one ingest would refuse.
  const limit = largest > MAX_CALL_BYTES ? ` --max-call-bytes ${largest}` : '';
  console.error(
    calls.length === 0
      ? `no call refused by warehouse ${warehouse} in ${schema}`
      : `${fmt(calls.length)} calls refused by warehouse ${warehouse} in ${schema}; once what refused them is fixed: stowage refused ${warehouse} --space ${space} | stowage ingest - --space ${space}${limit}, then stowage sync`,
  );
}
