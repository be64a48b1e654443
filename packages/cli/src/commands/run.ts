import type { Stowage } from '@stowage/core';
import { readRun } from '../read-run.js';
import { duration, EXIT, fmt } from '../output.js';
import { summarize } from './sync.js';

/**
 * Applies run files in order: diff against profile state, calls logged for the next Classic
 * sync, and each activation's rows written at once (Storage Actions). Returns the exit code:
 * failure when a Storage Actions write failed (its events stay queued for `stowage flush`),
 * partial when events were refused or values quarantined.
 */
export async function applyRuns(stowage: Stowage, files: string[]): Promise<number> {
  let code: number = EXIT.ok;
  for (const file of files) {
    const { header, profiles } = readRun(file);
    const outcome = await stowage.applyRun(header, profiles);
    console.log(
      outcome.applied
        ? `run ${header.id} of ${header.space}/${header.computation}: ${fmt(outcome.profiles)} profiles, ${fmt(outcome.changes)} changes, ${fmt(outcome.calls)} calls logged`
        : `run ${header.id} of ${header.space}/${header.computation} was applied before; nothing to do`,
    );
    for (const a of outcome.activations) {
      console.log(`  activation ${a.activation} → ${a.warehouse} ${a.table}: ${fmt(a.written)} rows written, ${fmt(a.refused)} refused, ${duration(a.ms)}`);
    }
    for (const write of outcome.writes) {
      if (write.status === 'Failure') console.log(`  Storage Actions write to ${write.warehouse} failed: ${write.error}`);
      for (const notice of write.notices) console.log(`  ${notice}`);
      code = worse(code, write.status);
    }
  }
  return code;
}

/** The exit code after a write ended with `status`: failure outranks partial outranks ok. */
export function worse(code: number, status: string): number {
  if (status === 'Failure') return EXIT.failure;
  if (status === 'Partial' && code === EXIT.ok) return EXIT.partial;
  return code;
}

/** Writes the Storage Actions events queued for one warehouse, or every warehouse (a retry). */
export async function flushNow(stowage: Stowage, warehouse: string | undefined): Promise<number> {
  const names = warehouse ? [stowage.warehouse(warehouse).name] : Object.keys(stowage.config.warehouses);
  let code: number = EXIT.ok;
  for (const name of names) {
    for (const { record } of await stowage.flush(name)) {
      console.log(summarize(record));
      for (const notice of record.notices) console.log(`  ${notice}`);
      code = worse(code, record.status);
    }
  }
  return code;
}
