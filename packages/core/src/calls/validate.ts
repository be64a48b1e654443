import { stableHash } from '../naming/stable-hash.js';
import { dateTimeProblem, parseTimestamp } from '../types/timestamp.js';
import { readId } from '../ids/id-text.js';
import { jsonValueProblem } from '../types/json-value.js';
import { parseJsonExactly } from '../types/exact-json.js';
import type { Call } from './call.js';
import { jsonErrorMessage } from './json-error.js';

/** Largest call accepted, serialized; Segment's own limit is 32 KB, we allow headroom for context. */
export const MAX_CALL_BYTES = 512 * 1024;

/** Why a call of `size` bytes (over `limit`) is refused. */
export function tooBig(size: number, limit = MAX_CALL_BYTES): { ok: false; error: string } {
  return { ok: false, error: `the call is ${size} bytes; the limit is ${limit}${limit === MAX_CALL_BYTES ? '' : ' (--max-call-bytes, the library\'s maxCallBytes)'}` };
}

/**
 * A line of input past the largest call, measured but not kept: whoever reads lines as bytes
 * (`stowage ingest`) hands this over instead of holding a line of any size in memory, and
 * `ingestCalls` refuses it by its size as it would the line itself.
 */
export class LineTooLong {
  constructor(readonly byteLength: number) {}
}

export type Accepted = { ok: true; call: Call } | { ok: false; error: string };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Checks a Segment-spec call fed in directly and fills what the pipeline fills: `receivedAt`
 * (now) and `messageId` (a hash of the call, so feeding the same file twice loads it once).
 * Returns a clear error instead of throwing; nothing here can crash on hostile input.
 */
export function acceptCall(input: unknown, receivedAt: string, size?: number, maxBytes = MAX_CALL_BYTES): Accepted {
  if (!isObject(input)) return { ok: false, error: 'a call must be a JSON object' };
  if (size !== undefined && size > maxBytes) return tooBig(size, maxBytes);
  const type = input.type;
  if (type !== 'identify' && type !== 'track') return { ok: false, error: `type must be "identify" or "track", not ${JSON.stringify(type) ?? 'missing'}` };
  const ids = { userId: readId('userId', input.userId), anonymousId: readId('anonymousId', input.anonymousId), messageId: readId('messageId', input.messageId) };
  for (const read of Object.values(ids)) if (!read.ok) return read;
  const [userId, anonymousId, sentId] = [ids.userId, ids.anonymousId, ids.messageId].map((read) => (read.ok ? read.id : undefined));
  if (!userId && !anonymousId) return { ok: false, error: 'a call needs a userId or an anonymousId' };
  if (type === 'track' && (typeof input.event !== 'string' || input.event.trim() === '')) return { ok: false, error: 'a track call needs a non-empty event name' };
  for (const key of ['traits', 'properties', 'context'] as const) {
    if (input[key] !== undefined && input[key] !== null && !isObject(input[key])) return { ok: false, error: `${key} must be an object` };
  }
  // The whole call, not only what is loaded: a call without a messageId is hashed whole.
  const problem = jsonValueProblem('', input);
  if (problem) return { ok: false, error: problem };
  const times: Partial<Record<'timestamp' | 'sentAt' | 'originalTimestamp' | 'receivedAt', string>> = {};
  for (const key of ['timestamp', 'sentAt', 'originalTimestamp', 'receivedAt'] as const) {
    const value = input[key];
    if (value === undefined || value === null) continue;
    const parsed = typeof value === 'string' ? parseTimestamp(value) : undefined;
    if (parsed === undefined) {
      const why = typeof value === 'string' ? dateTimeProblem(value) : undefined;
      return { ok: false, error: `${key} must be an ISO-8601 date-time of the years 0001 to 9999, not ${JSON.stringify(value).slice(0, 60)}${why ? ` (${why})` : ''}` };
    }
    times[key] = parsed;
  }
  // An id that cannot be stored as it is (U+0000 where text cannot hold it, a lone surrogate, an
  // integer past 2^53) was refused above: two calls' ids would be one, and one of them skipped.
  const messageId = sentId ?? `stowage-${stableHash(JSON.stringify(input), 24)}`;
  const call: Call = {
    type,
    messageId,
    ...(userId ? { userId } : {}),
    ...(anonymousId ? { anonymousId } : {}),
    ...(type === 'track' ? { event: input.event as string } : {}),
    ...(isObject(input.traits) ? { traits: input.traits } : {}),
    ...(isObject(input.properties) ? { properties: input.properties } : {}),
    ...(isObject(input.context) ? { context: input.context } : {}),
    ...times,
    receivedAt: times.receivedAt ?? receivedAt,
  };
  return { ok: true, call };
}

/**
 * Parses one NDJSON line into a call, or says why it is not one. `maxBytes`: a larger limit, for
 * calls logged once from runs (which have none) and refused by a warehouse, sent back.
 */
export function acceptLine(line: string, receivedAt: string, maxBytes = MAX_CALL_BYTES): Accepted {
  // Measured before it is parsed: a line far over the limit is refused without being read whole.
  const size = Buffer.byteLength(line);
  if (size > maxBytes) return tooBig(size, maxBytes);
  let parsed: unknown;
  try {
    parsed = parseJsonExactly(line);
  } catch (error) {
    return { ok: false, error: `not valid JSON (${jsonErrorMessage(error)})` };
  }
  return acceptCall(parsed, receivedAt, size, maxBytes);
}
