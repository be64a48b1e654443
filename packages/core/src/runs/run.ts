import type { JsonText } from './json-text.js';

/**
 * Audiences hold membership (true/false); computed traits hold a value. Linked audiences hold
 * membership plus the entities (carts, accounts…) associated with each member. A journey step
 * records each entry of a profile into the step.
 */
export type ComputationKind = 'audience' | 'trait' | 'linked_audience' | 'journey_step';

/** An entity associated with a member of a linked audience, with its data-graph context. */
export interface EntityRecord {
  id: string;
  /** Any JSON object, or its JSON text, as a member's own `entityContext`. */
  context: Record<string, unknown> | JsonText;
}

/** One completed computation run: a full snapshot of members/values, or a delta of changes. */
export interface RunHeader {
  space: string;
  computation: string;
  id: string;
  kind: 'snapshot' | 'delta';
  completedAt: string;
}

export interface MobileId {
  id: string;
  type: string;
}

/** Who a profile is: its identifiers, as the run reports them. */
export interface ProfileIdentity {
  profileId: string;
  userId: string | null;
  anonymousIds: string[];
  emails: string[];
  mobileIds: MobileId[];
}

/**
 * A profile in a run. Snapshot of an audience: every listed profile is a member. Snapshot of a
 * trait: `value` is its value. Delta: `op` enter/exit for audiences, `value` for traits.
 */
export interface RunProfile extends ProfileIdentity {
  value?: unknown;
  op?: 'enter' | 'exit';
  /**
   * Linked audiences: the member's data-graph entity context, any JSON object; or its JSON text
   * (`new JsonText(text)`), kept as it is when written as JSON.stringify writes it (else parsed).
   */
  entityContext?: Record<string, unknown> | JsonText;
  /** Linked audiences: the entities associated with the member (the whole set, each run). */
  entities?: EntityRecord[];
  /** Journey steps: the journey's context and metadata for this entry, any JSON. */
  journeyContext?: unknown;
  journeyMetadata?: unknown;
}

/**
 * What a run changed for one profile. `version` counts the changes of (computation, profile), or
 * of (computation, profile, entity) for entity changes, so that it names the change for good.
 *
 * - `entered` / `exited`: audience and linked-audience membership; `changed`: a trait's value.
 * - `entity_added` / `entity_removed`: an entity joined or left a profile that stayed a member of a
 *   linked audience (a profile's entities at entry and exit ride on its entered / exited change).
 * - `step_entered`: a profile entered a journey step (each run that lists it is a new entry).
 */
export interface Change {
  space: string;
  computation: string;
  kind: 'entered' | 'exited' | 'changed' | 'entity_added' | 'entity_removed' | 'step_entered';
  value: unknown;
  version: number;
  /**
   * Linked audiences: the member's entity context (entered / exited), or the entity's own (entity
   * changes): an object, or its JSON text as the profile state keeps it.
   */
  entityContext?: Record<string, unknown> | JsonText;
  /** Entity changes: the entity's id. */
  entityId?: string;
  /** Journey steps. */
  journeyContext?: unknown;
  journeyMetadata?: unknown;
  runId: string;
  /** When the change happened: the completion time of the run that made it. */
  at: string;
  profile: ProfileIdentity;
  /**
   * The profile state's epoch, made when the state began: part of every message id a change
   * makes, beside its version, so that a state begun anew (whose versions count from 1 again)
   * never remakes an earlier state's ids. Absent for a state from before epochs, whose ids stay
   * as they were (`changeIdParts`).
   */
  epoch?: string;
}

/** What names a change for good in a message id: its version, and its state's epoch where it has one. */
export function changeIdParts(change: Pick<Change, 'version' | 'epoch'>): Array<string | number> {
  return change.epoch === undefined ? [change.version] : [change.version, change.epoch];
}

export interface RunOutcome {
  /** False when this run id was applied before: a re-sent run changes nothing. */
  applied: boolean;
  /** A run applied before: when the profile state took it (ISO-8601), where the state says. */
  appliedAt?: string;
  profiles: number;
  changes: number;
  /** Other runs of the computation whose interrupted attempts this run was applied over (`abandonInterrupted`). */
  abandoned?: string[];
  /** What the store wants the user to know of a run it applied (housekeeping after it that failed). */
  notices?: string[];
}

/** How a run is applied. */
export interface ApplyOptions {
  /**
   * Apply the run although another run of the computation was interrupted after it handed its
   * changes on and was never applied, which otherwise refuses it: the user gives that run up.
   */
  abandonInterrupted?: boolean;
}

/**
 * Where a run's changes go while the run is applied. `emit` may return before the changes are
 * handled (their writes overlap the diff's next chunk); `settle` resolves once every emitted
 * change is handled, or rejects with the first failure, and the store commits only after it.
 */
export interface ChangeSink {
  emit(changes: Change[]): Promise<void>;
  settle(): Promise<void>;
  /**
   * Told before the first emit where, besides among the rows of a change's own time, its message
   * id may already be in a table: at the completion times of other runs' attempts of the
   * computation that handed changes on and were never applied (one that failed and was never sent
   * again). Diffed against a state this run shares with them, for the profiles no applied run has
   * moved since, they made the same ids with their own time. Undefined: too many to name, the ids
   * may be anywhere. Until told, they may be anywhere.
   *
   * `unseen`: no attempt of this run handed changes on before this one, and no other run's
   * attempt is unapplied (`times` is empty): none of the run's message ids can be in any table
   * yet, and its writes need no look for them, only a check that no id comes twice.
   *
   * `knownUntil`: the latest completion time of the runs the state applied, in any space (null:
   * none). Every row an activation wrote is stamped with the time of a run the state applied or
   * attempted, so a table holding a later one was written by runs the state does not know: the
   * state folder restored from a backup older than the table, whose `unseen` and `times` are then
   * not to be trusted: its ids may be anywhere.
   */
  alsoAt?(times: readonly string[] | undefined, unseen?: boolean, knownUntil?: string | null): void;
  /**
   * Told after the run's changes: the current value of each audience and computed trait of the
   * profiles that gained identifiers in this run (a userId, anonymous or mobile ids), for those
   * identifiers; of the run's own computation, only where the run changed nothing for the profile
   * (its changes go to the new identifiers already, and a value from before them would be older
   * news told later). A profile that stays in an audience makes no change, and `users` would leave
   * the userId it gained out (or null, "never in") until its membership next changed. Each keeps
   * the version, run and time that made it, so the calls to identifiers it had carry the message
   * ids of theirs (loaded once). For the Classic path only: no activation's change.
   */
  restate?(changes: Change[]): Promise<void>;
  /** With `restate`: whether calls go to anonymous ids (of profiles without a userId) and to mobile ids, so that gaining one is gaining a call's target. */
  restateIds?: { anonymous: boolean; mobile: boolean };
}

/**
 * The profile state a run is diffed against. Changes are handed to the sink, and settled, before
 * the state is committed, so a crash in between replays the same changes (same versions, same
 * message ids). A run's completion time is fixed by the first attempt that hands changes on: a
 * replay with another `completedAt` still stamps its changes with that one, so that a message id
 * always comes with the same time, unless another run of the computation handed the same changes
 * on first and was never applied (`ChangeSink.alsoAt`). The Storage Actions writer relies on it
 * to look for a message id among the rows of those times only.
 */
/**
 * Why a computation's runs cannot be applied, nor its state sent, where its profile state holds
 * it as `stored` while it is configured as `kind`.
 */
export function kindChangedMessage(space: string, computation: string, kind: ComputationKind, stored: readonly ComputationKind[]): string {
  const a = (k: string) => `${/^[aeiou]/.test(k) ? 'an' : 'a'} ${k}`;
  // Several: runs were applied under each type (by a version that did not refuse the change); no type set back reads them all.
  const holds = stored.length === 1 ? a(stored[0]!) : `${stored.map(a).join(' and ')} at once`;
  const back = stored.length === 1 ? ', or set the type back' : '';
  return `computation "${computation}" of space "${space}" is configured as ${a(kind)}, but its profile state holds it as ${holds} (runs applied before its type was changed): a computation's type cannot change, since its stored members and values would be read as another kind's (a computed trait's values as an audience's exits, a linked audience's members as no audience's). Give the ${kind} a key of its own in the configuration (its columns and events take that name)${back}; what the old one wrote stays in the warehouses`;
}

/** Of the kinds a state holds a computation as, those that are not `kind` (none: fine), or all of them where there are several. */
export function kindsOtherThan(kind: ComputationKind, stored: readonly ComputationKind[] | undefined): ComputationKind[] | undefined {
  if (!stored || stored.length === 0 || (stored.length === 1 && stored[0] === kind)) return undefined;
  return [...stored];
}

export interface ProfileStore {
  applyRun(header: RunHeader, kind: ComputationKind, profiles: AsyncIterable<RunProfile[]>, sink: ChangeSink, options?: ApplyOptions): Promise<RunOutcome>;
  /**
   * The current members of one audience or linked audience, as `entered` changes carrying the
   * version and run that made them members and their entity context (a new activation's first rows).
   */
  members(space: string, computation: string, emit: (changes: Change[]) => Promise<void>): Promise<number>;
  /** Every computation's current state in a space, as changes from nothing (a new warehouse's backfill). */
  currentState(space: string, emit: (changes: Change[]) => Promise<void>): Promise<number>;
  /**
   * The kinds the state holds each computation of the space as (one, but where runs were applied
   * under two types): a configured type that is not it would read them as another kind's.
   */
  storedKinds(space: string): Promise<ReadonlyMap<string, readonly ComputationKind[]>>;
  /** The state's epoch (`Change.epoch`): '' for a state from before epochs, whose changes carry none. */
  readonly epoch: string;
  /**
   * Of each computation's run given, whether the state applied it. The state folder's run marks,
   * asked of the state: a state older than them (`state.duckdb` restored alone) would remake
   * message ids the warehouses hold.
   */
  applied(space: string, runs: Readonly<Record<string, string>>): Promise<Record<string, boolean>>;
  /**
   * The runs of a computation the state applied that completed at the moment `at` names, each with
   * when it was applied (ISO-8601): of two runs of one moment, which came first.
   */
  runsCompletedAt(space: string, computation: string, at: string): Promise<Array<{ run: string; appliedAt: string }>>;
  close(): Promise<void>;
}
