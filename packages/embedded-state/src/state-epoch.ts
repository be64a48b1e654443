import { randomBytes } from 'node:crypto';
import type { DuckDBConnection } from '@duckdb/node-api';

/**
 * The profile state's epoch: a mark made once, when the state begins, that goes into every
 * message id its changes make (`Change.epoch`). A membership's version counts from 1 in each
 * state, so a state begun anew (its folder lost, moved without the configuration saying so, or
 * deleted to start over) would otherwise remake the ids of another state's changes: a warehouse
 * that deduplicates by id would drop its new changes as copies of old ones, or hold an id twice.
 *
 * A state from before epochs that has made changes keeps none (''), so that its ids, which its
 * warehouses already hold and a replay must remake, stay as they were. One that never made a
 * change (no run, no attempt) is as good as new and gets one.
 */
export async function stateEpoch(setup: DuckDBConnection): Promise<string> {
  await setup.run('CREATE TABLE IF NOT EXISTS state_epoch (epoch VARCHAR NOT NULL)');
  const kept = await setup.runAndReadAll('SELECT epoch FROM state_epoch');
  const [row] = kept.getRowsJS();
  if (row) return String(row[0]);
  const used = await setup.runAndReadAll(
    'SELECT (SELECT count(*) FROM runs) + (SELECT count(*) FROM run_attempts) + (SELECT count(*) FROM memberships) + (SELECT count(*) FROM entity_memberships)',
  );
  const epoch = Number(used.getRowsJS()[0]![0]) > 0 ? '' : randomBytes(8).toString('hex');
  await setup.run('INSERT INTO state_epoch VALUES ($1)', [epoch]);
  return epoch;
}
