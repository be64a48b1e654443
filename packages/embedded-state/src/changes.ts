import { JsonText, type Change } from '@stowage/core';

/** A change as the store's queries read it: JSON text, and the profile's identifiers. */
export interface ChangeRow {
  computation: string;
  profile_id: string;
  kind: string;
  value: string | null;
  version: bigint | number;
  run_id: string;
  at: string;
  user_id: string | null;
  anonymous_ids: string | null;
  emails: string | null;
  mobile_ids: string | null;
  entity_id?: string | null;
  entity_context?: string | null;
  journey_context?: string | null;
  journey_metadata?: string | null;
}

const json = (text: string | null | undefined): unknown => (text === null || text === undefined ? null : JSON.parse(text));

export function toChange(space: string, r: ChangeRow): Change {
  const change: Change = {
    space,
    computation: r.computation,
    kind: r.kind as Change['kind'],
    value: json(r.value),
    version: Number(r.version),
    runId: r.run_id,
    at: r.at,
    profile: {
      profileId: r.profile_id,
      userId: r.user_id,
      anonymousIds: r.anonymous_ids ? JSON.parse(r.anonymous_ids) : [],
      emails: r.emails ? JSON.parse(r.emails) : [],
      mobileIds: r.mobile_ids ? JSON.parse(r.mobile_ids) : [],
    },
  };
  // Carried as the text the state keeps: it goes into the warehouse as that same text.
  if (r.entity_context != null) change.entityContext = new JsonText(r.entity_context);
  if (r.entity_id != null) change.entityId = r.entity_id;
  if (r.kind === 'step_entered') {
    change.journeyContext = json(r.journey_context);
    change.journeyMetadata = json(r.journey_metadata);
  }
  return change;
}

/**
 * The emitted changes of a run (`run_changes`, and `run_entity_changes` for a linked audience),
 * in no particular order. A replay emits the same changes, with the same versions, hence the same
 * message ids, which is all a warehouse needs to land each once; sorting them would sort every
 * member's context with them (a fifth of a million-member linked audience run, measured).
 * `$1` = space, `$2` = computation, `$3` = run id, `$4` = completion time.
 */
export function changesQuery(withEntities: boolean): string {
  const entities = withEntities
    ? `UNION ALL SELECT profile_id, entity_id, kind, CASE WHEN present THEN 'true' ELSE 'false' END, version, context, NULL, NULL
       FROM run_entity_changes WHERE emitted`
    : '';
  return `WITH c AS (
      SELECT c.profile_id, NULL::VARCHAR AS entity_id, c.kind, c.value, c.version, c.context AS entity_context,
             r.journey_context, r.journey_metadata
      FROM run_changes c LEFT JOIN run_rows r USING (profile_id) WHERE c.emitted
      ${entities})
    SELECT $2 AS computation, c.*, $3 AS run_id, $4 AS at, p.user_id, p.anonymous_ids, p.emails, p.mobile_ids
    FROM c JOIN profiles p ON p.space = $1 AND p.profile_id = c.profile_id`;
}
