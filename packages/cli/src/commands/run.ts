import type { Stowage } from '@stowage/core';
import { readRun } from '../read-run.js';
import { fmt } from '../output.js';

/** Applies run files in order: diff against profile state, calls logged for the next sync. */
export async function applyRuns(stowage: Stowage, files: string[]): Promise<void> {
  for (const file of files) {
    const { header, profiles } = readRun(file);
    const outcome = await stowage.applyRun(header, profiles);
    console.log(
      outcome.applied
        ? `run ${header.id} of ${header.space}/${header.computation}: ${fmt(outcome.profiles)} profiles, ${fmt(outcome.changes)} changes, ${fmt(outcome.calls)} calls logged`
        : `run ${header.id} of ${header.space}/${header.computation} was applied before; nothing to do`,
    );
  }
}
