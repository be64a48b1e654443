import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig, Stowage, type ApplyOptions, type Column, type Destination, type RunResult, type SyncRecord } from '@stowage/core';
import { EmbeddedProfileStore } from '@stowage/embedded-state';

/** What a destination author hands the suite: the destination and a way to get a fresh, empty warehouse. */
export interface DestinationUnderTest {
  destination: Destination;
  /**
   * Where a separate `node` process imports the same destination from (its default export): a
   * package name resolvable from @stowage/testkit (`'@stowage/destination-duckdb'`), or an absolute
   * path or `file:` URL of the built module. The crash tests run syncs there and kill them.
   */
  module: string;
  /** Settings of a fresh, empty warehouse; `dir` is a new temporary folder for this test. */
  settings(dir: string): Promise<Record<string, unknown>> | Record<string, unknown>;
  /** Settings of a warehouse that cannot be reached (a refused connection, a folder that does not exist). */
  unreachable(dir: string): Promise<Record<string, unknown>> | Record<string, unknown>;
  /**
   * What the engine the suite runs on lacks that the warehouse itself has, each with the reason
   * (Redshift's dialect tested on PostgreSQL has no SUPER): the tests that need it do not run
   * there, and say why in their name.
   */
  engineLacks?: { jsonColumns?: string };
  /**
   * For the tests of a warehouse busy with another session's work: the settings that make a
   * statement give up soon on a lock that session holds (PostgreSQL's `lockTimeoutSeconds`; none
   * where a conflict fails at once, as on DuckDB, the default), or why it cannot be tested here.
   */
  lockWait?: { settings: Record<string, unknown> } | { lacks: string };
  /** Runs after each test: drop the warehouses it made, or hand them back to a pool. */
  afterEach?(): Promise<void>;
}

export interface HarnessOptions {
  computations?: Record<string, unknown>;
  /** Storage Actions activations of space `default` (their `warehouse` defaults to `wh`). */
  activations?: Record<string, Record<string, unknown>>;
  warehouse?: Record<string, unknown>;
  /** Reuse the state folder (and warehouse) of an earlier harness: a new configuration of the same install. */
  reuse?: { dir: string; settings: Record<string, unknown> };
  /** Settings added to the warehouse's (`DestinationUnderTest.lockWait`'s, say). */
  settings?: Record<string, unknown>;
  /** Pauses before a write the warehouse was too busy for is tried again (`StowageOptions.busyDelaysMs`). */
  busyDelaysMs?: readonly number[];
  /** Extra warehouses of the same type, by name, each with fresh settings (those of the reused harness's warehouse of that name, if it had one). */
  more?: string[];
  /** Calls per sync batch (one transaction each); small values make one sync several batches. */
  batchSize?: number;
  /** Bytes of logged calls per sync batch (`batchBytes`). */
  batchBytes?: number;
  /**
   * Where tables have no key index, a sync's message ids are looked up once per window of this
   * many calls, whether or not that pays (`StowageOptions.keyWindow`, `alwaysLookUpKeys`).
   */
  keyWindow?: number;
  /** The profile state's texts file may be compacted past this size (`EmbeddedProfileStore.open`). */
  compactContextsFrom?: number;
}

export type Rows = Array<Record<string, unknown>>;

/** Folders of the harnesses made so far; a later harness may reuse one, so they go only when the suite ends. */
const madeDirs: string[] = [];

/** Removes the folders of every harness made so far (the suite calls it once its tests are done). */
export function removeHarnessDirs(): void {
  for (const dir of madeDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/**
 * One Stowage install against the destination under test: a configuration with space `default`
 * and warehouse `wh`, the embedded state store, and helpers that read tables back.
 */
export class Harness {
  private constructor(
    readonly dut: DestinationUnderTest,
    readonly dir: string,
    readonly settings: Record<string, unknown>,
    readonly stowage: Stowage,
  ) {}

  static async create(dut: DestinationUnderTest, opts: HarnessOptions = {}): Promise<Harness> {
    let dir = opts.reuse?.dir;
    if (dir === undefined) madeDirs.push((dir = mkdtempSync(join(tmpdir(), 'stowage-kit-'))));
    const settings = { ...(opts.reuse?.settings ?? (await dut.settings(dir))), ...opts.settings };
    const warehouses: Record<string, unknown> = { wh: { type: dut.destination.type, settings, ...opts.warehouse } };
    for (const name of opts.more ?? []) {
      // Kept with the state folder: a harness that reuses it finds the same warehouse again.
      const kept = join(dir, `harness-warehouse-${name}.json`);
      const settings = existsSync(kept) ? JSON.parse(readFileSync(kept, 'utf8')) : await dut.settings(mkdtempSync(join(dir, `${name}-`)));
      writeFileSync(kept, JSON.stringify(settings));
      warehouses[name] = { type: dut.destination.type, settings };
    }
    const config = parseConfig(
      {
        ...(opts.batchSize === undefined ? {} : { batchSize: opts.batchSize }),
        ...(opts.batchBytes === undefined ? {} : { batchBytes: opts.batchBytes }),
        spaces: {
          default: {
            id: 'spa_test',
            computations: opts.computations ?? {},
            activations: Object.fromEntries(Object.entries(opts.activations ?? {}).map(([name, a]) => [name, { warehouse: 'wh', ...a }])),
          },
        },
        warehouses,
      },
      dir,
      new Map([[dut.destination.type, dut.destination]]),
    );
    const stowage = new Stowage(config, {
      destinations: new Map([[dut.destination.type, dut.destination]]),
      openProfileStore: (stateDir) => EmbeddedProfileStore.open(stateDir, undefined, { compactContextsFrom: opts.compactContextsFrom }),
      keyWindow: opts.keyWindow,
      alwaysLookUpKeys: opts.keyWindow !== undefined,
      ...(opts.busyDelaysMs ? { busyDelaysMs: opts.busyDelaysMs } : {}),
    });
    return new Harness(dut, dir, settings, stowage);
  }

  /** Feeds Segment-spec calls (objects, or raw lines for malformed input). */
  async calls(calls: ReadonlyArray<object | string>) {
    async function* lines() {
      for (const c of calls) yield typeof c === 'string' ? c : JSON.stringify(c);
    }
    return this.stowage.ingestCalls('default', lines());
  }

  async run(header: Record<string, unknown>, profiles: Array<Record<string, unknown>>, options: ApplyOptions = {}): Promise<RunResult> {
    const { parseRunHeader, parseRunProfile } = await import('@stowage/core');
    async function* chunks() {
      yield profiles.map((p) => {
        const parsed = parseRunProfile(p);
        if (typeof parsed === 'string') throw new Error(parsed);
        return parsed;
      });
    }
    const outcome = await this.stowage.applyRun(parseRunHeader({ space: 'default', kind: 'snapshot', ...header }), chunks(), options);
    await this.stowage.close();
    return outcome;
  }

  /** Runs a Classic sync of `warehouse`; a Failure throws with its error. */
  async sync(warehouse = 'wh'): Promise<SyncRecord> {
    const record = await this.stowage.sync(warehouse);
    if (record.status === 'Failure') throw new Error(`sync failed: ${record.error}`);
    return record;
  }

  private async withDriver<T>(warehouse: string, fn: (driver: Awaited<ReturnType<Destination['connect']>>) => Promise<T>): Promise<T> {
    const w = this.stowage.warehouse(warehouse);
    const driver = await this.dut.destination.connect(w.settings, { root: this.dir });
    try {
      return await fn(driver);
    } finally {
      await driver.close();
    }
  }

  /** Rows of a table of the classic schema, only the given columns, in a stable order (none when `orderBy` is empty). */
  async rows(table: string, columns: string[], orderBy: string[] = columns, warehouse = 'wh', schema = 'engage_default'): Promise<Rows> {
    const q = (s: string) => this.dut.destination.dialect.quote(s);
    const order = orderBy.length > 0 ? ` ORDER BY ${orderBy.map(q).join(', ')}` : '';
    return this.withDriver(warehouse, (driver) => driver.query(`SELECT ${columns.map(q).join(', ')} FROM ${q(schema)}.${q(table)}${order}`));
  }

  /** Every table of a schema with its columns and their logical types (empty when there is no such schema). */
  async tables(schema = 'engage_default', warehouse = 'wh'): Promise<Map<string, Column[]>> {
    return this.withDriver(warehouse, (driver) => driver.tables(schema));
  }

  async columns(table: string, warehouse = 'wh', schema = 'engage_default'): Promise<string[] | undefined> {
    return this.withDriver(warehouse, async (driver) => (await driver.columns(schema, table))?.map((c) => c.name));
  }

  async columnTypes(table: string, warehouse = 'wh', schema = 'engage_default'): Promise<Record<string, string>> {
    return this.withDriver(warehouse, async (driver) => Object.fromEntries(((await driver.columns(schema, table)) ?? []).map((c) => [c.name, c.type])));
  }

  /** Runs one statement on the warehouse (setting the stage for a test: an existing schema…). */
  async execute(sql: string, warehouse = 'wh'): Promise<void> {
    await this.withDriver(warehouse, async (driver) => void (await driver.execute(sql)));
  }

  /** What `Driver.notTables` says of these names of a schema; undefined where the driver cannot tell. */
  async notTables(schema: string, names: readonly string[], warehouse = 'wh'): Promise<Array<{ name: string; kind: string }> | undefined> {
    return this.withDriver(warehouse, async (driver) => driver.notTables?.(schema, names));
  }

  async schemaExists(schema: string, warehouse = 'wh'): Promise<boolean> {
    return this.withDriver(warehouse, (driver) => driver.schemaExists(schema));
  }

  async close(): Promise<void> {
    await this.stowage.close();
  }
}

let counter = 0;
/** An identify call with the fields Segment's pipeline fills, for tests that care about traits only. */
export function identify(userId: string | null, traits: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return { type: 'identify', messageId: `m${++counter}`, ...(userId ? { userId } : {}), traits, receivedAt: '2026-11-23T10:00:00.000Z', ...extra };
}

export function track(userId: string, event: string, properties: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return { type: 'track', messageId: `m${++counter}`, userId, event, properties, receivedAt: '2026-11-23T10:00:00.000Z', ...extra };
}
