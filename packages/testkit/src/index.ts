import { afterAll, afterEach, describe } from 'vitest';
import { removeHarnessDirs, type DestinationUnderTest } from './harness.js';
import { batches } from './suite/batches.js';
import { busyWarehouse } from './suite/busy-warehouse.js';
import { casts } from './suite/casts.js';
import { columnLimit } from './suite/column-limit.js';
import { columns } from './suite/columns.js';
import { flattening } from './suite/flattening.js';
import { hostile } from './suite/hostile.js';
import { hostileNames } from './suite/hostile-names.js';
import { hostileValues } from './suite/hostile-values.js';
import { killedSync } from './suite/killed-sync.js';
import { loadedKeys } from './suite/loaded-keys.js';
import { refusedCalls } from './suite/refused-calls.js';
import { rowLimit } from './suite/row-limit.js';
import { loads } from './suite/loads.js';
import { schemaEvolution } from './suite/schema-evolution.js';
import { specTables } from './suite/spec-tables.js';
import { storageActions } from './suite/storage-actions.js';
import { storageActionsScope } from './suite/storage-actions-scope.js';
import { types } from './suite/types.js';
import { usersMerge } from './suite/users-merge.js';

/** The parts of the conformance suite, in the order they run. */
const PARTS = {
  specTables,
  usersMerge,
  columns,
  types,
  loads,
  hostile,
  storageActions,
  flattening,
  casts,
  schemaEvolution,
  batches,
  loadedKeys,
  columnLimit,
  rowLimit,
  hostileNames,
  hostileValues,
  storageActionsScope,
  killedSync,
  refusedCalls,
  busyWarehouse,
} satisfies Record<string, (dut: DestinationUnderTest) => void>;

export type SuitePart = keyof typeof PARTS;

/**
 * The conformance suite: what a working destination is. Call it from a vitest file of the
 * destination's package with the destination and a factory of fresh, empty warehouses. Rules
 * a warehouse cannot hold are declared in its capabilities, which the suite reads.
 *
 * `parts` is for a variant of a destination that passes the whole suite already (the same
 * warehouse under another capability, say): the parts that exercise what the variant changes.
 * A destination of its own runs them all.
 */
export function describeDestination(name: string, dut: DestinationUnderTest, { parts }: { parts?: readonly SuitePart[] } = {}): void {
  describe(`destination conformance: ${name}`, () => {
    afterEach(async () => dut.afterEach?.());
    afterAll(removeHarnessDirs);
    for (const [part, describePart] of Object.entries(PARTS)) if (!parts || parts.includes(part as SuitePart)) describePart(dut);
  });
}

export { testPostgres, type TestPostgres } from './postgres-server.js';
export { dialectFingerprint } from './child/task.js';
export { Harness, identify, removeHarnessDirs, track, type DestinationUnderTest, type HarnessOptions, type Rows } from './harness.js';
export { firstSyncWithARepeat } from './fixtures.js';
export { expectMembersWrittenAgain, lostTableQueuedWhileDown } from './lost-table.js';
export { holdingCommits, overriding, writeSameKeysAtOnce } from './overriding-driver.js';
