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
  /** Per warehouse name; a computation without `warehouses` goes to every warehouse of its space. */
  warehouses: Record<string, ClassicSettings>;
}

export interface SpaceConfig {
  name: string;
  id: string;
  computations: Record<string, ComputationConfig>;
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
