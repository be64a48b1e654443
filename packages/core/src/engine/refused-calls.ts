import type { Call } from '../calls/call.js';
import type { Dialect } from '../contract/dialect.js';
import type { Driver } from '../contract/driver.js';
import { REJECTS_TABLE } from '../writer/internal-tables.js';
import { exactJsonText } from '../types/exact-json-text.js';
import { joinRejectParts } from '../writer/reject-parts.js';
import type { CallLog } from '../log/call-log.js';
import type { LogPosition } from '../log/position.js';
import type { Reject } from '../schema/plan.js';
import type { TableWriter, WriteResult } from '../writer/table-writer.js';
import { refusalReason } from '../writer/refusal-reason.js';
import type { ClassicBatcher } from './classic-batch.js';
import { MOST_SPLIT_WRITES, splitFailedWrite, type SplitWriter } from '../writer/split-failed-write.js';

/** Refused calls named one by one in the sync's notices; the rest are counted. */
const REFUSED_CALLS_TOLD = 5;

/** A Classic batch the warehouse failed on a row's data, and where it lies in the log. */
export interface RefusedBatch {
  schema: string;
  stream: string;
  syncId: string;
  /** The batch's calls: from its start up to its end. */
  from: LogPosition;
  to: LogPosition;
  error: unknown;
}

/**
 * Told of each write that committed, as it commits: the parts (with their calls), then the refused
 * calls' quarantine with the ledger (with theirs). A sync that fails after some parts counts them.
 */
export type OnWritten = (result: WriteResult, calls: number) => void;

/**
 * Writes again, in parts, a Classic batch the warehouse failed on a row's data while it still
 * answers (`TableWriter.rowError`, `answers`): a constraint the user put on a table, a value no cast
 * foresaw. Without this, that one call would fail its batch at every sync, and every call logged
 * after it would never land. The batch's calls are read again from the log and split in halves
 * (`splitFailedWrite`) until each part is written or is one call the warehouse refuses on its own.
 * Such a call goes to `_stowage_rejects` whole (its JSON as `value`, the warehouse's reason), to be
 * ingested again once what refused it is fixed; the ledger moves past the batch in the same
 * transaction. The parts carry no ledger row: a sync killed among them loads the batch again, and
 * the message ids keep what is loaded once. More refusals than the split's budget can sort fail the
 * sync with the warehouse's error, the log unmoved: many refused calls are a table to fix, not calls
 * to set apart.
 */
export async function writeRefusedBatch(writer: TableWriter, batcher: ClassicBatcher, log: CallLog, batch: RefusedBatch, secrets: readonly string[], onWritten: OnWritten): Promise<void> {
  const calls: Call[] = [];
  for await (const { entries } of log.read<Call>(batch.from, Infinity, Infinity, undefined, batch.to)) calls.push(...entries);
  // Batches prepared ahead of the failed one planned for its DDL, which rolled back with it.
  writer.forgetCatalog();
  const parts: SplitWriter<Call> = {
    write: async (part) => {
      const { ledger: _, ...rows } = await batcher.batch(batch.schema, part, { stream: batch.stream, end: batch.to, syncId: batch.syncId });
      rows.syncId = batch.syncId;
      // No look at the keys ahead (`SyncKeys`): each part looks for its own, so that a part written
      // by a sync killed among them is not loaded twice by the next.
      // Parts are applied one after another: a part's look for copies that would shape a table
      // (where tables have key indexes) waits for none.
      onWritten(await writer.apply(await writer.prepare(rows, undefined, { earlierApplied: async () => undefined })), part.length);
    },
    rowError: (error) => writer.rowError(error),
    answers: () => writer.answers(),
  };
  const unwritten = await splitFailedWrite(parts, calls, batch.error, { writes: MOST_SPLIT_WRITES });
  const unsorted = unwritten.filter((u) => !u.refused);
  if (unsorted.length > 0) {
    // The parts not sorted hold at least one refused call each: how many of their calls are is
    // not known, and saying all of them would be saying the batch is mostly bad.
    const left = unsorted.reduce((n, u) => n + u.events.length, 0);
    const found = unwritten.length - unsorted.length;
    const cause = refusalReason(unsorted[0]!.error, secrets);
    throw new Error(
      `the warehouse refused calls of a batch of ${calls.length} (${cause}): ${found > 0 ? `${found} set apart, and ` : ''}more among ${left} calls that ${MOST_SPLIT_WRITES} writes in parts could not sort out (at least ${unsorted.length}); ` +
        `the batch stays in the log (its parts written meanwhile are not loaded twice): fix what the warehouse names, then sync again`,
    );
  }
  const rejects: Reject[] = [];
  const told: string[] = [];
  const took = calls.length - unwritten.length;
  const tookOthers = took === 0 ? '' : ` while it took the other ${took.toLocaleString('en-US')} ${took === 1 ? 'call' : 'calls'} of its batch`;
  for (const { events, error } of unwritten) {
    const call = events[0]!;
    const tables = (await batcher.batch(batch.schema, [call], { stream: batch.stream, end: batch.to, syncId: batch.syncId })).tables.map((t) => t.table).join(', ');
    const reason = refusalReason(error, secrets);
    rejects.push({ messageId: call.messageId, table: tables, column: '', value: exactJsonText(call), reason: `the warehouse refused the call: ${reason}` });
    if (told.length < REFUSED_CALLS_TOLD) told.push(`the warehouse refused call ${call.messageId} (${tables})${tookOthers} (${reason})`);
  }
  // The refused calls set apart, and the ledger past the batch, in one transaction.
  const closing = await writer.apply(await writer.prepare({ schema: batch.schema, tables: [], latest: [], rejects, ledger: { stream: batch.stream, end: batch.to, calls: calls.length, syncId: batch.syncId, ...(calls.length > 0 ? { lastId: calls[calls.length - 1]!.messageId } : {}) } }));
  // Each refused call is a value set apart by this sync, whether or not its row was there already
  // (a call refused before, ingested again and refused for the same reason): the sync is Partial.
  closing.rejects = Math.max(closing.rejects, rejects.length);
  const untold = unwritten.length - told.length;
  closing.notices.push(...told.map((t) => `${t}; it is in _stowage_rejects whole: fix what the warehouse names, then ingest it again (\`stowage refused\` prints it)`));
  if (untold > 0) closing.notices.push(`${untold} more calls refused so, each in _stowage_rejects whole`);
  onWritten(closing, unwritten.length);
}

/**
 * The calls the warehouse refused in a Classic schema, as they were logged (`value` of their
 * `_stowage_rejects` rows: `column_name` empty, a value; a refused `users` row has none), oldest
 * first: to ingest again once what refused them is fixed. A call loaded since is listed too;
 * ingesting it again loads nothing (its message id is there).
 */
export async function readRefusedCalls(driver: Driver, dialect: Dialect, schema: string): Promise<string[]> {
  if ((await driver.columns(schema, REJECTS_TABLE)) === undefined) return [];
  const q = (name: string) => dialect.quote(name);
  const rows = await driver.query<{ id: string; value: string; reason: string }>(
    `SELECT ${q('id')}, ${q('value')}, ${q('reason')} FROM ${q(schema)}.${q(REJECTS_TABLE)} WHERE ${q('column_name')} = ${dialect.param(1)} AND ${q('value')} <> ${dialect.param(1)} ORDER BY ${q('rejected_at')}, ${q('id')}, ${q('reason')}`,
    [''],
  );
  // A call longer than a text column holds was kept in parts.
  return joinRejectParts(rows.map((r) => ({ id: String(r.id), value: String(r.value), reason: String(r.reason) }))).map((r) => r.value);
}
