import { rm, stat } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { DuckDBInstance, type DuckDBConnection, type DuckDBValue } from '@duckdb/node-api';
import { engineThreads, HeldTooLongError, openDuckDBFile, openLoadDir, removeSpillLeftoversOf, writeLoadLines, type Column, type Driver, type LoadFile, type Row, type SqlValue, type StageOptions } from '@stowage/core';
import { shareInstance, type SharedInstance } from './shared-instances.js';
import { csvEncoders, csvLines, csvRelation } from './csv-load.js';
import { introspectAllPinnedColumns, introspectCatalog, introspectColumns, introspectPinnedColumns, introspectSchema, introspectViews, schemaExists } from './introspect.js';
import { mayChangeCatalog, type Catalog, type PinnedCatalog } from './catalog-cache.js';
import type { DuckDBSettings } from './settings.js';

/** Plain JS values from DuckDB's: safe bigints as numbers, timestamps as ISO-8601 strings. */
function toPlain(value: unknown): unknown {
  if (typeof value === 'bigint') return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value.toString();
  if (value instanceof Date) return value.toISOString();
  return value;
}

/** Load files of a session live in `<tmp>/stowage-load-<pid>-…` (see openLoadDir). */
const LOAD_DIR_PREFIX = 'stowage-load-';

/** How long one other process may keep a database file a session waits for (one writer at a time; `waitWhileHeld`). */
const LOCK_WAIT_MS = 15_000;

/**
 * Opens the database, waiting while other processes hold its file in turn: DuckDB allows one
 * writing process, and a run's Storage Actions write may meet a scheduled sync of the same
 * warehouse, or the writes of runs started side by side.
 */
async function createWaitingForLock(path: string, options: Record<string, string>, onWait?: (holder: string | undefined) => void): Promise<DuckDBInstance> {
  let instance: DuckDBInstance;
  try {
    instance = await openDuckDBFile(path, () => DuckDBInstance.create(path, options), { timeoutMs: LOCK_WAIT_MS, pollMs: 100, ...(onWait ? { onWait: (holder: string | undefined) => onWait(holder) } : {}) });
  } catch (error) {
    // A file of another database (SQLite's header), which DuckDB opens through an extension.
    const extension = /Extension "([^"]+)" is an existing extension/.exec((error as Error).message)?.[1];
    if (extension) throw new Error(`${path} is not a DuckDB database: DuckDB reads it as a file of its ${extension} extension, which Stowage does not load (it would write the warehouse's tables into that file). Give the warehouse's \`path\` a DuckDB database file (such as warehouse.duckdb), new or made by Stowage`, { cause: error });
    // DuckDB makes the file, not its folder: "IO Error: Cannot open file …: No such file or directory".
    if (path !== ':memory:' && !existsSync(dirname(resolve(path)))) throw new Error(`${path} cannot be made: its folder ${dirname(resolve(path))} does not exist. Create the folder, or give the warehouse's \`path\` a file in one that does`, { cause: error });
    if (!(error instanceof HeldTooLongError)) throw error;
    throw new Error(heldElsewhere(path, (error.cause as Error).message, error), { cause: error.cause });
  }
  if (path !== ':memory:' && !(await onFile(instance))) {
    instance.closeSync();
    throw new Error(
      `${path} is not a DuckDB database: DuckDB opens an existing file named like a data file (.csv, .json, .parquet…) as a throw-away database in memory, where every row written is lost when it closes. Give the warehouse's \`path\` a DuckDB database file (such as warehouse.duckdb), new or made by Stowage`,
    );
  }
  if (path !== ':memory:' && path !== '') await removeLeftSpills(instance);
  return instance;
}

/**
 * The spill files a sync killed while past its memory limit left beside the file
 * (`warehouse.duckdb.tmp/`), which DuckDB itself removes only when a later instance spills and
 * closes. Not for a database in memory, whose temporary folder is `.tmp` in the working folder.
 */
async function removeLeftSpills(instance: DuckDBInstance): Promise<void> {
  const connection = await instance.connect().catch(() => undefined);
  if (!connection) return;
  try {
    await removeSpillLeftoversOf(async (sql) => (await connection.runAndReadAll(sql)).getRowsJS()[0]);
  } finally {
    connection.closeSync();
  }
}

/**
 * Whether the instance's database lives in its file. DuckDB 1.5 opens an existing `.csv`,
 * `.json` or `.parquet` file (a configuration's path pointing at the wrong file) as an
 * in-memory database whose file is left untouched: every sync said Success and kept nothing.
 */
async function onFile(instance: DuckDBInstance): Promise<boolean> {
  const connection = await instance.connect();
  try {
    const reader = await connection.runAndReadAll('SELECT path FROM duckdb_databases() WHERE database_name = current_database()');
    return reader.getRowObjects()[0]?.path != null;
  } catch {
    // Not told (a memoryLimit too small for this query too): the session's first statement
    // fails the same way, its error explained, where this one would not be.
    return true;
  } finally {
    connection.closeSync();
  }
}

/** A database file another process kept past the wait: which process, when DuckDB says, and what to do. */
export function heldElsewhere(path: string, message: string, wait?: { heldMs: number; waitedMs: number }): string {
  const pid = /PID (\d+)/i.exec(message)?.[1];
  const held =
    wait && wait.heldMs <= LOCK_WAIT_MS
      ? `, and processes took it in turn for ${Math.round(wait.waitedMs / 1000)} s, the longest a session waits for it`
      : `, and was still held after ${LOCK_WAIT_MS / 1000} s${wait && wait.waitedMs - wait.heldMs >= 1_000 ? ` (after ${Math.round(wait.waitedMs / 1000)} s of waiting in all, for the processes ahead of this one)` : ''}`;
  return `the DuckDB file ${path} is held by another process${pid ? ` (PID ${pid})` : ''}${held}: DuckDB lets one process write a file at a time. Let that process finish (a sync, \`stowage run\` or a sync of \`stowage serve\` ends by itself; a DuckDB shell or another program that opened the file holds it until closed), then run this again (DuckDB: ${message.split('\n')[0]})`;
}

/** DuckDB's memory_limit when the settings give none (DuckDB's own default is 80% of RAM). */
export const DEFAULT_MEMORY_LIMIT = '512MB';

/**
 * What a column of the widest table costs while a batch is appended and checkpointed: DuckDB pins
 * a 256 KB block per column several times over, whatever the rows (one value a row or all). At
 * 512MB, tables of 600 columns ran out of memory and 990 did at 1GB, even sparse; 990 loaded
 * batches of 2,000 and 20,000 rows at 1.6GB, on one thread and on two.
 */
const MEMORY_MB_PER_COLUMN = 1.6;

/**
 * What the `users` recompute's aggregate takes, per key and trait column (an `arg_max` state with
 * its value and order), and per column of the two tables it reads and writes. Measured at 512MB:
 * 250,000 keys of 24 columns ran; of 300 columns, slices of 8,000 keys ran and of 15,000 did not,
 * nor 250,000 at 2GB. Sized so that both fit.
 */
const SLICE_BYTES_PER_STATE = 100;
const SLICE_MB_PER_COLUMN = 1;
/**
 * The share of the memory limit a slice's aggregate is sized to: sized to the whole limit, the
 * 165,000 users of a 1,000,000-call sync were one slice whose aggregate took the sync's RSS from
 * ~300 to ~540 MB at its end; to a quarter (128 MB of the default 512MB) they are three, each
 * scanning `identifies` again, and the end stays under the batches' peak.
 */
const SLICE_SHARE_OF_LIMIT = 1 / 4;

/**
 * Tables a session may load before it checkpoints after a commit. With a large checkpoint
 * threshold, DuckDB keeps each table's uncheckpointed rows in memory, ~0.7MB a table of 20
 * columns however few rows it has: 1,000 new tables across two commits ran out of 512MB, and a
 * CHECKPOINT after each commit of 500 held DuckDB's memory at ~310MB for 5,000 (measured). A
 * space whose event names embed ids makes that many tables; an ordinary sync never gets here.
 */
const CHECKPOINT_AFTER_TABLES = 200;

/**
 * Rows a session writes before, after a commit, it checkpoints and opens the file afresh (where it
 * alone holds the process's instance on it). An instance keeps memory that neither DuckDB's own
 * count nor a checkpoint gives back, growing with the rows it has loaded: a 1,000,000-call sync
 * (1,660,000 rows) held ~400 MB more at its end than when it began, all of it let go when the
 * instance closed (the process's RSS fell from ~700 to ~280 MB). Renewed every 200,000 rows its
 * peak RSS was ~550 MB instead of ~720 MB, for ~30 ms a reopening (docs/benchmarks.md, session
 * 29). Counted in rows, not WAL: renewing at every 64 MB of WAL did as well for the Classic sync,
 * but a Storage Actions write's kilobyte contexts reach that every 50,000 rows, and checkpointing
 * them that often made its write 60% slower. Where DuckDB checkpoints first (its 256MB
 * checkpoint_threshold, which such a write reaches every ~200,000 rows), the instance is renewed
 * then, at the cost of the reopening alone.
 */
const RENEW_AFTER_ROWS = 400_000;

/** DuckDB's out-of-memory errors: the allocation, or the pin of a block, refused at the limit. */
const OUT_OF_MEMORY = /Out of Memory Error|could not allocate block|failed to pin block/i;

/** DuckDB ran out of its memory_limit; the message says which setting to raise. */
class MemoryLimitError extends Error {
  override name = 'MemoryLimitError';
}

/**
 * A session on a DuckDB database file. Bulk loads write the batch as CSV to a temporary file
 * and let DuckDB's `read_csv` parse it: faster than the Appender fed value by value,
 * and it never holds an Appender across the schema changes of a batch.
 */
export class DuckDBDriver implements Driver {
  /** Stages that are a relation over a load file (see stage()): relation → the file to remove. */
  private readonly fileStages = new Map<string, string>();

  /** Tables loaded since the last checkpoint (by stage name: one per table). */
  private readonly loadedSinceCheckpoint = new Set<string>();

  /** The memory_limit in force, in MB, unless the settings give one (kept as it is). */
  private memoryMb: number;
  private readonly memorySetting: string | undefined;

  /** Statements under way on the connection: the instance is renewed only between them. */
  private running = 0;
  /** The instance being closed and opened again: statements wait for it. */
  private renewing: Promise<void> | undefined;
  /** Why the session has no instance any more: another process took the file while it was renewed. */
  private lost: Error | undefined;
  /** Times this session closed its instance and opened the file again (see renew). */
  private renewed = 0;
  /** Rows the session's statements wrote since its last checkpoint or renewal (see RENEW_AFTER_ROWS). */
  private rowsWritten = 0;
  /** Between BEGIN and COMMIT or ROLLBACK: no renewal then. */
  private inTransaction = false;
  /** A statement of the transaction under way may have changed the catalog: other sessions see it at COMMIT. */
  private catalogChangedInTransaction = false;
  /** The WAL's size after the session's last commit (see checkpointedByCommit). */
  private walAtCommit = 0;

  private constructor(
    /** The session's hold on the process's instance on the file (`shareInstance`). */
    private readonly hold: SharedInstance,
    private connection: DuckDBConnection,
    /** Load files of this session; removed with it, so a failed sync leaves none behind. */
    private readonly loadDir: string,
    /** The database file (`:memory:` for none), whose WAL tells when to renew the instance. */
    private readonly path: string,
    /** The instance's options; memory_limit follows the limit in force, for a renewed instance. */
    private readonly options: Record<string, string>,
    memoryLimit: string | undefined,
    private readonly renewAfterRows: number,
  ) {
    this.memorySetting = memoryLimit;
    this.memoryMb = megabytes(memoryLimit ?? DEFAULT_MEMORY_LIMIT) ?? 0;
  }

  /**
   * `renewAfterRows`: tests make it small, to renew at every commit. `onWait`: told when another
   * process holds the file and the open waits for it (`ConnectContext.onWait`).
   */
  static async open(settings: DuckDBSettings, { renewAfterRows = RENEW_AFTER_ROWS, onWait }: { renewAfterRows?: number; onWait?: (holder: string | undefined) => void } = {}): Promise<DuckDBDriver> {
    // Appends need no ordering guarantee, and without it DuckDB buffers less while loading. A
    // larger checkpoint threshold lets each batch's COMMIT append to the WAL (still durable)
    // instead of checkpointing the whole database every batch: ~8% less CPU per sync, measured.
    const options: Record<string, string> = { preserve_insertion_order: 'false', checkpoint_threshold: '256MB' };
    // Extensions only as built in (json, icu, parquet): a path naming a SQLite file would have
    // DuckDB fetch and load its SQLite scanner, and write the warehouse's tables into that file.
    options.autoinstall_known_extensions = 'false';
    options.autoload_known_extensions = 'false';
    // Bounded by default: an embedded warehouse shares the machine with everything else on it.
    options.memory_limit = settings.memoryLimit ?? DEFAULT_MEMORY_LIMIT;
    // By default a core is left to the client, which prepares the next batch meanwhile.
    options.threads = String(settings.threads ?? engineThreads());
    const hold = await shareInstance(settings.path, () => createWaitingForLock(settings.path, options, onWait));
    try {
      return new DuckDBDriver(hold, await hold.instance.connect(), await openLoadDir(LOAD_DIR_PREFIX), settings.path, options, settings.memoryLimit, renewAfterRows);
    } catch (error) {
      hold.release();
      throw error;
    }
  }

  /** Runs a statement on the connection, once a renewal under way is done. */
  private async on<T>(work: (connection: DuckDBConnection) => Promise<T>): Promise<T> {
    while (this.renewing) await this.renewing;
    if (this.lost) throw this.lost;
    this.running++;
    try {
      return await work(this.connection);
    } finally {
      this.running--;
    }
  }

  /**
   * Checkpointed, the instance is closed and the file opened again, where this session alone
   * holds it and no statement is under way (see RENEW_AFTER_ROWS). The file is let go for the
   * moment between the two: a process waiting for it may take its turn then, and this session
   * waits for it as any session does. One that keeps it past that wait ends the session.
   */
  private async renew(): Promise<void> {
    // Never inside a transaction: closing the connection would drop it, and what follows would commit on its own.
    if (this.running > 0 || this.inTransaction || this.renewing || this.lost) return;
    this.renewing = (async () => {
      try {
        const instance = await this.hold.renew(() => this.connection.closeSync());
        if (!instance) return;
        this.connection = await instance.connect();
        this.renewed++;
        this.rowsWritten = 0;
      } catch (error) {
        this.lost = new Error(`this session let go of the DuckDB file ${this.path} for a moment, to give back DuckDB's memory, and could not open it again: ${(error as Error).message}`, { cause: error });
      }
    })();
    try {
      await this.renewing;
    } finally {
      this.renewing = undefined;
    }
  }

  /**
   * Whether the commit just made checkpointed (DuckDB does past its checkpoint_threshold): the
   * WAL is smaller than at the commit before. One stat of the file a commit.
   */
  private async checkpointedByCommit(): Promise<boolean> {
    if (this.path === ':memory:' || this.path === '') return false;
    const wal = (await stat(`${this.path}.wal`).catch(() => undefined))?.size ?? 0;
    const shrank = wal < this.walAtCommit;
    this.walAtCommit = wal;
    return shrank;
  }

  /** Times the session renewed its instance (see renew). */
  get renewals(): number {
    return this.renewed;
  }

  /**
   * The default memory_limit grows with the widest table the session meets (introspected, or a
   * load file's columns), so that a space of many traits loads instead of failing every batch.
   * A memoryLimit from the settings is kept as it is: running out of it says to raise it.
   */
  private async fitMemoryTo(columns: number): Promise<void> {
    const needed = Math.ceil(columns * MEMORY_MB_PER_COLUMN);
    if (this.memorySetting !== undefined || needed <= this.memoryMb) return;
    await this.explaining(this.on((c) => c.run(`SET memory_limit = '${needed}MB'`)));
    this.memoryMb = needed;
    this.options.memory_limit = `${needed}MB`;
  }

  /** An out-of-memory error, with the setting that fixes it. */
  private explained(error: unknown): unknown {
    if (error instanceof MemoryLimitError || !(error instanceof Error) || !OUT_OF_MEMORY.test(error.message)) return error;
    const now = this.memorySetting !== undefined ? `the warehouse's memoryLimit setting is ${this.memorySetting}` : `the memory limit is ${this.memoryMb}MB, the default for this database's widest table`;
    // DuckDB's first line; its own advice (SET statements) is not something a user of Stowage runs.
    const [first] = error.message.split('\n');
    return new MemoryLimitError(`${first} (${now}: set memoryLimit higher in the warehouse's settings; a table of 1,000 columns needs about ${Math.ceil(1000 * MEMORY_MB_PER_COLUMN)}MB)`, { cause: error });
  }

  /** Keys a `users` slice may take within the memory limit in force: its aggregate cannot spill. */
  latestSliceKeys(columns: number): number {
    // No limit known (`-1`, `none`): DuckDB may take most of the machine's memory.
    if (this.memoryMb <= 0) return Number.POSITIVE_INFINITY;
    const free = Math.min(this.memoryMb * SLICE_SHARE_OF_LIMIT, Math.max(0, this.memoryMb - SLICE_MB_PER_COLUMN * columns)) * 1024 * 1024;
    return Math.max(1000, Math.floor(free / (Math.max(1, columns) * SLICE_BYTES_PER_STATE)));
  }

  /** Any statement's failure, an out-of-memory one with the setting that fixes it. */
  private explaining<T>(work: Promise<T>): Promise<T> {
    return work.catch((error: unknown) => {
      throw this.explained(error);
    });
  }

  /** A row's data: DuckDB's Constraint, Conversion, Out of Range and Invalid Input errors. */
  rowError(error: unknown): boolean {
    return /^(Constraint|Conversion|Out of Range|Invalid Input) Error/.test((error as Error)?.message ?? '');
  }

  /**
   * One table's: a Catalog error (a view where the table was, a table dropped or changed by hand
   * since its columns were read) or a Binder error (a column it lacks). Not a Permission error:
   * DuckDB has no privileges on a table, only on the whole database (opened read-only, say).
   */
  tableError(error: unknown): boolean {
    return /^(Catalog|Binder) Error/.test((error as Error)?.message ?? '');
  }

  /**
   * Busy: another session of this process's engine changed the same table in a transaction not
   * yet committed (DuckDB does not wait for it: "TransactionContext Error: Catalog write-write
   * conflict", "Conflict on tuple deletion").
   */
  busyError(error: unknown): boolean {
    return /^TransactionContext Error: .*conflict/i.test((error as Error)?.message ?? '');
  }

  /**
   * After a statement that may have changed the catalog (a DDL statement, or one that failed), the
   * catalog the sessions on the file keep is read again at the next look; inside a transaction,
   * again at its end too, when the other sessions see the change.
   */
  private catalogMayHaveChanged(sql: string, failed: boolean): void {
    if (!failed && !mayChangeCatalog(sql)) return;
    this.hold.catalog.changed();
    if (this.inTransaction) this.catalogChangedInTransaction = true;
  }

  async execute(sql: string, params: readonly SqlValue[] = []): Promise<number> {
    let failed = true;
    try {
      const rows = (await this.on((c) => c.run(sql, params as DuckDBValue[]))).rowsChanged;
      this.rowsWritten += rows;
      failed = false;
      return rows;
    } catch (error) {
      throw this.explained(error);
    } finally {
      this.catalogMayHaveChanged(sql, failed);
    }
  }

  async query<T extends Record<string, unknown>>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    let failed = true;
    const reader = await this.on((c) => c.runAndReadAll(sql, params as DuckDBValue[]))
      .then((r) => ((failed = false), r))
      .catch((error: unknown) => {
        throw this.explained(error);
      })
      .finally(() => this.catalogMayHaveChanged(sql, failed));
    return reader.getRowObjectsJS().map((row) => {
      const out: Record<string, unknown> = {};
      for (const key in row) out[key] = toPlain(row[key]);
      return out as T;
    });
  }

  /** The whole catalog, for the sessions on the file to keep (`CatalogCache`). */
  private readCatalog = (): Promise<Catalog> => this.on((c) => introspectCatalog(c));

  // Inside a transaction, where this session may see changes of its own no other does yet, the
  // catalog is read for the look alone, not taken from (or kept for) the sessions on the file.
  async columns(schema: string, table: string): Promise<Column[] | undefined> {
    const columns = await this.explaining(this.inTransaction ? this.on((c) => introspectColumns(c, schema, table)) : this.hold.catalog.table(this.readCatalog, schema, table));
    await this.fitMemoryTo(columns?.length ?? 0);
    return columns;
  }

  async tables(schema: string): Promise<Map<string, Column[]>> {
    const tables = await this.explaining(this.inTransaction ? this.on((c) => introspectSchema(c, schema)) : this.hold.catalog.schema(this.readCatalog, schema));
    let widest = 0;
    for (const columns of tables.values()) widest = Math.max(widest, columns.length);
    await this.fitMemoryTo(widest);
    return tables;
  }

  schemaExists(schema: string): Promise<boolean> {
    return this.explaining(this.on((c) => schemaExists(c, schema)));
  }

  notTables(schema: string, names: readonly string[]): Promise<Array<{ name: string; kind: string }>> {
    return this.explaining(this.on((c) => introspectViews(c, schema, names)));
  }

  pinnedColumns(schema: string): Promise<Map<string, Map<string, string>>> {
    return this.explaining(this.inTransaction ? this.on((c) => introspectPinnedColumns(c, schema)) : this.hold.catalog.pinned(this.readPinned, schema));
  }

  /** Every schema's pinned columns, for the sessions on the file to keep (`CatalogCache`). */
  private readPinned = (): Promise<PinnedCatalog> => this.on((c) => introspectAllPinnedColumns(c));

  /** CSV (see csv-load.ts): a JSON column's value is JSON text, which DuckDB parses as it loads it. */
  writeLoadFile(columns: readonly Column[], rows: readonly Row[]): Promise<LoadFile> {
    return writeLoadLines(this.loadDir, 'csv', columns, rows, csvLines(columns.map((c) => c.name), csvEncoders(columns)));
  }

  /**
   * A stage is the file itself, as `read_csv(…)` in each statement that reads it: no copy into a
   * temporary table. A file read twice (identifies, read again to mark the users it touches) is
   * parsed twice, which costs DuckDB less than the copy did, and the client nothing.
   */
  async stage(name: string, file: LoadFile, _options: StageOptions = {}): Promise<string> {
    // The table takes at least the file's columns (a batch's schema changes come before its load).
    await this.fitMemoryTo(file.columns.length);
    this.loadedSinceCheckpoint.add(name);
    const relation = csvRelation(file);
    this.fileStages.set(relation, file.path);
    return relation;
  }

  dropStage(stage: string): Promise<void> {
    const path = this.fileStages.get(stage);
    this.fileStages.delete(stage);
    // Not awaited: the statement that read the file is done, and waiting for the file system inside
    // the batch's transaction only delays its next statement. The session's folder goes at close.
    if (path !== undefined) void rm(path, { force: true }).catch(() => undefined);
    return Promise.resolve();
  }

  async transaction<T>(fn: () => Promise<T>): Promise<T> {
    await this.explaining(this.on((c) => c.run('BEGIN TRANSACTION')));
    this.inTransaction = true;
    try {
      const result = await fn();
      await this.on((c) => c.run('COMMIT'));
      this.inTransaction = false;
      this.endTransactionForCatalog(false);
      // After the commit, which stands whatever the checkpoint does: a failed one only leaves the
      // memory to the next commit's turn.
      if (this.loadedSinceCheckpoint.size >= CHECKPOINT_AFTER_TABLES) {
        await this.checkpoint().catch(() => undefined);
      } else if (await this.checkpointedByCommit()) {
        // DuckDB's own threshold checkpointed at the commit (its WAL shrank): the moment to renew
        // costs the reopening alone. A Storage Actions write's kilobyte contexts get here first.
        this.rowsWritten = 0;
        await this.renew();
      } else if (this.rowsWritten >= this.renewAfterRows && this.hold.alone()) {
        // Past RENEW_AFTER_ROWS only where the instance can be renewed: elsewhere DuckDB's own
        // threshold checkpoints, as it would without renewals.
        await this.checkpoint().catch(() => undefined);
      }
      return result;
    } catch (error) {
      await this.on((c) => c.run('ROLLBACK')).catch(() => undefined);
      this.inTransaction = false;
      this.endTransactionForCatalog(true);
      // COMMIT itself runs out of memory where a checkpoint comes with it.
      throw this.explained(error);
    }
  }

  /** A transaction ended: what it changed of the catalog is now every session's, or undone (rolled back). */
  private endTransactionForCatalog(rolledBack: boolean): void {
    if (rolledBack || this.catalogChangedInTransaction) this.hold.catalog.changed();
    this.catalogChangedInTransaction = false;
  }

  /**
   * DuckDB's CHECKPOINT runs on its own thread; closing checkpoints too, but on the JS thread.
   * After a quarter of RENEW_AFTER_ROWS or more (a sync's last batches, before its `users`
   * refresh), the instance is renewed, where the session may: what it held goes with it. A small
   * write (a run of a few thousand events) is not worth the ~30 ms of opening the file again.
   */
  async checkpoint(): Promise<void> {
    await this.explaining(this.on((c) => c.run('CHECKPOINT')));
    this.loadedSinceCheckpoint.clear();
    this.walAtCommit = 0;
    // Counted from here, renewed or not: a session that cannot renew (another shares its
    // instance, a statement under way) does not checkpoint again at every commit.
    const worth = this.rowsWritten >= this.renewAfterRows / 4;
    this.rowsWritten = 0;
    if (worth) await this.renew();
  }

  async close(): Promise<void> {
    // Checkpointed first, off the JS thread (a failed transaction may refuse it: close does it then).
    await this.explaining(this.on((c) => c.run('CHECKPOINT'))).catch(() => undefined);
    while (this.renewing) await this.renewing;
    if (!this.lost) this.connection.closeSync();
    // Also when lost: a reopening whose connect failed still holds the new instance (release is idempotent).
    this.hold.release();
    await rm(this.loadDir, { recursive: true, force: true });
  }
}

/** `512MB`, `1.5GB`, `2 GiB` in MB; undefined when DuckDB's spelling is not understood here. */
function megabytes(limit: string): number | undefined {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(KB|KIB|MB|MIB|GB|GIB|TB|TIB)?\s*$/i.exec(limit);
  if (!match) return undefined;
  const unit = (match[2] ?? 'MB').toUpperCase().replace('I', '');
  return Number(match[1]) * ({ KB: 1 / 1000, MB: 1, GB: 1000, TB: 1_000_000 } as Record<string, number>)[unit]!;
}
