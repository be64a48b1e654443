import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import pg from 'pg';
import { openLoadDir, redact, STATES_TABLE, type ActivationTable, type Column, type Dialect, type Driver, type LoadFile, type Row, type SqlValue, type StageOptions } from '@stowage/core';
import { clientConfig, secondTry } from './client-config.js';
import { secretsOf, settingsTarget } from './connection.js';
import { privilegeProblems } from './privileges.js';
import { notTables } from './not-tables.js';
import { lockHolders } from './lock-holders.js';
import { introspectColumns, introspectComputedColumns, introspectDroppedColumns, introspectPinnedColumns, introspectSchema, schemaExists, schemaInOtherCase, type CatalogReading } from './introspect.js';
import type { Loader } from './load/loader.js';
import type { PostgresSettings } from './settings.js';
import { LoaderError } from './load/loader.js';

/** Load files of a session live in `<tmp>/stowage-pg-load-<pid>-…` (see openLoadDir). */
const LOAD_DIR_PREFIX = 'stowage-pg-load-';

export interface PgDriverOptions {
  dialect: Dialect;
  loader: Loader;
  /** Statements run once the session is open (time zone, search path…). */
  setup?: readonly string[];
  /**
   * How the insert of new keys is made to look each staged key up in the table's key index,
   * rather than hash the whole table: `analyze` gathers statistics of the stage's key columns (what
   * a planner without per-transaction settings needs); `settings` turns hash and merge joins off
   * for the rest of the batch's transaction (`SET LOCAL`), which costs no pass over the stage.
   * Default `analyze`.
   */
  keyLookups?: 'analyze' | 'settings';
  /**
   * Load a batch straight into its table when none of its keys is there yet (see
   * `Driver.loadInto`): for a warehouse whose tables have a key index to answer the probe.
   */
  directLoads?: boolean;
  /** How the catalog's `varchar(n)` counts n: characters (PostgreSQL, the default) or bytes (Redshift). */
  textLengthIn?: 'characters' | 'bytes';
  /** The warehouse's own limit of a text value, in bytes: a `varchar` as long says nothing more. */
  maxStringBytes?: number;
  /** The catalog's `char(n)` holds ASCII characters only (Redshift: single-byte characters; PostgreSQL's holds any). */
  charAsciiOnly?: boolean;
  /**
   * PostgreSQL's own catalog can be asked: who holds the locks a busy sync waited for (`pg_locks`,
   * `pg_stat_activity`), and what the role lacks (`stowage check`).
   */
  postgresCatalog?: boolean;
  /**
   * Writers of one table take turns (`Driver.serializeWrites`), by a transaction's advisory lock
   * on the table's name: PostgreSQL's READ COMMITTED lets two transactions each look for their
   * keys, find none of the other's uncommitted rows, and insert both. Not Redshift: it has no
   * advisory locks.
   */
  advisoryLocks?: boolean;
  /**
   * Writers of one schema take turns by `LOCK` (Redshift's only lock, ACCESS EXCLUSIVE), on the
   * schema's `_stowage_states`, which Stowage's writers alone read (where the schema has none,
   * on the tables written that exist): Redshift's SNAPSHOT isolation, the default of Serverless
   * and of clusters made since 2024, lets two transactions insert the same new keys, as READ
   * COMMITTED does; only SERIALIZABLE failed one of the two.
   */
  tableLocks?: boolean;
  /**
   * The name the catalog stores for an identifier written quoted, where the server does not keep
   * it as written: Redshift folds ASCII letters to lower case (`"Marketing"` is `marketing`), so
   * a schema an activation names `Marketing` must be looked for as `marketing`. Default: as written.
   */
  catalogName?: (identifier: string) => string;
}

/**
 * A session on a PostgreSQL-protocol warehouse (PostgreSQL, Redshift) through one `pg` client.
 * Stages are session-local temporary tables filled by the loader; the writer's transaction is
 * the session's, so DDL, the load, the insert of new keys and the ledger commit together.
 */
export class PgDriver implements Driver {
  private stages = 0;
  /** Stage names are unique per session and across sessions that share a backend (PGlite's socket serves many on one). */
  private readonly stagePrefix = `_stowage_stage_${randomBytes(4).toString('hex')}_`;
  /** The error that broke the session (the server went away): every later call reports it. */
  private broken: Error | undefined;
  /**
   * How the current transaction's joins are set (`keyLookups: 'settings'`): `index` with hash and
   * merge joins off, `any` with them on again; undefined until a lookup sets them.
   */
  private joins: 'index' | 'any' | undefined;
  /** Key columns seen with an index, as `[schema, table, column]` in JSON (see `keyIndexed`). */
  private readonly indexedKeys = new Set<string>();
  private inTransaction = false;
  /** Present with `directLoads` only: the writer stages every batch where they are absent. */
  readonly loadInto?: (schema: string, table: string, file: LoadFile) => Promise<void>;
  readonly holdsAnyKey?: (schema: string, table: string, column: string, keys: readonly string[]) => Promise<boolean>;
  readonly serializeWrites?: (schema: string, tables: readonly string[], exists: (table: string) => boolean) => Promise<void>;
  readonly lockHolders?: (schema: string) => Promise<string[]>;
  readonly schemaInOtherCase?: (schema: string) => Promise<string | undefined>;
  readonly computedColumns?: (schema: string, table: string) => Promise<Set<string>>;
  readonly privilegeProblems?: (schemas: readonly string[], owned: readonly string[], tables?: readonly ActivationTable[]) => Promise<string[]>;

  private constructor(
    private readonly client: pg.Client,
    private readonly options: PgDriverOptions,
    private readonly loadDir: string,
    private readonly secrets: readonly string[],
    private readonly target: string,
    opening: ClientErrors,
  ) {
    // A connection lost between statements is reported on the client, not on a query: without a
    // listener it would crash the process. The next statement fails with it instead.
    this.broken = opening.error;
    client.on('error', (error) => {
      this.broken = error;
    });
    client.off('error', opening.listener);
    // PostgreSQL's catalog: Redshift has no pg_locks of this shape, no pg_has_role, no array parameters.
    if (options.postgresCatalog) this.lockHolders = (schema) => this.run(() => lockHolders(this.client, schema));
    // Redshift folds every name to lower case (`catalogName`): no schema differs from another in case only.
    if (options.postgresCatalog) this.schemaInOtherCase = (schema) => this.run(() => schemaInOtherCase(this.client, schema));
    // Redshift's pg_attribute has no generated or identity columns of this shape.
    if (options.postgresCatalog) this.computedColumns = (schema, table) => this.run(() => introspectComputedColumns(this.client, schema, table));
    // What `stowage check` asks: the role's privileges (PostgreSQL's catalog), and whether the
    // loader can reach what it loads through (Redshift's staging bucket).
    const probe = options.loader.probe?.bind(options.loader);
    if (options.postgresCatalog || probe) {
      this.privilegeProblems = async (schemas, owned, tables = []) => [
        ...(options.postgresCatalog ? await this.run(() => privilegeProblems(this.client, schemas, owned, tables)) : []),
        ...(probe ? await probe() : []),
      ];
    }
    if (options.advisoryLocks) this.serializeWrites = (schema, tables) => this.lockTables(schema, tables);
    else if (options.tableLocks) this.serializeWrites = (schema, tables, exists) => this.lockForTurns(schema, tables, exists);
    if (options.directLoads) {
      this.loadInto = (schema, table, file) => this.loadStraight(schema, table, file);
      this.holdsAnyKey = (schema, table, column, keys) => this.holdsKey(schema, table, column, keys);
    }
  }

  static async open(settings: PostgresSettings, options: PgDriverOptions): Promise<PgDriver> {
    const secrets = secretsOf(settings);
    // From the settings as written, the keys over the URL's parts: read past a password that a URL
    // parser would misread as the host.
    const target = settingsTarget(settings);
    let client: pg.Client | undefined;
    const opening = clientErrors();
    try {
      // Inside: a malformed URL is refused as it is read ("Invalid URL").
      const config = clientConfig(settings);
      client = new pg.Client(config).on('error', opening.listener);
      try {
        await client.connect();
      } catch (error) {
        const again = secondTry(settings, config, error);
        if (!again) throw error;
        await endWithin(client, END_WAIT_MS);
        client = new pg.Client(again).on('error', opening.listener);
        await client.connect();
      }
    } catch (error) {
      if (client) await endWithin(client, END_WAIT_MS);
      const message = redact((error as Error).message, secrets);
      // No user in the settings, the URL, nor PGUSER or the system's: the server's words only name the packet.
      const hint = connectHint(error as Error & { code?: string }, message);
      throw new Error(`Cannot connect to ${redact(target, secrets)}: ${message}${hint}`);
    }
    for (const statement of options.setup ?? []) {
      try {
        await client.query(statement);
      } catch (error) {
        await endWithin(client, END_WAIT_MS);
        const message = redact((error as Error).message, secrets);
        // Connected: what failed is the role's or server's answer to a setting, or the connection.
        if (opening.error !== undefined) throw new Error(`The connection to ${redact(target, secrets)} was lost while its session was set up (${statement}): ${message}`);
        throw new Error(`Connected to ${redact(target, secrets)}, but the session could not be set up (${statement}): ${message}`);
      }
    }
    return new PgDriver(client, options, await openLoadDir(LOAD_DIR_PREFIX), secrets, target, opening);
  }

  connectionLost(): boolean {
    return this.broken !== undefined;
  }

  /** Runs a client call, turning its error into one that says where, and never holds a secret. */
  private async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.broken) throw this.describe(this.broken);
    try {
      return await fn();
    } catch (error) {
      throw this.describe(this.broken ?? (error as Error));
    }
  }

  private describe(error: Error): Error {
    const message = redact(error.message, this.secrets);
    // Not the connection's: said as the loader said it (its secrets redacted).
    if (error instanceof LoaderError && this.broken === undefined) return new LoaderError(message);
    const pgError = error as Error & { code?: string; detail?: string; position?: string };
    const where = redact(this.target, this.secrets);
    // A SQLSTATE is five characters; Node's own codes (ENOTFOUND, ECONNREFUSED) are not.
    const sqlstate = pgError.code !== undefined && /^[0-9A-Z]{5}$/.test(pgError.code) ? pgError.code : undefined;
    // The server's answer is a connection lost only by its SQLSTATE (class 08, or 57P01-57P04:
    // the backend terminated, the server shutting down or starting up): its words may quote a
    // value (`invalid input value for enum plan: "closed"`), which is no lost connection.
    const lost =
      this.broken !== undefined ||
      (sqlstate !== undefined ? /^08|^57P0[1-4]$/.test(sqlstate) : /terminat|ECONNRESET|ECONNREFUSED|closed|EPIPE/i.test(error.message));
    // Privileges the role lacks: `stowage check` names each, with the GRANT that gives it.
    const hint =
      sqlstate === '42501'
        ? '; `stowage check` names every privilege the role lacks, with the GRANT to give'
        : sqlstate === '22P05'
          ? "; the database's encoding cannot hold a character Stowage was given, nor can its quarantine: load into a database created with ENCODING 'UTF8' (`stowage check` tells a database's encoding)"
          : sqlstate === '25006'
            ? '; the sessions of this role are read-only (default_transaction_read_only on the role or the database, or a standby server): point the warehouse at the primary, or undo the setting (on PostgreSQL `stowage check` names it, with the ALTER that undoes it)'
            : '';
    const text = lost
      ? `The connection to ${where} was lost: ${message}`
      : `${where}: ${message}${sqlstate ? ` (SQLSTATE ${sqlstate})` : ''}${pgError.detail ? `; ${redact(pgError.detail, this.secrets)}` : ''}${hint}`;
    return Object.assign(new Error(text), { code: pgError.code });
  }

  /**
   * A row's data: SQLSTATE class 22 (data exception) or 23 (integrity constraint violation), or
   * Redshift's COPY refusing a row it read (`Load into table … failed`, detailed in stl_load_errors).
   */
  rowError(error: unknown): boolean {
    const code = (error as { code?: unknown })?.code;
    if (madeMeanwhile(error)) return false;
    return (typeof code === 'string' && /^2[23]/.test(code)) || /Load into table .* failed/i.test((error as Error)?.message ?? '');
  }

  /**
   * One table's: what it is (`42809`, a view or another object where a table was; `42P01`, a table
   * dropped since its columns were read; `42703` and `42804`, a column it lacks, or of another
   * type, since; `55000`, a view that takes no INSERT), or a privilege on it (`42501` naming a
   * table: `permission denied for table carts`, `must be owner of table carts`). Not a privilege on
   * the database or a schema (temporary tables, CREATE), nor any other of class 42 (a syntax
   * error, a function missing): those are every activation's, the warehouse's.
   */
  tableError(error: unknown): boolean {
    const code = (error as { code?: unknown })?.code;
    if (madeMeanwhile(error)) return false;
    if (code === '42501') return /(permission denied for (table|relation|view|materialized view)|must be owner of (table|relation|view))/i.test((error as Error)?.message ?? '');
    return code === '42809' || code === '42P01' || code === '42703' || code === '42804' || (code === '55000' && /view/i.test((error as Error)?.message ?? ''));
  }

  /**
   * Busy with other sessions' work: a lock not granted within the session's `lock_timeout`
   * (55P03), a serialization failure (40001) or a deadlock (40P01); on Redshift, its
   * "Serializable isolation violation" between concurrent writers of a table.
   */
  busyError(error: unknown): boolean {
    const code = (error as { code?: unknown })?.code;
    return code === '55P03' || code === '40001' || code === '40P01' || madeMeanwhile(error) || /Serializable isolation violation/i.test((error as Error)?.message ?? '');
  }

  async execute(sql: string, params: readonly SqlValue[] = []): Promise<number> {
    const result = await this.run(() => this.client.query(sql, params as unknown[]));
    return result.rowCount ?? 0;
  }

  async query<T extends Record<string, unknown>>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    const result = await this.run(() => this.client.query<T>(sql, params as unknown[]));
    return result.rows;
  }

  /** A name as the catalog stores it (`catalogName`). */
  private stored(identifier: string): string {
    return this.options.catalogName ? this.options.catalogName(identifier) : identifier;
  }

  private catalogReading(): CatalogReading {
    return { dialect: this.options.dialect, lengthIn: this.options.textLengthIn ?? 'characters', maxStringBytes: this.options.maxStringBytes ?? Number.POSITIVE_INFINITY, charAsciiOnly: this.options.charAsciiOnly ?? false };
  }

  columns(schema: string, table: string): Promise<Column[] | undefined> {
    return this.run(() => introspectColumns(this.client, this.catalogReading(), this.stored(schema), this.stored(table)));
  }

  tables(schema: string): Promise<Map<string, Column[]>> {
    return this.run(() => introspectSchema(this.client, this.catalogReading(), this.stored(schema)));
  }


  schemaExists(schema: string): Promise<boolean> {
    return this.run(() => schemaExists(this.client, this.stored(schema)));
  }

  async notTables(schema: string, names: readonly string[]): Promise<Array<{ name: string; kind: string }>> {
    // Told by the names asked about, which the catalog may store otherwise (`catalogName`).
    const found = await this.run(() => notTables(this.client, this.stored(schema), names.map((name) => this.stored(name))));
    const kinds = new Map(found.map((f) => [f.name, f.kind]));
    return names.filter((name) => kinds.has(this.stored(name))).map((name) => ({ name, kind: kinds.get(this.stored(name))! }));
  }

  pinnedColumns(schema: string): Promise<Map<string, Map<string, string>>> {
    return this.run(() => introspectPinnedColumns(this.client, this.stored(schema)));
  }

  droppedColumns(schema: string): Promise<Map<string, number>> {
    return this.run(() => introspectDroppedColumns(this.client, this.stored(schema)));
  }

  writeLoadFile(columns: readonly Column[], rows: readonly Row[]): Promise<LoadFile> {
    return this.options.loader.write(this.loadDir, columns, rows);
  }

  /**
   * A temporary table per stage, named by the session (a table's own name could be cut to the
   * same 63 bytes as another's), filled by the loader. The insert of new keys must probe the key
   * index per staged row: left to itself, a planner that knows nothing of the stage hashes the
   * whole target table every batch (measured: 214 ms a batch against a 1,000,000-row table,
   * growing with it). See `keyLookups` for the two ways of telling it.
   */
  async stage(_name: string, file: LoadFile, options: StageOptions = {}): Promise<string> {
    const { dialect, loader } = this.options;
    const stage = dialect.quote(`${this.stagePrefix}${++this.stages}`);
    try {
      await this.run(() => this.client.query(this.createStage(stage, file, options.into)));
      await this.run(() => loader.load(this.client, stage, file, (identifier) => dialect.quote(identifier)));
      const keys = (options.keys ?? []).filter((key) => file.columns.some((c) => c.name === key));
      if (keys.length > 0) await this.lookUpKeys(stage, keys, options.into);
      return stage;
    } finally {
      await rm(file.path, { force: true });
    }
  }

  /**
   * The stage's columns: where batches may also go straight into their table, the table's own
   * types, so that a batch reads the same values either way (a column of the user's table may be
   * `numeric`, `json` or `uuid`, which COPY parses straight into and a stage of Stowage's types
   * would not); otherwise the file's.
   */
  private createStage(stage: string, file: LoadFile, into: StageOptions['into']): string {
    const q = (identifier: string) => this.options.dialect.quote(identifier);
    if (this.options.directLoads && into) {
      return `CREATE TEMPORARY TABLE ${stage} AS SELECT ${file.columns.map((c) => q(c.name)).join(', ')} FROM ${q(into.schema)}.${q(into.table)} WITH NO DATA`;
    }
    return `CREATE TEMPORARY TABLE ${stage} (${file.columns.map((c) => `${q(c.name)} ${this.options.dialect.physicalType(c.type)}`).join(', ')})`;
  }

  private async loadStraight(schema: string, table: string, file: LoadFile): Promise<void> {
    const { dialect, loader } = this.options;
    const quote = (identifier: string) => dialect.quote(identifier);
    try {
      await this.run(() => loader.load(this.client, `${quote(schema)}.${quote(table)}`, file, quote));
    } finally {
      await rm(file.path, { force: true });
    }
  }

  /**
   * `tableLocks`: the schema's `_stowage_states`, or where it has none (an existing schema an
   * activation names), the tables written that exist (a new one is made by one writer alone: its
   * CREATE is refused to the other). The transaction's first statement, with no look at the
   * catalog before it: under SNAPSHOT isolation a read fixes what the transaction sees, and a
   * writer that waited would then miss the rows of the one it waited for.
   */
  private async lockForTurns(schema: string, tables: readonly string[], exists: (table: string) => boolean): Promise<void> {
    const q = (identifier: string) => this.options.dialect.quote(identifier);
    const locked = exists(STATES_TABLE) ? [STATES_TABLE] : tables.filter(exists);
    if (locked.length > 0) await this.run(() => this.client.query(`LOCK ${locked.map((t) => `${q(schema)}.${q(t)}`).join(', ')}`));
  }

  /**
   * One advisory lock a table, held to the transaction's end, keyed on a 64-bit hash of its
   * qualified name (a user's own advisory locks would have to pick that number to meet it). Taken
   * in the order given, which the writer keeps the same in every session.
   */
  private async lockTables(schema: string, tables: readonly string[]): Promise<void> {
    const q = (identifier: string) => this.options.dialect.quote(identifier);
    const names = tables.map((table) => `stowage writes ${q(schema)}.${q(table)}`);
    // One statement, its target list evaluated left to right: the locks are taken in order.
    await this.run(() => this.client.query(`SELECT ${names.map((_, i) => `pg_advisory_xact_lock(hashtextextended($${i + 1}, 0))`).join(', ')}`, names));
  }

  /**
   * The keys go as one array parameter. With a key index, each is looked up in it (joins by hash
   * or merge turned off, as for a stage) and the first found ends the look: ~7 ms for 5,000 keys.
   * Without one, the table is read once, each value looked for in the array (which PostgreSQL
   * hashes); a look per key would scan the table per key, and with `LIMIT 1` the planner expects
   * a key found early and chooses just that (5,000 keys against 200,000 rows: 45 s, against 40 ms).
   */
  private async holdsKey(schema: string, table: string, column: string, keys: readonly string[]): Promise<boolean> {
    const q = (identifier: string) => this.options.dialect.quote(identifier);
    const target = `${q(schema)}.${q(table)}`;
    const indexed = await this.keyIndexed(schema, table, column);
    if (this.options.keyLookups === 'settings') await this.joinFor(indexed);
    const sql = indexed
      ? `SELECT 1 FROM unnest($1::text[]) AS k(${q('key')}) WHERE EXISTS (SELECT 1 FROM ${target} t WHERE t.${q(column)} = k.${q('key')}) LIMIT 1`
      : `SELECT 1 FROM ${target} t WHERE t.${q(column)} = ANY($1::text[]) LIMIT 1`;
    const result = await this.run(() => this.client.query(sql, [textArrayLiteral(keys)]));
    return (result.rowCount ?? 0) > 0;
  }

  /**
   * `analyze`: statistics of the key columns only (of every column of a wide stage, they cost as
   * much as the load). `settings`: per transaction, which the writer's batches always are; the
   * `users` refresh, with its hash joins, runs in transactions of its own.
   */
  private async lookUpKeys(stage: string, keys: readonly string[], into: StageOptions['into']): Promise<void> {
    const { dialect, keyLookups = 'analyze' } = this.options;
    if (keyLookups === 'analyze') {
      await this.run(() => this.client.query(`ANALYZE ${stage} (${keys.map((k) => dialect.quote(k)).join(', ')})`));
    } else await this.joinFor(into ? await this.keyIndexed(into.schema, into.table, keys[0]!) : true);
  }

  /**
   * Hash and merge joins off where the table has a key index, so that each key is an index probe;
   * on again where it has none (a table Stowage did not create), where a nested loop would scan
   * the table once per key: 5,000 keys against 200,000 rows took over 20 s, a hash join ~50 ms.
   * Set only when it changes, until the transaction ends.
   */
  private async joinFor(indexed: boolean): Promise<void> {
    const wanted = indexed ? 'index' : 'any';
    if (this.joins === wanted) return;
    const value = indexed ? 'off' : 'on';
    await this.run(() => this.client.query(`SET LOCAL enable_hashjoin = ${value}; SET LOCAL enable_mergejoin = ${value}`));
    // Outside a transaction SET LOCAL does nothing: the next lookup sets it again.
    this.joins = this.inTransaction ? wanted : undefined;
  }

  /**
   * Whether an index of the table starts with the key column: the writer makes one for each table
   * it creates (in the same transaction, so it is seen here), and a user may have made their own.
   */
  private async keyIndexed(schema: string, table: string, column: string): Promise<boolean> {
    const name = JSON.stringify([schema, table, column]);
    if (this.indexedKeys.has(name)) return true;
    const [row] = await this.query<{ indexed: boolean }>(
      'SELECT EXISTS (SELECT 1 FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace ' +
        'JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = i.indkey[0] WHERE n.nspname = $1 AND c.relname = $2 AND a.attname = $3) AS indexed',
      [schema, table, column],
    );
    const indexed = row?.indexed === true;
    // Only an index seen is kept: a table without one may get one (ours, made with the table in a
    // transaction that is then rolled back and tried again, or the user's).
    if (indexed) this.indexedKeys.add(name);
    return indexed;
  }

  /** `ANALYZE` of a table that has no statistics yet (reltuples −1 since PostgreSQL 14, 0 before). */
  async ensureStatistics(schema: string, table: string, columns: readonly string[]): Promise<void> {
    const [row] = await this.query<{ reltuples: number | string }>(
      'SELECT c.reltuples FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2',
      [this.stored(schema), this.stored(table)],
    );
    const q = (identifier: string) => this.options.dialect.quote(identifier);
    if (row && Number(row.reltuples) <= 0) await this.execute(`ANALYZE ${q(schema)}.${q(table)} (${columns.map(q).join(', ')})`);
  }

  async dropStage(stage: string): Promise<void> {
    await this.execute(`DROP TABLE IF EXISTS ${stage}`);
  }

  async transaction<T>(fn: () => Promise<T>): Promise<T> {
    await this.execute('BEGIN');
    this.inTransaction = true;
    try {
      const result = await fn();
      await this.execute('COMMIT');
      return result;
    } catch (error) {
      if (!this.broken) await this.client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      // SET LOCAL ends with the transaction.
      this.inTransaction = false;
      this.joins = undefined;
    }
  }

  async close(): Promise<void> {
    await endWithin(this.client, END_WAIT_MS);
    await rm(this.loadDir, { recursive: true, force: true });
  }
}

/**
 * A `text[]` literal with every element quoted: inside quotes only `"` and `\` are special, so
 * NULL, commas and braces stay text. Built here rather than by `pg` (5–8 ms for 10,000 ids, on
 * the thread that prepares the next batch; ~1.5 ms joined at once when no id needs escaping, as
 * message ids almost never do).
 */
function textArrayLiteral(values: readonly string[]): string {
  const plain = values.every((v) => !v.includes('"') && !v.includes('\\'));
  if (plain) return values.length === 0 ? '{}' : `{"${values.join('","')}"}`;
  // Not one regular expression: with tens of millions of matches it ends the process (copy-text.ts).
  return `{${values.map((v) => `"${v.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`).join(',')}}`;
}

/** How long closing a session waits for the server's goodbye before it lets the socket go. */
const END_WAIT_MS = 5_000;

/** What a client reported on itself while it connected and set its session up, before a driver listened. */
interface ClientErrors {
  error?: Error;
  readonly listener: (error: Error) => void;
}

/**
 * A listener for a client's errors from the moment it is made: a connection cut while it is set
 * up (a failover, a terminated backend) is reported on the client as well as on the statement,
 * and with no listener yet that report crashed the process (`stowage serve` with it), where the
 * statement's failure says it clearly.
 */
function clientErrors(): ClientErrors {
  const errors: ClientErrors = {
    listener: (error) => {
      errors.error ??= error;
    },
  };
  return errors;
}

/**
 * Ends a client, waiting at most `ms`: pg's `end()` never settles for a client whose connect threw
 * before it had a socket (a port out of range), and a command awaiting it ended with nothing said.
 */
async function endWithin(client: pg.Client, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([client.end().catch(() => undefined), new Promise<void>((resolve) => (timer = setTimeout(resolve, ms).unref()))]);
  clearTimeout(timer);
}

/**
 * Two sessions making the same schema or table at one moment: the catalog's unique index refuses
 * the later one (`CREATE … IF NOT EXISTS` does not see the other's uncommitted row). Not a row's
 * data: the same statement succeeds, or finds the object, once the other has committed.
 */
function madeMeanwhile(error: unknown): boolean {
  return (error as { code?: unknown })?.code === '23505' && /pg_namespace_nspname_index|pg_type_typname_nsp_index|pg_class_relname_nsp_index/.test((error as Error)?.message ?? '');
}

/** What to do about a connection that failed, where the driver's words say what happened only. */
function connectHint(error: Error & { code?: string }, message: string): string {
  if (/no PostgreSQL user name specified/i.test(message)) return ' (give the warehouse a `user` in its settings, or in its URL: postgres://user@host/database)';
  // pg's words when a server asks for SCRAM and no password was given (an empty `${PGPASSWORD}` too): libpq says "no password supplied".
  if (/client password must be a (non-empty )?string/.test(message)) return ' (the server asks for a password, and the warehouse\'s settings give none: set `password`, or put it in the URL; a `${NAME}` whose variable is set but empty gives none)';
  if (error.code === 'ECONNREFUSED') return ': no server listens there; check that it runs, and the host and port in the warehouse\'s settings (or its URL)';
  if (error.code === 'ENOTFOUND' || error.code === 'EAI_AGAIN') return ': the host name is not known here; check the host in the warehouse\'s settings (or its URL)';
  if (error.code === 'ETIMEDOUT') return ': no answer from the server; check the host and port, and that a firewall lets this machine reach it';
  return '';
}
