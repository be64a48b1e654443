import { LOGICAL_TYPES, type Dialect } from '@stowage/core';
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
  /** The dialect the test runs (`dialectFingerprint`): the module's must be the same. */
  dialect: string;
  dir: string;
  settings: Record<string, unknown>;
  options: Omit<HarnessOptions, 'reuse' | 'more'>;
  action: ChildAction;
}

/**
 * What of a dialect decides the tables a sync writes: identifier rules and physical types. A child
 * whose module exports a destination with another dialect (a package's default export, where the
 * test runs a variant of it) would write other tables than the sync it is compared with.
 */
export function dialectFingerprint(dialect: Dialect): string {
  const { maxLength, reservedWords, prefixLeadingDigit } = dialect.identifiers;
  return JSON.stringify({ maxLength, reservedWords: [...reservedWords].sort(), prefixLeadingDigit, types: LOGICAL_TYPES.map((t) => dialect.physicalType(t)) });
}
