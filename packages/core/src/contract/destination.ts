import type { Capabilities } from './capabilities.js';
import type { Dialect } from './dialect.js';
import type { Driver } from './driver.js';

/** Where the configuration lives: relative paths in settings resolve against `root`. */
export interface ConnectContext {
  root: string;
  /**
   * Told when the connection waits for another process that holds the warehouse (an embedded
   * database file, which one process writes at a time), with that process where known, so
   * that a command waiting says what for.
   */
  onWait?: (holder: string | undefined) => void;
}

/** Settings of one configured warehouse, validated against the destination's settings fields. */
export type WarehouseSettings = Record<string, unknown>;

/**
 * A warehouse plug-in: everything Stowage needs to load into one kind of warehouse. The core
 * owns every decision that is the same everywhere; a destination owns only what differs.
 */
export interface Destination<S extends WarehouseSettings = WarehouseSettings> {
  /** The `type` a warehouse names in the configuration (`duckdb`, `postgres`…). */
  type: string;
  /** The `@segment/actions-core` destination definition: settings fields, testAuthentication. */
  definition: unknown;
  /** JSON Schema of the settings, derived from the definition's fields. */
  settingsSchema: object;
  capabilities: Capabilities;
  dialect: Dialect;
  /** Open a session. Relative paths resolve against `context.root`. Errors never contain credentials. */
  connect(settings: S, context: ConnectContext): Promise<Driver>;
  /** Settings values that are secrets, so that logs, errors and history can leave them out. */
  secrets(settings: S): string[];
  /**
   * Optional: what is wrong with settings that their JSON Schema lets through (a URL that cannot
   * be used as written, keys that only work together), as `key: what to fix`. Checked with the
   * configuration, after the schema; never quotes a secret.
   */
  settingsProblems?(settings: S): string[];
  /**
   * Optional: why a schema name, valid by the dialect's identifier rules, cannot be one Stowage
   * writes to in a warehouse with these settings (DuckDB reads a schema named like one of its
   * catalogs as ambiguous). Checked with the configuration, before anything runs.
   */
  schemaProblem?(schema: string, settings: S): string | undefined;
  /**
   * Optional: the database these settings write to, as one string without credentials
   * (`127.0.0.1:5432/analytics`, a DuckDB file's absolute path), or undefined when it cannot be
   * told (an in-memory DuckDB is a database of its own each session). Two warehouses of one type
   * and one location must not load one Classic schema: the configuration is refused.
   */
  location?(settings: S, context: ConnectContext): string | undefined;
}
