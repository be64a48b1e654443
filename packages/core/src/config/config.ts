import type { ComputationKind } from '../runs/run.js';

/** How a computation reaches one warehouse on the Classic path. */
export interface ClassicSettings {
  /** Send an identify call per change (fills identifies and users). */
  identify: boolean;
  /** Send a track call per change (fills tracks and the event tables). */
  track: boolean;
  enteredEvent: string;
  exitedEvent: string;
  computedEvent: string;
  /** Also send calls for profiles with no userId, one per anonymousId. */
  includeAnonymous: boolean;
  /** Send one call per mobile id with `context.device.advertisingId` and `type`. */
  includeMobileIds: boolean;
}

export interface ComputationConfig {
  key: string;
  type: ComputationKind;
  /** The computation's id in `context.personas.computation_id`; defaults to `aud_<key>` or `trait_<key>`. */
  id: string;
  /**
   * Classic settings per warehouse name; a computation without `warehouses` goes to every
   * warehouse of its space. Empty for linked audiences and journey steps: Classic Storage does
   * not carry them (they reach warehouses through activations).
   */
  warehouses: Record<string, ClassicSettings>;
  /**
   * A computed trait's column type in the Classic tables, whatever its first value: `double` for
   * a revenue that may first be whole (`450`), which would otherwise make a `bigint` column that
   * warehouses without widening in place (Redshift) keep, quarantining every later fraction.
   */
  valueType?: 'double' | 'bigint' | 'string' | 'boolean' | 'timestamp';
}

/** Event names an activation writes in `event_name`, per kind of change. */
export interface ActivationEvents {
  entered: string;
  exited: string;
  entityAdded: string;
  entityRemoved: string;
  stepEntered: string;
}

/**
 * A Storage Actions subscription: a computation of a space written to one table of one
 * warehouse right after each of its runs, through the destination's action and a preset's
 * field mappings plus the activation's own columns.
 */
export interface ActivationConfig {
  name: string;
  /** `personas_activation_id`; defaults to `act_<name>`. */
  id: string;
  computation: string;
  warehouse: string;
  table: string;
  /** An existing schema to write to instead of the space's (Snowflake's `schemaOverride`); never created. */
  schema?: string;
  preset: PresetName;
  events: ActivationEvents;
  /** Extra columns: column name → mapping-kit value (`{"@path": "$.properties…"}`, `@template`, `@if`, a literal…). */
  columns: Record<string, unknown>;
  /** An event whose entity context is larger than this (bytes of its JSON) is not written; it is quarantined. */
  maxEntityContextBytes: number;
}

/** The presets of the Storage Actions action: which default columns an activation's table gets. */
export type PresetName = 'linked-audience' | 'journey-step';

export interface SpaceConfig {
  name: string;
  id: string;
  computations: Record<string, ComputationConfig>;
  activations: Record<string, ActivationConfig>;
}

export interface SelectiveSync {
  tables: string[];
  columns: Record<string, string[]>;
}

export interface WarehouseConfig {
  name: string;
  type: string;
  settings: Record<string, unknown>;
  spaces: string[];
  /** Cron expression (UTC) for the Classic sync; hourly by default. */
  schedule: string;
  /** Prefix of the classic schema: `engage_` (or `personas_` for legacy setups). */
  schemaPrefix: string;
  disabled: SelectiveSync;
}

export interface StowageConfig {
  /** The folder of the configuration file; relative paths are resolved against it. */
  root: string;
  stateDir: string;
  /** Calls per batch of a sync: each batch is one warehouse transaction. */
  batchSize: number;
  /** Most bytes of logged calls per sync batch: wide calls (hundreds of traits) make smaller batches. */
  batchBytes: number;
  spaces: Record<string, SpaceConfig>;
  warehouses: Record<string, WarehouseConfig>;
}

export const CLASSIC_DEFAULTS: ClassicSettings = {
  identify: true,
  track: true,
  enteredEvent: 'Audience Entered',
  exitedEvent: 'Audience Exited',
  computedEvent: 'Trait Computed',
  includeAnonymous: false,
  includeMobileIds: false,
};

export const ACTIVATION_DEFAULTS = {
  events: {
    entered: 'Audience Entered',
    exited: 'Audience Exited',
    entityAdded: 'Associated Entity Added',
    entityRemoved: 'Associated Entity Removed',
    stepEntered: 'Journey Step Entered',
  } satisfies ActivationEvents,
  /** The limit of the platform the spec describes. */
  maxEntityContextBytes: 32 * 1024,
};

/** The profile state's database, in the state folder (`@stowage/embedded-state`). */
export const STATE_FILE = 'state.duckdb';
