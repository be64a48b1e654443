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
 *
 * Contexts are kept by reference, as members' are (ContextStore), and compared by hash: a run's
 * entities' texts never enter DuckDB, whose memory (the state's 512MB) a run of 50,000 members
 * with four kilobyte entities each outgrew when they were staged whole. An entity listed by the
 * run (`context_from` 'run') takes its text from the run's texts file and is placed in the
 * state's after the members' new contexts, in the order the run listed them (`store_at`, the
 * order `ENTITY_CHANGES` streams them in); a removed one is emitted with its stored text
 * ('stored': its place, or the text itself in `context` for rows written before). A row of an
 * entity no longer present keeps no context: nothing reads it again.
 * `$1` = space, `$2` = computation, `$3` = the end of the state's texts file before the run; a run
 * staged in place (`inPlace`, see placedDiffQuery) leaves each text where it was staged, and takes no `$3`.
 */
export function entityDiffQuery(runKind: RunHeader['kind'], inPlace = false): string {
  // A snapshot states the whole entity set of each member it lists; a delta only when it lists entities.
  const statesEntities = runKind === 'snapshot' ? '' : 'AND r.lists_entities';
  return `WITH stated AS (
      SELECT r.profile_id, coalesce(s.value = 'true', false) AS emits
      FROM run_rows r LEFT JOIN ${STATE} s USING (profile_id)
      WHERE ${memberAfter('r')} ${statesEntities}),
    scope AS (SELECT profile_id, emits FROM stated UNION ALL SELECT profile_id, false FROM run_changes WHERE kind = 'exited'),
    wanted AS (
      SELECT profile_id, entity_id, context_hash AS run_hash, context_at AS run_at, context_len AS run_len
      FROM run_entities WHERE profile_id IN (SELECT profile_id FROM stated)),
    held AS (
      SELECT profile_id, entity_id, present, context, context_hash, context_at, context_len, version FROM entity_memberships
      WHERE space = $1 AND computation = $2 AND profile_id IN (SELECT profile_id FROM scope)),
    diff AS (
      SELECT coalesce(w.profile_id, h.profile_id) AS profile_id, coalesce(w.entity_id, h.entity_id) AS entity_id,
             w.entity_id IS NOT NULL AS present, coalesce(h.present, false) AS held,
             w.run_hash, w.run_at, w.run_len, h.context AS stored_text, h.context_hash AS stored_hash,
             h.context_at AS stored_at, h.context_len AS stored_len, h.version
      FROM wanted w FULL JOIN held h ON h.profile_id = w.profile_id AND h.entity_id = w.entity_id),
    changed AS (
      SELECT d.profile_id, d.entity_id,
             CASE WHEN d.present = d.held THEN 'entity_kept' WHEN d.present THEN 'entity_added' ELSE 'entity_removed' END AS kind,
             d.present,
             CASE WHEN d.present THEN 'run' ELSE 'stored' END AS context_from,
             CASE WHEN d.present THEN NULL ELSE d.stored_text END AS context,
             CASE WHEN d.present THEN d.run_hash ELSE d.stored_hash END AS context_hash,
             CASE WHEN d.present THEN d.run_at ELSE d.stored_at END AS context_at,
             CASE WHEN d.present THEN d.run_len ELSE d.stored_len END AS context_len,
             CASE WHEN d.present = d.held THEN d.version ELSE coalesce(d.version, 0) + 1 END AS version,
             d.present <> d.held AND s.emits AS emitted
      FROM diff d JOIN scope s USING (profile_id)
      -- A listed entity with a new context is rewritten silently.
      WHERE d.present <> d.held OR (d.present AND d.run_hash IS DISTINCT FROM d.stored_hash))
    SELECT *, CASE WHEN context_from = 'run'
                THEN ${inPlace ? 'context_at' : `$3 + (SELECT coalesce(sum(context_len), 0) FROM run_changes WHERE context_from = 'run')
                     + sum(CASE WHEN context_from = 'run' THEN context_len ELSE 0 END) OVER (ORDER BY context_at ROWS UNBOUNDED PRECEDING) - context_len`}
              END AS store_at
    FROM changed`;
}

/**
 * The entity rows of a linked audience run to stream (`run_entity_changes`): those emitted, and
 * those that bring a text to the state's texts file, in the order they are placed there. After
 * the members' changes (`changesQuery`), whose new texts come first in the file. `$1` = space.
 */
export const ENTITY_CHANGES = `SELECT c.profile_id, c.entity_id, c.kind, CASE WHEN c.present THEN 'true' ELSE 'false' END AS value, c.version,
       c.context AS entity_context, c.context_from, c.context_hash, c.context_at, c.context_len, c.store_at, c.emitted,
       p.user_id, p.anonymous_ids, p.emails, p.mobile_ids
  FROM run_entity_changes c JOIN profiles p ON p.space = $1 AND p.profile_id = c.profile_id
  WHERE c.emitted OR c.context_from = 'run'
  ORDER BY c.store_at NULLS LAST`;
