import type { ComputationKind, RunHeader } from '@stowage/core';

/**
 * The set-based diff of a staged run (`run_rows`) against the stored state of its computation:
 * one row per change, with the value to store (JSON text; NULL removes a trait's value).
 * `$1` = space, `$2` = computation.
 */
export function diffQuery(kind: ComputationKind, runKind: RunHeader['kind']): string {
  const state = `(SELECT profile_id, value, version FROM memberships WHERE space = $1 AND computation = $2)`;
  if (kind === 'audience') {
    const wanted = runKind === 'snapshot'
      ? `SELECT profile_id, CASE WHEN value = 'false' THEN 'false' ELSE 'true' END AS want FROM run_rows`
      : `SELECT profile_id, CASE WHEN op = 'exit' OR value = 'false' THEN 'false' ELSE 'true' END AS want FROM run_rows`;
    // A snapshot lists the members: a member missing from it has exited.
    const missing = runKind === 'snapshot'
      ? `UNION ALL SELECT s.profile_id, 'false' FROM ${state} s WHERE s.value = 'true' AND s.profile_id NOT IN (SELECT profile_id FROM run_rows)`
      : '';
    return `WITH wanted AS (${wanted} ${missing})
      SELECT w.profile_id, CASE WHEN w.want = 'true' THEN 'entered' ELSE 'exited' END AS kind, w.want AS value,
             coalesce(s.version, 0) + 1 AS version
      FROM wanted w LEFT JOIN ${state} s USING (profile_id)
      WHERE (w.want = 'true' AND s.value IS DISTINCT FROM 'true') OR (w.want = 'false' AND s.value = 'true')`;
  }
  const removals = runKind === 'snapshot'
    ? `UNION ALL SELECT s.profile_id, NULL FROM ${state} s WHERE s.profile_id NOT IN (SELECT profile_id FROM run_rows)`
    : '';
  return `WITH wanted AS (SELECT profile_id, value AS want FROM run_rows ${removals})
    SELECT w.profile_id, CASE WHEN w.want IS NULL THEN 'removed' ELSE 'changed' END AS kind, w.want AS value,
           coalesce(s.version, 0) + 1 AS version
    FROM wanted w LEFT JOIN ${state} s USING (profile_id)
    WHERE w.want IS DISTINCT FROM s.value AND NOT (w.want IS NULL AND s.value IS NULL)`;
}
