import type { EntityRecord, MobileId, RunHeader, RunProfile } from './run.js';
import { dateTimeProblem, parseTimestamp } from '../types/timestamp.js';
import { idTextProblem, readId } from '../ids/id-text.js';
import { hasControlCharacter, quotedText } from '../ids/control-text.js';
import { jsonValueProblem } from '../types/json-value.js';
import { JsonText } from './json-text.js';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * A profile's ids of one kind, from its list (`anonymousIds`) and its single form
 * (`anonymousId`); an empty string counts as absent. Any other shape is refused, not read as no
 * ids: `"anonymousIds": "a-1"` or `[123]` read so lost the profile's calls without a word. Both
 * given, the single one must be in the list, which alone says their order (the first names the
 * profile when nothing else does).
 */
function idList(input: Record<string, unknown>, list: string, one: string): string[] | string {
  const many = input[list] ?? undefined;
  const single = input[one] ?? undefined;
  if (single !== undefined && typeof single !== 'string') return `${one} must be a string, not ${JSON.stringify(single)}`;
  if (many === undefined) return single ? [single] : [];
  if (!Array.isArray(many)) return `${list} must be an array of strings, not ${JSON.stringify(many)}`;
  // A null, as an empty string, holds no id (a table exported with its gaps as nulls).
  const bad = many.findIndex((x) => typeof x !== 'string' && x !== null);
  if (bad !== -1) return `${list} must be an array of strings: ${list}[${bad}] is ${JSON.stringify(many[bad])}`;
  const ids = many.filter((x): x is string => typeof x === 'string' && x !== '');
  if (single && !ids.includes(single)) return `${one} ${JSON.stringify(single)} is not among ${list}: give the one or the other, or list it there too`;
  return ids;
}

/** A profile's mobile ids, each with a non-empty `id` and a `type` (`"unknown"` when left out); any other shape refused, not dropped. */
function mobileIdList(input: unknown): MobileId[] | string {
  if (input === undefined || input === null) return [];
  const shape = 'mobileIds must be an array of { "id": "…", "type": "…" }';
  if (!Array.isArray(input)) return shape;
  const out: MobileId[] = [];
  for (const [i, m] of input.entries()) {
    if (!isObject(m)) return shape;
    const unknown = unknownKey(m, MOBILE_ID_KEYS, `mobileIds[${i}]`);
    if (unknown) return unknown;
    if (typeof m.id !== 'string' || m.id === '') return `mobileIds[${i}] needs an "id" (a non-empty string)`;
    if (m.type !== undefined && m.type !== null && typeof m.type !== 'string') return `mobileIds[${i}].type must be a string`;
    // Its calls' message ids are made from the id alone: which of two types the warehouse keeps would be a guess.
    if (out.some((o) => o.id === m.id)) return `mobileIds[${i}]: the id ${JSON.stringify(m.id)} is listed twice`;
    out.push({ id: m.id, type: typeof m.type === 'string' ? m.type : 'unknown' });
  }
  return out;
}

/** A run file that cannot be read, with where and why. */
export class RunFormatError extends Error {
  override name = 'RunFormatError';
}

const HEADER_KEYS = new Set(['space', 'computation', 'id', 'kind', 'completedAt']);
const JSON_RUN_KEYS = new Set([...HEADER_KEYS, 'profiles']);
const ENTITY_KEYS = new Set(['id', 'context']);
const MOBILE_ID_KEYS = new Set(['id', 'type']);
const PROFILE_KEYS = new Set(['profileId', 'userId', 'anonymousIds', 'anonymousId', 'emails', 'email', 'mobileIds', 'value', 'op', 'entityContext', 'entities', 'journeyContext', 'journeyMetadata']);

/**
 * A key the reader does not know: a misspelt one (`"profile"`, `"valeu"`) read as absent would
 * change what the run means (a snapshot with no members exits them all), so it is refused.
 */
function unknownKey(input: Record<string, unknown>, known: ReadonlySet<string>, what: string): string | undefined {
  for (const key in input) if (!known.has(key)) return `${what} has an unknown key ${JSON.stringify(key)} (its keys: ${[...known].join(', ')})`;
  return undefined;
}

/**
 * How far ahead of this machine's clock a run's completedAt may be: another machine's clock, or
 * a local time written without its zone east of UTC (up to 14 hours), is not a mistake.
 */
export const MOST_AHEAD_MS = 24 * 60 * 60 * 1000;

/**
 * A completedAt past tomorrow (a year mistyped: 2062, 9999): applied, it would make every later
 * run of the computation older than it, each refused, for good. Said before anything is applied.
 */
function aheadOfClock(completedAt: string, now = Date.now()): string | undefined {
  const ms = Date.parse(completedAt);
  if (!(ms - now > MOST_AHEAD_MS)) return undefined;
  const days = Math.floor((ms - now) / (24 * 60 * 60 * 1000));
  return `completedAt ${completedAt} is ${days === 1 ? '1 day' : `${days.toLocaleString('en-US')} days`} ahead of this machine's clock (${new Date(now).toISOString()}): applied, it would make every later run of the computation older than it, and each would be refused. Give the time the run completed (or set this machine's clock)`;
}

/** Reads a run's header (everything but its profiles), saying what to fix when it is wrong. `profiles`: the key of a JSON run's profiles. */
export function parseRunHeader(input: unknown, { profiles = false } = {}): RunHeader {
  if (!isObject(input)) throw new RunFormatError('the run header must be a JSON object');
  const unknown = unknownKey(input, profiles ? JSON_RUN_KEYS : HEADER_KEYS, 'the run header');
  if (unknown) throw new RunFormatError(profiles ? unknown : `${unknown.slice(0, -1)}; a run of one JSON object lists its profiles under "profiles")`);
  const missing = ['space', 'computation', 'id'].filter((k) => typeof input[k] !== 'string' || input[k] === '');
  if (missing.length) throw new RunFormatError(`the run header needs ${missing.join(', ')} (non-empty strings)`);
  // The run id is in every change's message id and in the state's record of applied runs: two ids
  // the warehouse or the state would store alike ("x\ud800" and "x\udc00", both "x\ufffd")
  // took the second run for the first, applied before, and dropped it without a word.
  // Every command prints it (`run <id> of …`, the history): an escape sequence in it would act on
  // the terminal. Looked at first, so that the id is shown escaped (DEL and C1 too) either way.
  if (hasControlCharacter(input.id as string)) throw new RunFormatError(`the run id ${quotedText(input.id as string)} holds a control character, which every command prints as it is; a run id is printable text`);
  const badId = idTextProblem('the run id', input.id as string);
  if (badId) throw new RunFormatError(badId);
  // Left out, a run is a snapshot; a null is refused, as a null completedAt or op is: taken for a
  // snapshot, a run its producer meant as a delta (a null written for "not set") exited every
  // member it did not list.
  const kind = input.kind === undefined ? 'snapshot' : input.kind;
  if (kind !== 'snapshot' && kind !== 'delta') throw new RunFormatError(`kind must be "snapshot" or "delta", not ${JSON.stringify(kind)}${kind === null ? ' (leave it out for a snapshot)' : ''}`);
  const completedAt = input.completedAt === undefined ? new Date().toISOString() : typeof input.completedAt === 'string' ? parseTimestamp(input.completedAt) : undefined;
  if (!completedAt) {
    // A Date would be quoted as its ISO text, which reads as the very thing asked for.
    const given = input.completedAt instanceof Date ? 'a Date object (pass its toISOString())' : (JSON.stringify(input.completedAt) ?? `a ${typeof input.completedAt}`);
    const why = typeof input.completedAt === 'string' ? dateTimeProblem(input.completedAt) : undefined;
    throw new RunFormatError(`completedAt must be an ISO-8601 date-time of the years 0001 to 9999, written as a string, not ${given}${why ? ` (${why})` : ''}`);
  }
  const ahead = aheadOfClock(completedAt);
  if (ahead) throw new RunFormatError(ahead);
  return { space: input.space as string, computation: input.computation as string, id: input.id as string, kind, completedAt };
}

/** Reads one profile of a run; returns an error message instead of throwing for bad entries. */
export function parseRunProfile(input: unknown): RunProfile | string {
  if (!isObject(input)) return 'a profile must be a JSON object';
  const unknown = unknownKey(input, PROFILE_KEYS, 'the profile');
  if (unknown) return unknown;
  const read = readId('userId', input.userId);
  if (!read.ok) return read.error;
  const userId = read.id ?? null;
  const anonymousIds = idList(input, 'anonymousIds', 'anonymousId');
  if (typeof anonymousIds === 'string') return anonymousIds;
  const emails = idList(input, 'emails', 'email');
  if (typeof emails === 'string') return emails;
  const mobileIds = mobileIdList(input.mobileIds);
  if (typeof mobileIds === 'string') return mobileIds;
  const profileId = typeof input.profileId === 'string' && input.profileId !== '' ? input.profileId : userId ?? anonymousIds[0] ?? emails[0];
  if (!profileId) return 'a profile needs a profileId, userId, anonymousId or email';
  // Every id a change's message id or calls are made from: one that cannot be stored as it is
  // would make two profiles' rows one.
  const bad =
    idTextProblem('profileId', profileId) ??
    anonymousIds.map((id, i) => idTextProblem(`anonymousIds[${i}]`, id)).find(Boolean) ??
    mobileIds.map((m, i) => idTextProblem(`mobileIds[${i}].id`, m.id)).find(Boolean);
  if (bad) return bad;
  const op = input.op;
  if (op !== undefined && op !== 'enter' && op !== 'exit') return `op must be "enter" or "exit", not ${JSON.stringify(op)}`;
  const profile: RunProfile = { profileId, userId, anonymousIds, emails, mobileIds, ...(op ? { op } : {}), ...('value' in input ? { value: input.value } : {}) };
  if (input.entityContext !== undefined) {
    if (!isObject(input.entityContext)) return 'entityContext must be a JSON object';
    profile.entityContext = input.entityContext;
  }
  if (input.entities !== undefined) {
    const entities = parseEntities(input.entities);
    if (typeof entities === 'string') return entities;
    profile.entities = entities;
  }
  for (const key of ['value', 'entityContext', 'entities', 'journeyContext', 'journeyMetadata'] as const) {
    // A context kept as its text was looked at as it was read (`parseProfileText`): no deeper, no number beyond a double.
    if (input[key] instanceof JsonText) continue;
    const problem = jsonValueProblem(key, input[key]);
    if (problem) return problem;
  }
  if (input.journeyContext !== undefined) profile.journeyContext = input.journeyContext;
  if (input.journeyMetadata !== undefined) profile.journeyMetadata = input.journeyMetadata;
  return profile;
}

/** A linked-audience member's entities: `[{ "id": "cart_1", "context": { … } }]`, ids unique. */
function parseEntities(input: unknown): EntityRecord[] | string {
  if (!Array.isArray(input)) return 'entities must be an array of { "id": "…", "context": { … } }';
  const seen = new Set<string>();
  const out: EntityRecord[] = [];
  for (const [i, e] of input.entries()) {
    if (!isObject(e) || typeof e.id !== 'string' || e.id === '') return `entities[${i}] needs an "id" (a non-empty string)`;
    const unknown = unknownKey(e, ENTITY_KEYS, `entities[${i}]`);
    if (unknown) return unknown;
    if (e.context !== undefined && !isObject(e.context)) return `entities[${i}].context must be a JSON object`;
    const bad = idTextProblem(`entities[${i}].id`, e.id);
    if (bad) return bad;
    if (seen.has(e.id)) return `entities[${i}]: the id ${JSON.stringify(e.id)} is listed twice`;
    seen.add(e.id);
    out.push({ id: e.id, context: (e.context as Record<string, unknown> | undefined) ?? {} });
  }
  return out;
}
