import type { DuckDBAppender, DuckDBConnection } from '@duckdb/node-api';
import { exactJsonText, HashSet64, jsonValueProblem, parseJsonExactly, idTextProblem, isCanonicalJson, JsonText, wasFoundCanonical, RunFormatError, quickKeyHashes, stableHash, yieldToEventLoop, type RunProfile } from '@stowage/core';
import type { TextFile } from './text-file.js';

/**
 * The staged run. JSON fields are kept as their JSON text: each is serialised once, here, and
 * that text is what the state keeps and the changes carry. A profile's entity context, the
 * widest of them, stays out of DuckDB: its text goes to the run's texts file, and the row holds
 * its place there and its hash (see ContextStore); so do its entities' contexts. A profile's
 * entities are rows of their own (`run_entities`), its row saying whether it listed any.
 */
const RUN_ROWS = `CREATE OR REPLACE TEMP TABLE run_rows (
  seq BIGINT, profile_id VARCHAR, user_id VARCHAR, anonymous_ids VARCHAR, emails VARCHAR, mobile_ids VARCHAR,
  value VARCHAR, op VARCHAR, context_hash VARCHAR, context_at BIGINT, context_len BIGINT,
  lists_entities BOOLEAN, journey_context VARCHAR, journey_metadata VARCHAR)`;

/**
 * A linked audience member's entities, one row each (`seq` its profile's listing). Flat rows
 * appended value by value: as a list of structs in the profile's row, each entity a DuckDB value
 * built in JS, staging 80,000 entities took 0.7 s of 1 s.
 */
const RUN_ENTITIES = `CREATE OR REPLACE TEMP TABLE run_entities (
  seq BIGINT, profile_id VARCHAR, entity_id VARCHAR, context_hash VARCHAR, context_at BIGINT, context_len BIGINT)`;

/** Hex digits of a context's SHA-256 kept to compare it: 128 bits. */
const CONTEXT_HASH_LENGTH = 32;

/** The hash a context text is compared by. */
export const contextHash = (text: string) => stableHash(text, CONTEXT_HASH_LENGTH);

/** Profiles appended between two turns of the event loop (a few milliseconds of work). */
const YIELD_EVERY = 2_000;

function appendText(appender: DuckDBAppender, text: string | null | undefined): void {
  if (text === null || text === undefined) appender.appendNull();
  else appender.appendVarchar(text);
}

/** JSON text, or NULL when the run left the field out. */
const jsonText = (p: RunProfile, field: string, value: unknown, sortKeys = false) => (value === undefined ? null : fieldJson(p, field, value, sortKeys));

/** A profile's entities (ids unique: `shapeProblem`), their contexts' texts to the run's texts file, after the profile's own. */
function appendEntities(appender: DuckDBAppender, texts: TextFile, seq: number, profileId: string, entities: ReadonlyArray<{ id: string; context: string }>): void {
  for (const { id, context } of entities) {
    const { at, len } = texts.appendText(context);
    appender.appendBigInt(BigInt(seq));
    appender.appendVarchar(profileId);
    appender.appendVarchar(id);
    appender.appendVarchar(contextHash(context));
    appender.appendBigInt(BigInt(at));
    appender.appendBigInt(BigInt(len));
    appender.endRow();
  }
}

const isStrings = (v: unknown) => Array.isArray(v) && v.every((x) => typeof x === 'string');
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * A library caller's profile of the wrong shape, said as such: a run file's profiles are read
 * into this shape, a library caller builds it (RunProfile), and a field of the wrong type would
 * otherwise fail deep inside as a TypeError, or be stored as something else.
 */
function shapeProblem(p: RunProfile, seq: number): string | undefined {
  if (!isObject(p)) return `profile ${seq + 1} of the run is not an object`;
  const who = typeof p.profileId === 'string' && p.profileId !== '' ? `profile ${JSON.stringify(p.profileId)}` : `profile ${seq + 1} of the run`;
  if (typeof p.profileId !== 'string' || p.profileId === '') return `${who} has no profileId (a non-empty string; the library takes profiles with every identifier spelled out: profileId, userId, anonymousIds, emails, mobileIds)`;
  if (p.userId !== undefined && p.userId !== null && typeof p.userId !== 'string') return `${who}: userId must be a string or null`;
  for (const key of ['anonymousIds', 'emails'] as const) if (p[key] !== undefined && p[key] !== null && !isStrings(p[key])) return `${who}: ${key} must be an array of strings`;
  if (p.mobileIds !== undefined && p.mobileIds !== null && !(Array.isArray(p.mobileIds) && p.mobileIds.every((m) => isObject(m) && typeof m.id === 'string'))) return `${who}: mobileIds must be an array of { id, type }`;
  // As a run file's: an id of nothing would be sent as a device's advertising id.
  const idless = p.mobileIds?.findIndex((m) => m.id === '') ?? -1;
  if (idless >= 0) return `${who}: mobileIds[${idless}] needs an "id" (a non-empty string)`;
  const typeless = p.mobileIds?.findIndex((m) => m.type !== undefined && m.type !== null && typeof m.type !== 'string') ?? -1;
  if (typeless >= 0) return `${who}: mobileIds[${typeless}].type must be a string`;
  // As a run file's: its calls' message ids are made from the id alone, and which type the warehouse kept would be a guess.
  const twice = p.mobileIds?.findIndex((m, i) => p.mobileIds!.findIndex((o) => o.id === m.id) < i) ?? -1;
  if (twice >= 0) return `${who}: mobileIds[${twice}]: the id ${JSON.stringify(p.mobileIds![twice]!.id)} is listed twice`;
  if (p.entityContext !== undefined && p.entityContext !== null && !isObject(p.entityContext)) return `${who}: entityContext must be an object`;
  // As a run file's: a misspelt exit taken for no op at all would be an entry, the opposite of what was meant.
  if (p.op !== undefined && p.op !== null && p.op !== 'enter' && p.op !== 'exit') return `${who}: op must be "enter" or "exit", not ${typeof p.op === 'string' ? JSON.stringify(p.op) : `a ${typeof p.op}`}`;
  // Written as JSON, a function or a symbol is nothing: the trait's value removed, unasked.
  if (typeof p.value === 'function' || typeof p.value === 'symbol') return `${who}: value must be a JSON value (a string, a number, a boolean, an object, an array or null), not a ${typeof p.value}`;
  if (p.entities !== undefined && p.entities !== null && !Array.isArray(p.entities)) return `${who}: entities must be an array of { id, context }`;
  const entityless = p.entities?.findIndex((e) => !isObject(e) || typeof e.id !== 'string' || e.id === '') ?? -1;
  if (entityless >= 0) return `${who}: entities[${entityless}] needs an "id" (a non-empty string)`;
  const contextless = p.entities?.findIndex((e) => e.context !== undefined && e.context !== null && !isObject(e.context)) ?? -1;
  if (contextless >= 0) return `${who}: entities[${contextless}].context must be an object`;
  if (p.entities && p.entities.length > 1) {
    // As a run file's are: which of two contexts of one entity counts would be a guess.
    const seen = new Set<string>();
    for (const [i, e] of p.entities.entries()) {
      if (seen.has(e.id)) return `${who}: entities[${i}]: the id ${JSON.stringify(e.id)} is listed twice`;
      seen.add(e.id);
    }
  }
  return undefined;
}

/**
 * JSON text of a profile's field, or the run refused naming the profile and the field: a value
 * JSON cannot write (a BigInt, an object that holds itself) failed as a bare TypeError.
 */
function fieldJson(p: RunProfile, field: string, value: unknown, sortKeys = false): string {
  try {
    return exactJsonText(sortKeys ? keysSorted(value) : value);
  } catch (error) {
    // A value nested past the stack's depth is said where the profile is appended (`stageRun`);
    // anything else JSON.stringify meets (a BigInt, a cycle, a getter or a toJSON that throws) is the value's.
    if (error instanceof RangeError && /call stack/i.test(error.message)) throw error;
    throw new RunFormatError(`A profile of the run cannot be staged: profile ${JSON.stringify(p.profileId)}: ${field} cannot be written as JSON (${(error as Error).message.split('\n')[0]}); nothing of this run was applied`);
  }
}

/**
 * A trait's value with every object's keys sorted: its text is what the diff compares, and JSON's
 * objects have no order (`{"a":1,"b":2}` is `{"b":2,"a":1}`); a producer that does not keep key
 * order made a change, a Trait Computed call, of every run. Arrays keep their order, which is
 * part of their value. The sorted objects have no prototype: a key `__proto__` is data.
 */
function keysSorted(value: unknown, within: WeakSet<object> = new WeakSet()): unknown {
  if (value === null || typeof value !== 'object') return value;
  // As JSON.stringify says it, for the caller to be told so (not as a stack overflow).
  if (within.has(value)) throw new TypeError('Converting circular structure to JSON');
  within.add(value);
  try {
    if (Array.isArray(value)) return value.map((item) => keysSorted(item, within));
    // Another kind of object (a Date, a library caller's own class) writes itself: left as it is.
    const prototype = Object.getPrototypeOf(value) as unknown;
    if (prototype !== Object.prototype && prototype !== null) return value;
    const sorted: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
    for (const key of Object.keys(value).sort()) sorted[key] = keysSorted((value as Record<string, unknown>)[key], within);
    return sorted;
  } finally {
    // Ancestors only: one object twice in a value (not inside itself) is no cycle.
    within.delete(value);
  }
}

/**
 * Identifiers go in as text (JSON fields are escaped by JSON.stringify): one the UTF-8 encoding
 * would rewrite is refused, as the run file reader refuses it, before it could merge two profiles.
 */
function checkIdentifiers(p: RunProfile, seq: number): void {
  const shape = shapeProblem(p, seq);
  if (shape) throw new RunFormatError(`A profile of the run cannot be staged: ${shape}; nothing of this run was applied`);
  const bad =
    idTextProblem('profileId', p.profileId) ??
    (p.userId ? idTextProblem('userId', p.userId) : undefined) ??
    p.anonymousIds?.map((id) => idTextProblem('anonymousId', id)).find(Boolean) ??
    p.mobileIds?.map((m) => idTextProblem('mobile id', m.id)).find(Boolean) ??
    p.entities?.map((e) => idTextProblem('entity id', e.id)).find(Boolean);
  if (bad) throw new RunFormatError(`A profile of the run cannot be staged: ${bad}; nothing of this run was applied`);
  // JSON.stringify writes them as null, which for a trait is its removal.
  if (typeof p.value === 'number' && !Number.isFinite(p.value)) {
    throw new RunFormatError(`A profile of the run cannot be staged: profile ${JSON.stringify(p.profileId)} has the value ${p.value}, which is no JSON number (it would be read as null, a removed value); nothing of this run was applied`);
  }
}

/**
 * An entity context's JSON text (`field`: the member's, or one of its entities'). Given as text
 * (`JsonText`: a run file's, or a library caller's) and written as Stowage writes JSON, it is kept
 * as it is: byte for byte what writing its parse would give, so its hash is the same either way;
 * any other text is parsed and written.
 */
function contextText(p: RunProfile, context: object, field = 'entityContext'): string {
  if (!(context instanceof JsonText)) {
    const text = fieldJson(p, field, context) as string | undefined;
    // An object that writes itself as other JSON (a Date as its ISO text, a toJSON giving a
    // string or nothing) is no context: it was written to `entity_context` as a JSON string.
    if (text?.charCodeAt(0) !== 0x7b /* { */) {
      throw new RunFormatError(`A profile of the run cannot be staged: profile ${JSON.stringify(p.profileId)}: ${field} must be an object, and written as JSON it is ${text === undefined ? 'nothing' : `${text.length > 40 ? `${text.slice(0, 40)}…` : text}`}${context instanceof Date ? ' (a Date)' : ''}; nothing of this run was applied`);
    }
    return text;
  }
  // A run file's was looked at as it was read.
  if (wasFoundCanonical(context) || (context.text.charCodeAt(0) === 0x7b /* { */ && isCanonicalJson(context.text))) return context.text;
  let value: unknown;
  try {
    // Read as a run file's is: an integer past 2^53 as its digits, a number beyond a double refused.
    value = parseJsonExactly(context.text);
  } catch (error) {
    throw new RunFormatError(`A profile of the run cannot be staged: profile ${JSON.stringify(p.profileId)}: ${field} is not JSON text (${(error as Error).message}); nothing of this run was applied`);
  }
  const who = `A profile of the run cannot be staged: profile ${JSON.stringify(p.profileId)}`;
  if (!isObject(value)) throw new RunFormatError(`${who}: ${field} must be an object; nothing of this run was applied`);
  const problem = jsonValueProblem(field, value);
  if (problem) throw new RunFormatError(`${who}: ${problem}; nothing of this run was applied`);
  return fieldJson(p, field, value);
}

/**
 * A value or a journey field handed as text (`JsonText`), read as a run file's is: an integer past 2^53 that
 * a double cannot hold as its digits, a number beyond a double refused. Written as JSON.stringify
 * writes the text's parse, such an id was rounded without a word (12345678901234567891 as
 * 12345678901234567168). Any other value as it is.
 */
function exactValue(p: RunProfile, field: string, value: unknown): unknown {
  if (!(value instanceof JsonText)) return value;
  const who = `A profile of the run cannot be staged: profile ${JSON.stringify(p.profileId)}`;
  let parsed: unknown;
  try {
    parsed = parseJsonExactly(value.text);
  } catch (error) {
    throw new RunFormatError(`${who}: ${field} is not JSON text (${(error as Error).message}); nothing of this run was applied`);
  }
  const problem = jsonValueProblem(field, parsed);
  if (problem) throw new RunFormatError(`${who}: ${problem}; nothing of this run was applied`);
  return parsed;
}

function appendContext(appender: DuckDBAppender, texts: TextFile, text: string | undefined): void {
  if (text === undefined) {
    for (let i = 0; i < 3; i++) appender.appendNull();
    return;
  }
  const { at, len } = texts.appendText(text);
  appender.appendVarchar(contextHash(text));
  appender.appendBigInt(BigInt(at));
  appender.appendBigInt(BigInt(len));
}

function appendProfile(appender: DuckDBAppender, entityAppender: DuckDBAppender, texts: TextFile, seq: number, p: RunProfile): void {
  checkIdentifiers(p, seq);
  // Every field's text first: a field refused leaves no row half appended.
  // A caller of the library may leave the lists out: NULL, read back as empty. An empty string
  // counts as no id, as a run file's does: kept, it made calls with no identifier at all (rows
  // of identifies and tracks whose user_id and anonymous_id are both null).
  const anonymousIds = jsonText(p, 'anonymousIds', p.anonymousIds?.filter((id) => id !== ''));
  const emails = jsonText(p, 'emails', p.emails?.filter((email) => email !== ''));
  // Each as a run file's is read: its type "unknown" when left out (`context.device.type` of its calls), no other key.
  const mobileIds = jsonText(p, 'mobileIds', p.mobileIds?.map((m) => ({ id: m.id, type: m.type ?? 'unknown' })));
  const value = p.value === null ? null : jsonText(p, 'value', exactValue(p, 'value', p.value), true);
  const context = p.entityContext ? contextText(p, p.entityContext) : undefined;
  const entities = p.entities?.map((e, i) => ({ id: e.id, context: contextText(p, e.context ?? {}, `entities[${i}].context`) }));
  const journeyContext = jsonText(p, 'journeyContext', exactValue(p, 'journeyContext', p.journeyContext));
  const journeyMetadata = jsonText(p, 'journeyMetadata', exactValue(p, 'journeyMetadata', p.journeyMetadata));
  appender.appendBigInt(BigInt(seq));
  appender.appendVarchar(p.profileId);
  appendText(appender, p.userId === '' ? null : p.userId);
  appendText(appender, anonymousIds);
  appendText(appender, emails);
  appendText(appender, mobileIds);
  appendText(appender, value);
  appendText(appender, p.op);
  appendContext(appender, texts, context);
  appender.appendBoolean(entities !== undefined);
  appendText(appender, journeyContext);
  appendText(appender, journeyMetadata);
  appender.endRow();
  if (entities) appendEntities(entityAppender, texts, seq, p.profileId, entities);
}

/**
 * Bulk-loads a run's profiles into the temp table `run_rows` with DuckDB's Appender, and their
 * entity contexts and their entities' into `texts`, in the order listed (last entry wins for a
 * repeated profile); returns how many
 * profiles the run holds, and how many listings of them repeated one.
 */
export async function stageRun(db: DuckDBConnection, profiles: AsyncIterable<RunProfile[]>, texts: TextFile): Promise<{ profiles: number; repeats: number }> {
  await db.run(RUN_ROWS);
  await db.run(RUN_ENTITIES);
  const appender = await db.createAppender('run_rows', 'main', 'temp');
  const entityAppender = await db.createAppender('run_entities', 'main', 'temp');
  let count = 0;
  // Repeats are rare: spotted here, so that the common run needs no dedupe pass. By 64-bit hash,
  // not by id: a million ids in a Set took ~1 s and ~70 MB; two ids sharing a hash only cost the
  // dedupe, which compares the ids themselves.
  const seen = new HashSet64();
  let repeated = false;
  let chunks = 0;
  try {
    for await (const chunk of profiles) {
      // A caller's likely slip: the profiles themselves (or one profile) for the chunks of them.
      if (!Array.isArray(chunk)) throw new RunFormatError(`The run's profiles must come in chunks: an iterable of arrays of profiles (\`[[p1, p2], [p3]]\`, or an async generator yielding arrays), and chunk ${chunks + 1} is ${chunk === null ? 'null' : typeof chunk === 'object' ? 'an object (a profile, not an array of them?)' : `a ${typeof chunk}`}; nothing of this run was applied`);
      chunks++;
      if (!repeated) repeated = !seen.addWords(quickKeyHashes(chunk.map((p) => String(p?.profileId))));
      for (const p of chunk) {
        try {
          appendProfile(appender, entityAppender, texts, count++, p);
        } catch (error) {
          // JSON.stringify overflows the stack on values nested a few thousand deep (which the run
          // file reader refuses, and a library caller may still pass): say which profile.
          if (error instanceof RangeError && /call stack/i.test(error.message)) throw new RunFormatError(`A profile of the run cannot be staged: profile ${JSON.stringify(p.profileId)} holds a value nested too deep to serialise (${error.message}); nothing of this run was applied`);
          throw error;
        }
        if (count % YIELD_EVERY === 0) await yieldToEventLoop();
      }
    }
    appender.closeSync();
    entityAppender.closeSync();
  } catch (error) {
    // The run is rolled back: what the appenders hold is of no use, and closing may fail on a half row.
    for (const a of [appender, entityAppender]) {
      try {
        a.closeSync();
      } catch {
        // the first error is the one to report
      }
    }
    throw error;
  }
  // The last entry of a repeated profile wins. A window over the whole rows would sort their
  // contexts too (an entity context can be kilobytes): only the narrow key columns are ranked.
  const repeats = repeated ? Number((await db.run('DELETE FROM run_rows WHERE seq NOT IN (SELECT max(seq) FROM run_rows GROUP BY profile_id)')).rowsChanged) : 0;
  if (repeats > 0) await db.run('DELETE FROM run_entities WHERE seq NOT IN (SELECT seq FROM run_rows)');
  return { profiles: count - repeats, repeats };
}
