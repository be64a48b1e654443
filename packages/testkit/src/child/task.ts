import type { HarnessOptions } from '../harness.js';

/** A run as the harness applies it: its header (space `default` is implied) and its profiles. */
export interface ChildRun {
  header: Record<string, unknown>;
  profiles: Array<Record<string, unknown>>;
}

/** What the child process does once its install is built. */
export type ChildAction =
  | { kind: 'sync'; warehouse: string }
  | { kind: 'runs'; runs: ChildRun[] };

/**
 * A Stowage install described as data, for a separate process: the destination's module, the
 * state folder and warehouse settings of a harness made in the test, the same configuration, and
 * one thing to do. Serialised as JSON on the child's stdin.
 */
export interface ChildTask {
  module: string;
  /** The destination type the test runs: the module must export that one. */
  type: string;
  dir: string;
  settings: Record<string, unknown>;
  options: Omit<HarnessOptions, 'reuse' | 'more'>;
  action: ChildAction;
}
