import type { ComputationKind, RunHeader } from '@stowage/core';

/** The stored state of the run's computation. `$1` = space, `$2` = computation. */
export const STATE = `(SELECT profile_id, value, version, context, context_hash, context_at, context_len FROM memberships WHERE space = $1 AND computation = $2)`;

/**
 * Whether a staged profile (`alias` of `run_rows`) is a member after the run. `value: false` and
 * `op: "exit"` are exits in both kinds: a snapshot's listing that says "exit" read as a member
 * would enter a profile its run said is out (or keep in one it said left), without a word.
 */
export function memberAfter(alias: string): string {
  return `(coalesce(${alias}.op, '') <> 'exit' AND ${alias}.value IS DISTINCT FROM 'false')`;
}

/** The columns of a change's entity context, none for the kinds that have none. */
const NO_CONTEXT = `NULL::BIGINT AS seq, NULL::VARCHAR AS context_from, NULL::VARCHAR AS context_hash, NULL::BIGINT AS context_at,
  NULL::BIGINT AS context_len, NULL::VARCHAR AS context`;

/**
 * The set-based diff of a staged run (`run_rows`) against the stored state of its computation:
 * one row per membership row to write, with the value to store (JSON text; NULL removes a trait's
 * value), where the member's entity context comes from, and whether it is a change to emit
 * (`emitted`). `$1` = space, `$2` = computation; for a linked audience, `$3` = the hash of `{}`.
 *
 * A linked audience member's context comes from the run (`context_from` 'run': `context_at` and
 * `context_len` place it in the run's texts file), from the stored row ('stored': its place in
 * the state's texts file, or its text in `context`), or is empty ('empty', kept as the text `{}`).
 * Contexts are compared by hash: the texts never enter DuckDB (see ContextStore).
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
    ? `UNION ALL SELECT s.profile_id, NULL, false, NULL, NULL, NULL FROM ${STATE} s WHERE s.value = 'true' AND s.profile_id NOT IN (SELECT profile_id FROM run_rows)`
    : '';
  // An exit carries the stored context. A snapshot states a staying member's context whole; a
  // delta that leaves it out keeps the stored one. It is rewritten silently (a `kept` row).
  const stated = `CASE WHEN w.run_hash IS NOT NULL THEN 'run' ELSE ${snapshot ? `'empty'` : `'stored'`} END`;
  const from = linked
    ? `CASE WHEN NOT w.member THEN 'stored' WHEN s.value = 'true' THEN ${stated} WHEN w.run_hash IS NOT NULL THEN 'run' ELSE 'empty' END`
    : 'NULL::VARCHAR';
  const pick = (run: string, stored: string, empty: string) => `CASE context_from WHEN 'run' THEN ${run} WHEN 'stored' THEN ${stored} WHEN 'empty' THEN ${empty} END`;
  return `WITH wanted AS (
      SELECT r.profile_id, r.seq, ${memberAfter('r')} AS member, r.context_hash AS run_hash, r.context_at AS run_at, r.context_len AS run_len
      FROM run_rows r ${missing}),
    diff AS (
      SELECT w.*, coalesce(s.value = 'true', false) AS was, s.version, s.context_hash AS stored_hash, s.context AS stored_text,
             s.context_at AS stored_at, s.context_len AS stored_len, ${from} AS context_from
      FROM wanted w LEFT JOIN ${STATE} s USING (profile_id)),
    picked AS (
      SELECT *, ${linked ? pick('run_hash', 'stored_hash', '$3') : 'NULL::VARCHAR'} AS context_hash FROM diff)
    SELECT profile_id, CASE WHEN NOT member THEN 'exited' WHEN was THEN 'kept' ELSE 'entered' END AS kind,
           CASE WHEN member THEN 'true' ELSE 'false' END AS value,
           CASE WHEN member = was THEN version ELSE coalesce(version, 0) + 1 END AS version,
           seq, context_from, context_hash, ${pick('run_at', 'stored_at', 'NULL')} AS context_at,
           ${pick('run_len', 'stored_len', 'NULL')} AS context_len, ${pick('NULL', 'stored_text', `'{}'`)} AS context,
           member <> was AS emitted
    FROM picked
    WHERE member <> was OR (member AND ${linked ? 'context_hash IS DISTINCT FROM stored_hash' : 'false'})`;
}

/** Each listed profile entered the step during the run; nobody leaves a step, so a snapshot exits no one. */
function stepDiff(): string {
  return `SELECT r.profile_id, 'step_entered' AS kind, 'true' AS value, coalesce(s.version, 0) + 1 AS version,
                 ${NO_CONTEXT}, true AS emitted
          FROM run_rows r LEFT JOIN ${STATE} s USING (profile_id)`;
}

function traitDiff(runKind: RunHeader['kind']): string {
  const removals = runKind === 'snapshot'
    ? `UNION ALL SELECT s.profile_id, NULL FROM ${STATE} s WHERE s.profile_id NOT IN (SELECT profile_id FROM run_rows)`
    : '';
  // A removed value is written (NULL) but not emitted.
  return `WITH wanted AS (SELECT profile_id, value AS want FROM run_rows ${removals})
    SELECT w.profile_id, CASE WHEN w.want IS NULL THEN 'removed' ELSE 'changed' END AS kind, w.want AS value,
           coalesce(s.version, 0) + 1 AS version, ${NO_CONTEXT}, w.want IS NOT NULL AS emitted
    FROM wanted w LEFT JOIN ${STATE} s USING (profile_id)
    WHERE w.want IS DISTINCT FROM s.value AND NOT (w.want IS NULL AND s.value IS NULL)`;
}

/**
 * Where each context new to the state goes in its texts file: after `$4` (the file's end), in the
 * order of the run's listing (`seq`), the order in which the changes are streamed and the texts
 * appended. `$1`…`$3` as for diffQuery. A run staged in place (`inPlace`: its texts written
 * straight to the state's file, see EmbeddedProfileStore) leaves each where it was staged, and
 * takes no `$4`.
 */
export function placedDiffQuery(kind: ComputationKind, runKind: RunHeader['kind'], inPlace = false): string {
  if (kind !== 'linked_audience') return `SELECT *, NULL::BIGINT AS store_at FROM (${diffQuery(kind, runKind)})`;
  if (inPlace) return `SELECT *, CASE WHEN context_from = 'run' THEN context_at END AS store_at FROM (${diffQuery(kind, runKind)})`;
  const runLen = `CASE WHEN context_from = 'run' THEN context_len ELSE 0 END`;
  return `SELECT *, CASE WHEN context_from = 'run' THEN $4 + sum(${runLen}) OVER (ORDER BY seq ROWS UNBOUNDED PRECEDING) - context_len END AS store_at
          FROM (${diffQuery(kind, runKind)})`;
}
