import type { ComputationKind, RunHeader } from '@stowage/core';

/** The stored state of the run's computation. `$1` = space, `$2` = computation. */
export const STATE = `(SELECT profile_id, value, version, context FROM memberships WHERE space = $1 AND computation = $2)`;

/** Whether a staged profile (`alias` of `run_rows`) is a member after the run; `value: false` is an exit in both kinds. */
export function memberAfter(alias: string, runKind: RunHeader['kind']): string {
  const notFalse = `${alias}.value IS DISTINCT FROM 'false'`;
  return runKind === 'snapshot' ? notFalse : `(coalesce(${alias}.op, '') <> 'exit' AND ${notFalse})`;
}

/**
 * The set-based diff of a staged run (`run_rows`) against the stored state of its computation:
 * one row per membership row to write, with the value to store (JSON text; NULL removes a trait's
 * value), the member's entity context, and whether it is a change to emit (`emitted`).
 * `$1` = space, `$2` = computation.
 */
export function diffQuery(kind: ComputationKind, runKind: RunHeader['kind']): string {
  if (kind === 'audience' || kind === 'linked_audience') return membershipDiff(runKind, kind === 'linked_audience');
  if (kind === 'journey_step') return stepDiff();
  return traitDiff(runKind);
}

function membershipDiff(runKind: RunHeader['kind'], linked: boolean): string {
  const snapshot = runKind === 'snapshot';
  // A snapshot lists the members: a member missing from it has exited.
  const missing = snapshot
    ? `UNION ALL SELECT s.profile_id, false, NULL FROM ${STATE} s WHERE s.value = 'true' AND s.profile_id NOT IN (SELECT profile_id FROM run_rows)`
    : '';
  // An exit carries the stored context. A snapshot states a staying member's context whole; a
  // delta that leaves it out keeps the stored one. It is rewritten silently (a `kept` row).
  const staying = snapshot ? `coalesce(w.entity_context, '{}')` : `coalesce(w.entity_context, s.context)`;
  const context = linked
    ? `CASE WHEN NOT w.member THEN s.context WHEN s.value = 'true' THEN ${staying} ELSE coalesce(w.entity_context, '{}') END`
    : 'NULL::VARCHAR';
  return `WITH wanted AS (SELECT r.profile_id, ${memberAfter('r', runKind)} AS member, r.entity_context FROM run_rows r ${missing}),
    diff AS (
      SELECT w.profile_id, w.member, coalesce(s.value = 'true', false) AS was, s.version, s.context AS stored, ${context} AS context
      FROM wanted w LEFT JOIN ${STATE} s USING (profile_id))
    SELECT profile_id, CASE WHEN NOT member THEN 'exited' WHEN was THEN 'kept' ELSE 'entered' END AS kind,
           CASE WHEN member THEN 'true' ELSE 'false' END AS value,
           CASE WHEN member = was THEN version ELSE coalesce(version, 0) + 1 END AS version,
           context, member <> was AS emitted
    FROM diff
    WHERE member <> was OR (member AND context IS DISTINCT FROM stored)`;
}

/** Each listed profile entered the step during the run; nobody leaves a step, so a snapshot exits no one. */
function stepDiff(): string {
  return `SELECT r.profile_id, 'step_entered' AS kind, 'true' AS value, coalesce(s.version, 0) + 1 AS version,
                 NULL::VARCHAR AS context, true AS emitted
          FROM run_rows r LEFT JOIN ${STATE} s USING (profile_id)`;
}

function traitDiff(runKind: RunHeader['kind']): string {
  const removals = runKind === 'snapshot'
    ? `UNION ALL SELECT s.profile_id, NULL FROM ${STATE} s WHERE s.profile_id NOT IN (SELECT profile_id FROM run_rows)`
    : '';
  // A removed value is written (NULL) but not emitted.
  return `WITH wanted AS (SELECT profile_id, value AS want FROM run_rows ${removals})
    SELECT w.profile_id, CASE WHEN w.want IS NULL THEN 'removed' ELSE 'changed' END AS kind, w.want AS value,
           coalesce(s.version, 0) + 1 AS version, NULL::VARCHAR AS context, w.want IS NOT NULL AS emitted
    FROM wanted w LEFT JOIN ${STATE} s USING (profile_id)
    WHERE w.want IS DISTINCT FROM s.value AND NOT (w.want IS NULL AND s.value IS NULL)`;
}
