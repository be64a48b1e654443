/** Audiences hold membership (true/false); computed traits hold a value. */
export type ComputationKind = 'audience' | 'trait';

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
}

/** What a run changed for one profile. `version` counts the changes of (computation, profile). */
export interface Change {
  space: string;
  computation: string;
  kind: 'entered' | 'exited' | 'changed';
  value: unknown;
  version: number;
  runId: string;
  /** When the change happened: the completion time of the run that made it. */
  at: string;
  profile: ProfileIdentity;
}

export interface RunOutcome {
  /** False when this run id was applied before: a re-sent run changes nothing. */
  applied: boolean;
  profiles: number;
  changes: number;
}

/**
 * The profile state a run is diffed against. Changes are handed to `emit` before the state is
 * committed, so a crash in between replays the same changes (same versions, same message ids).
 */
export interface ProfileStore {
  applyRun(header: RunHeader, kind: ComputationKind, profiles: AsyncIterable<RunProfile[]>, emit: (changes: Change[]) => Promise<void>): Promise<RunOutcome>;
  /** Every computation's current state in a space, as changes from nothing (a new warehouse's backfill). */
  currentState(space: string, emit: (changes: Change[]) => Promise<void>): Promise<number>;
  close(): Promise<void>;
}
