import { JsonText, type Change } from '@stowage/core';

/** What every change of a run shares, given once rather than read back with each row. */
export interface RunOfChanges {
  computation: string;
  run_id: string;
  at: string;
}

/** A change as the store's queries read it: JSON text, and the profile's identifiers. */
export interface ChangeRow extends Partial<RunOfChanges> {
  profile_id: string;
  kind: string;
  value: string | null;
  version: bigint | number;
  user_id: string | null;
  anonymous_ids: string | null;
  emails: string | null;
  mobile_ids: string | null;
  entity_id?: string | null;
  /** The context's text when the row holds it; else `context_at`/`context_len` place it (see ContextStore). */
  entity_context?: string | null;
  context_from?: string | null;
  /** The context's hash, checked against the text read from the state's file. */
  context_hash?: string | null;
  context_at?: bigint | number | null;
  context_len?: bigint | number | null;
  /** Where a context new to the state goes in its texts file. */
  store_at?: bigint | number | null;
  /** False for a row streamed only for its new context (a member's context rewritten silently). */
  emitted?: boolean;
  journey_context?: string | null;
  journey_metadata?: string | null;
}

const json = (text: string | null | undefined): unknown => (text === null || text === undefined ? null : JSON.parse(text));

/**
 * A journey field as the text the state keeps (its integers' digits as sent, which a parse would
 * round past 2^53), as an entity context is carried; none where the run gave none, or null.
 */
const journeyText = (text: string | null | undefined): JsonText | null => (text === null || text === undefined || text === 'null' ? null : new JsonText(text));

/**
 * The change a row stands for, with the state's epoch (`stateEpoch`; '' adds none); a run's
 * changes take what they share from `run` (other queries read it per row).
 */
export function toChange(space: string, r: ChangeRow, epoch: string, run?: RunOfChanges): Change {
  const change: Change = {
    space,
    computation: (run?.computation ?? r.computation)!,
    kind: r.kind as Change['kind'],
    value: json(r.value),
    version: Number(r.version),
    runId: (run?.run_id ?? r.run_id)!,
    at: (run?.at ?? r.at)!,
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
  if (epoch !== '') change.epoch = epoch;
  if (r.kind === 'step_entered') {
    change.journeyContext = journeyText(r.journey_context);
    change.journeyMetadata = journeyText(r.journey_metadata);
  }
  return change;
}

/**
 * The emitted changes of a run's members (`run_changes`; a linked audience's entities are
 * streamed after them, `ENTITY_CHANGES`). A replay emits the same changes, with the same versions,
 * hence the same message ids, which is all a warehouse needs to land each once. A linked
 * audience's come in the order of the run's listing, with the rows that only bring a new context
 * to the state: their texts are appended to the state's texts file in that order, where the diff
 * placed them (`store_at`). Other kinds'
 * come in no particular order. What every change of the run shares (computation, run, time) is
 * not read back per row, and a journey step's context (the only kind that has one) is joined
 * only for journey steps: of the ~0.8 s spent reading back 100,000 changes, the three shared
 * columns took ~0.2 s.
 * `$1` = space.
 */
export function changesQuery(linked: boolean, withJourney: boolean): string {
  const journey = withJourney ? ', r.journey_context, r.journey_metadata' : '';
  return `WITH c AS (
      SELECT c.profile_id, c.seq, c.kind, c.value, c.version, c.context AS entity_context,
             c.context_from, c.context_hash, c.context_at, c.context_len, c.store_at, c.emitted${journey}
      FROM run_changes c ${withJourney ? 'LEFT JOIN run_rows r USING (profile_id) ' : ''}WHERE c.emitted${linked ? ` OR c.context_from = 'run'` : ''})
    SELECT c.*, p.user_id, p.anonymous_ids, p.emails, p.mobile_ids
    FROM c JOIN profiles p ON p.space = $1 AND p.profile_id = c.profile_id${linked ? ' ORDER BY c.seq NULLS LAST' : ''}`;
}
