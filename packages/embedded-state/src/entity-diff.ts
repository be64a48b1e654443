import type { RunHeader } from '@stowage/core';
import { memberAfter, STATE } from './diff.js';

/**
 * The set-based diff of a linked audience run's entities against the stored ones
 * (`entity_memberships`), once `run_changes` holds the run's membership diff and before
 * `memberships` is written: one row per entity row to write, and whether it is a change to emit.
 *
 * Only a profile that was and stays a member emits entity changes: at entry and exit its
 * entities ride on its entered / exited change, and are only recorded (entering ones present,
 * all of an exiting member's not present), each with a new version.
 * `$1` = space, `$2` = computation.
 */
export function entityDiffQuery(runKind: RunHeader['kind']): string {
  // A snapshot states the whole entity set of each member it lists; a delta only when it lists entities.
  const statesEntities = runKind === 'snapshot' ? '' : 'AND r.entities IS NOT NULL';
  return `WITH stated AS (
      SELECT r.profile_id, coalesce(s.value = 'true', false) AS emits
      FROM run_rows r LEFT JOIN ${STATE} s USING (profile_id)
      WHERE ${memberAfter('r', runKind)} ${statesEntities}),
    scope AS (SELECT profile_id, emits FROM stated UNION ALL SELECT profile_id, false FROM run_changes WHERE kind = 'exited'),
    wanted AS (
      SELECT profile_id, e.id AS entity_id, e.context
      FROM (SELECT profile_id, unnest(entities) AS e FROM run_rows WHERE profile_id IN (SELECT profile_id FROM stated))),
    held AS (
      SELECT profile_id, entity_id, present, context, version FROM entity_memberships
      WHERE space = $1 AND computation = $2 AND profile_id IN (SELECT profile_id FROM scope)),
    diff AS (
      SELECT coalesce(w.profile_id, h.profile_id) AS profile_id, coalesce(w.entity_id, h.entity_id) AS entity_id,
             w.entity_id IS NOT NULL AS present, coalesce(h.present, false) AS held,
             coalesce(w.context, h.context) AS context, h.context AS stored, h.version
      FROM wanted w FULL JOIN held h ON h.profile_id = w.profile_id AND h.entity_id = w.entity_id)
    SELECT d.profile_id, d.entity_id,
           CASE WHEN d.present = d.held THEN 'entity_kept' WHEN d.present THEN 'entity_added' ELSE 'entity_removed' END AS kind,
           d.present, d.context,
           CASE WHEN d.present = d.held THEN d.version ELSE coalesce(d.version, 0) + 1 END AS version,
           d.present <> d.held AND s.emits AS emitted
    FROM diff d JOIN scope s USING (profile_id)
    -- A listed entity with a new context is rewritten silently.
    WHERE d.present <> d.held OR (d.present AND d.context IS DISTINCT FROM d.stored)`;
}
