import { applyIdentifierRules } from '@stowage/core';
import type { DestinationUnderTest } from '../harness.js';

/**
 * The column names a destination's dialect gives user data (traits, properties, mapped fields),
 * for expected rows: a reserved word may get a `_` prefix, a long name a hash suffix. Standard
 * columns (`id`, `user_id`, `timestamp`…) keep their names and are written as they are.
 */
export function dialectNames(dut: DestinationUnderTest) {
  const rules = dut.destination.dialect.identifiers;
  const name = (snakeCasePath: string) => applyIdentifierRules(snakeCasePath, rules);
  return {
    name,
    names: (...paths: string[]) => paths.map(name),
    /** An expected row's user-data columns, renamed as the dialect does. */
    named: (row: Record<string, unknown>) => Object.fromEntries(Object.entries(row).map(([k, v]) => [name(k), v])),
  };
}
