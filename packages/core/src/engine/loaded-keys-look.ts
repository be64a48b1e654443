import { join } from 'node:path';
import { messageIds } from '../classic/message-ids.js';
import { keyHash, LoadedKeys } from '../loaded-keys/index.js';
import type { CallLog } from '../log/call-log.js';
import { comparePositions, LOG_START, type LogPosition } from '../log/position.js';
import { SyncKeys } from '../writer/sync-keys.js';
import type { TableWriter } from '../writer/table-writer.js';

/** Message ids hashed, and then looked for in the warehouse, at a time. */
const LOT = 100_000;

/** Where a space's loaded-keys index lives: beside its log, under the state folder. */
export function loadedKeysDir(stateDir: string, warehouse: string, space: string): string {
  return join(stateDir, 'loaded-keys', warehouse, space);
}

/**
 * The space's loaded-keys index, made to stand for the ids the tables hold: new and empty when
 * they hold none; the one kept, once it covers the log up to the ledger's cursor (the ids logged
 * between where it stops and the cursor are added from the log); else rebuilt from the tables
 * (`rebuildLoadedKeys`): tables loaded before there was an index, an index lost, the log pruned
 * past where it stops, or no ledger to say which calls the tables' ids came from. Undefined, and
 * the tables read instead, when a table holds its key as other than text.
 */
export async function openLoadedKeys(dir: string, writer: TableWriter, schema: string, log: CallLog, cursor: LogPosition | undefined, skip: ReadonlySet<string>): Promise<LoadedKeys | undefined> {
  const index = cursor === undefined ? undefined : LoadedKeys.open(dir);
  // The usual sync: the index covers the ledger, and the catalog alone is read (no count of a
  // table's rows, which Redshift may have to scan for).
  if (index && cursor && comparePositions(cursor, index.coveredUntil) <= 0 && (await writer.keysAreText(schema, 'id', skip))) return index;
  const rows = await writer.holdsKeyedRows(schema, 'id', skip);
  if (rows === undefined) {
    // No index can stand for such tables, and syncs do not keep one meanwhile: it must not be trusted later.
    LoadedKeys.discard(dir);
    return undefined;
  }
  if (!rows) return LoadedKeys.create(dir, cursor ?? LOG_START);
  if (!index || cursor === undefined || !log.holdsFrom(index.coveredUntil)) return rebuildLoadedKeys(dir, writer, schema, cursor, skip);
  await catchUpLoadedKeys(index, log, cursor);
  return index;
}

/**
 * The ids of the calls loaded from where the index stops to `to` (the ledger's cursor), added
 * from the log: what a sync that was killed, or that left its first batches' ids for later, loaded.
 */
export async function catchUpLoadedKeys(index: LoadedKeys, log: CallLog, to: LogPosition): Promise<void> {
  for await (const { ids, end } of messageIds(log, index.coveredUntil, to, LOT)) index.add(hashesOf(ids), end);
}

/**
 * The index made again from the ids the tables hold, hashed by the warehouse: a pass over every
 * table's key column, once (a look without the index makes one per sync). Undefined when a table
 * holds its key as other than text.
 */
export async function rebuildLoadedKeys(dir: string, writer: TableWriter, schema: string, cursor: LogPosition | undefined, skip: ReadonlySet<string>): Promise<LoadedKeys | undefined> {
  const passes = await writer.keyHashes(schema, 'id', skip);
  if (passes) return LoadedKeys.rebuild(dir, cursor ?? LOG_START, passes);
  // No index can stand for such tables; one kept from before must not be trusted once they change back.
  LoadedKeys.discard(dir);
  return undefined;
}

export function hashesOf(ids: readonly string[]): BigUint64Array {
  const hashes = new BigUint64Array(ids.length);
  for (let i = 0; i < ids.length; i++) hashes[i] = keyHash(ids[i]!);
  return hashes;
}

/** The look at a window of the log through the index: what `SyncKeys` the batches sort their rows by, and the window's hashes in log order. */
export interface IndexedWindow {
  keys?: SyncKeys;
  until: LogPosition;
  /** The window's message ids' hashes, in log order: each batch's are added to the index before it is applied. */
  hashes: BigUint64Array;
}

/**
 * Looks up the message ids of the log from `at` (up to `most` of them) in the index. Ids it does
 * not hold, and that come once in the window, are new: nothing is read in the warehouse. The
 * few it may hold (or that come more than once) are looked up in the tables, as the look without
 * an index does for every id.
 */
export async function lookUpThroughIndex(options: { index: LoadedKeys; writer: TableWriter; schema: string; log: CallLog; at: LogPosition; stop: LogPosition; most: number; skip: ReadonlySet<string> }): Promise<IndexedWindow> {
  const { index, writer, schema, log, at, stop, most, skip } = options;
  let until = stop;
  const lots: BigUint64Array[] = [];
  let count = 0;
  for await (const { ids, end } of messageIds(log, at, stop, Math.min(LOT, most))) {
    lots.push(hashesOf(ids));
    count += ids.length;
    if (count >= most && comparePositions(end, stop) < 0) {
      until = end;
      break;
    }
  }
  const hashes = new BigUint64Array(count);
  let filled = 0;
  for (const lot of lots) {
    hashes.set(lot, filled);
    filled += lot.length;
  }
  const sorted = hashes.slice().sort();
  const suspects = index.find(sorted);
  for (let i = 1; i < sorted.length; i++) if (sorted[i] === sorted[i - 1]) suspects.add(sorted[i]!);
  if (suspects.size === 0) return { keys: new SyncKeys('id', new Map(), new Map()), until, hashes };
  async function* suspected(): AsyncGenerator<string[]> {
    for await (const { ids } of messageIds(log, at, until, LOT)) {
      const lot = ids.filter((id) => suspects.has(keyHash(id)));
      if (lot.length > 0) yield lot;
    }
  }
  let keys: SyncKeys | undefined;
  try {
    keys = await writer.lookUpKeys(schema, 'id', suspected(), { minKeys: 0, skip });
  } catch (error) {
    throw new LookFailed(error, until, hashes);
  }
  return keys ? { keys, until, hashes } : { until, hashes };
}

/** The warehouse's look at the ids the index may hold failed: the window's batches can look for themselves. */
export class LookFailed extends Error {
  constructor(
    cause: unknown,
    readonly until: LogPosition,
    readonly hashes: BigUint64Array,
  ) {
    super((cause as Error).message ?? String(cause), { cause });
  }
}
