import type { ApplyOptions, FlushProgress, RunProgress, Stowage } from '@stowage/core';
import { readRun } from '../read-run.js';
import { byteSize, duration, EXIT, fmt, progressPrinter } from '../output.js';
import { printNotices, summarize } from './sync.js';

/**
 * Applies run files in order: diff against profile state, calls logged for the next Classic
 * sync, and each activation's rows written at once (Storage Actions). Returns the exit code:
 * failure when a Storage Actions write failed (its events stay queued for `stowage flush`),
 * partial when events were refused or values quarantined.
 */
export async function applyRuns(stowage: Stowage, files: string[], quiet = false, options: ApplyOptions = {}): Promise<number> {
  let code: number = EXIT.ok;
  const progress = progressPrinter();
  for (const file of files) {
    const { header, profiles } = readRun(file);
    const outcome = await stowage.applyRun(header, profiles, { ...options, onProgress: quiet ? undefined : (p) => progress(describeProgress(p)) });
    if (!quiet && process.stderr.isTTY) process.stderr.write('\r\x1b[K');
    console.log(
      outcome.applied
        ? `run ${header.id} of ${header.space}/${header.computation}: ${fmt(outcome.profiles)} profiles, ${fmt(outcome.changes)} changes, ${fmt(outcome.calls)} calls logged`
        : `run ${header.id} of ${header.space}/${header.computation} was applied before; nothing to do`,
    );
    for (const notice of outcome.notices) console.log(`  ${notice}`);
    for (const a of outcome.activations) {
      // Rows an earlier attempt wrote (a run sent again after a crash) are told apart: the history counts the rows written alone.
      const there = a.duplicates > 0 ? `, ${fmt(a.duplicates)} already there` : '';
      // Events kept for a later write: the notices below say why.
      const queued = a.queued > 0 ? `, ${fmt(a.queued)} queued` : '';
      // No time where no write was made (the warehouse could not be opened): "0 ms" would say it was quick.
      const took = a.ms > 0 || a.written > 0 || a.duplicates > 0 || a.refused > 0 ? `, ${duration(a.ms)}` : '';
      console.log(`  activation ${a.activation} → ${a.warehouse} ${a.table}: ${fmt(a.written)} rows written${there}, ${fmt(a.refused)} refused${queued}${took}`);
    }
    for (const write of outcome.writes) {
      if (write.status === 'Failure') console.log(`  Storage Actions write to ${write.warehouse} failed: ${write.error}`);
      // Values quarantined while their rows were written: where to find them (each schema written keeps its own).
      // Only activations that wrote or refused events: one whose events all stay queued, or were all there already, kept nothing anywhere.
      const schemas = [...new Set(outcome.activations.filter((a) => a.warehouse === write.warehouse && a.written + a.refused > 0).map((a) => a.table.slice(0, a.table.lastIndexOf('.'))))];
      // One schema: its table. Several: the write counts its rejects as one, so each is named as a place to look.
      const where = schemas.length === 1 ? `${schemas[0]}._stowage_rejects` : `_stowage_rejects in ${schemas.length > 1 ? `the schema of their activation: ${schemas.join(' or ')}` : 'the schema written'}`;
      const kept = [write.casts > 0 && `${fmt(write.casts)} casts`, write.rejects > 0 && `${fmt(write.rejects)} rejects (see ${where})`].filter(Boolean);
      if (kept.length > 0) console.log(`  Storage Actions write to ${write.warehouse}: ${kept.join(', ')}`);
      printNotices(write);
      code = worse(code, write.status);
    }
  }
  return code;
}

/** One progress line of a run: what it is doing, and how far it got. */
export function describeProgress(p: RunProgress): string {
  const rate = (n: number) => fmt(Math.round(n / Math.max(p.elapsedMs / 1000, 0.001)));
  const what = {
    staging: `reading and staging profiles: ${fmt(p.profiles)} (${rate(p.profiles)}/s)`,
    diffing: `diffing ${fmt(p.profiles)} profiles against the profile state`,
    writing: `${fmt(p.changes)} changes handed on, ${fmt(p.events)} Storage Actions events written`,
    committing: `${fmt(p.changes)} changes, ${fmt(p.events)} events written; committing the profile state`,
  }[p.phase];
  return `run ${p.run} of ${p.space}/${p.computation}: ${what}, ${duration(p.elapsedMs)}`;
}

/** The exit code after a write ended with `status`: failure outranks partial outranks ok. */
export function worse(code: number, status: string): number {
  if (status === 'Failure') return EXIT.failure;
  if (status === 'Partial' && code === EXIT.ok) return EXIT.partial;
  return code;
}

/** Writes the Storage Actions events queued for one warehouse, or every warehouse (a retry). */
export async function flushNow(stowage: Stowage, warehouse: string | undefined, quiet = false): Promise<number> {
  const names = warehouse ? [stowage.warehouse(warehouse).name] : Object.keys(stowage.config.warehouses);
  const progress = progressPrinter();
  let code: number = EXIT.ok;
  let flushed = 0;
  for (const name of names) {
    const onProgress = quiet ? undefined : (p: FlushProgress) => progress(`${p.warehouse}/${p.space}: ${fmt(p.events)} queued events handled (written, refused or kept queued), ${fmt(Math.round(p.events / Math.max(p.elapsedMs / 1000, 0.001)))} events/s`);
    const results = await stowage.flush(name, { onProgress });
    if (!quiet && process.stderr.isTTY) process.stderr.write('\r\x1b[K');
    for (const { record } of results) {
      console.log(summarize(record));
      for (const notice of record.notices) console.log(`  ${notice}`);
      code = worse(code, record.status);
    }
    flushed += results.length;
  }
  // Said, rather than nothing at all: nothing was queued, and no activation writes there.
  if (flushed === 0) console.log(`Nothing to flush: no activation writes to ${warehouse ? `warehouse ${warehouse}` : 'a configured warehouse'}, and no events are queued for ${warehouse ? 'it' : 'one'}`);
  // Events this command would write once configured: not all written (exit 3). Calls left in a
  // Classic log are told too, but are no part of a flush.
  for (const line of strandedQueueNotices(stowage)) {
    console.log(line);
    code = worse(code, 'Partial');
  }
  for (const line of strandedLogNotices(stowage)) console.log(line);
  return code;
}

/** What `flush`, `check` and `serve` say of queues and call logs no configured warehouse or space will write. */
export function strandedNotices(stowage: Stowage): string[] {
  return [...strandedQueueNotices(stowage), ...strandedLogNotices(stowage)];
}

/** Storage Actions queues no configured warehouse or space will write. */
export function strandedQueueNotices(stowage: Stowage): string[] {
  return stowage.strandedQueues().map(
    ({ warehouse, space }) =>
      `Storage Actions events stay queued for warehouse "${warehouse}", space "${space}", which ${Object.hasOwn(stowage.config.warehouses, warehouse) ? 'is' : 'is no longer'} configured${Object.hasOwn(stowage.config.spaces, space) ? '' : ' (the space is not)'}: configure it again under that name and run \`stowage flush ${warehouse}\` to write them`,
  );
}

/** Classic call logs no configured warehouse will sync. */
function strandedLogNotices(stowage: Stowage): string[] {
  return stowage.strandedLogs().map(
    ({ warehouse, space, dir, bytes }) =>
      `Classic calls logged for warehouse "${warehouse}", space "${space}" are kept in ${dir} (${byteSize(bytes)}), which no sync reads: ${Object.hasOwn(stowage.config.warehouses, warehouse) ? `warehouse "${warehouse}" no longer loads space "${space}"` : `warehouse "${warehouse}" is no longer configured`}. ` +
      `Those its last sync had not loaded, if any, are loaded once it is configured again under that name and synced (\`stowage sync ${warehouse}\`; none twice); remove the folder if they are not wanted`,
  );
}
