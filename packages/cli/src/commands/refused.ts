import type { Stowage } from '@stowage/core';
import { fmt } from '../output.js';

/**
 * Prints the calls a warehouse refused in a space's Classic schema, one NDJSON line each, to
 * standard output (a count and what to do next to standard error), so that they can be piped to
 * `stowage ingest - --space <space>` once the table is fixed.
 */
export async function printRefused(stowage: Stowage, warehouse: string, space: string): Promise<void> {
  const calls = await stowage.refusedCalls(warehouse, space);
  for (const call of calls) process.stdout.write(`${call}\n`);
  const schema = `${stowage.warehouse(warehouse).schemaPrefix}${space}`;
  console.error(
    calls.length === 0
      ? `no call refused by warehouse ${warehouse} in ${schema}`
      : `${fmt(calls.length)} calls refused by warehouse ${warehouse} in ${schema}; once what refused them is fixed: stowage refused ${warehouse} --space ${space} | stowage ingest - --space ${space}, then stowage sync`,
  );
}
