// Generates Segment-spec identify/track calls, as an Engage space would send them to a
// warehouse, and writes them as NDJSON. Deterministic (seeded PRNG): the same size always
// produces the same file, so repeated runs and machines compare like with like.
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import { random } from '@stowage/cli';

/** 200,000 profiles for 1,000,000 calls; scaled down proportionally for smaller runs. */
export const CALLS_PER_PROFILE = 5;
/** Share of profiles that have only an anonymousId (no userId: they never reach `users`). */
const ANONYMOUS_SHARE = 0.1;
const SPACE_ID = 'spa_bench';
/** Calls spread over 30 days, so timestamps and run ids vary as in a real space. */
const START_MS = Date.parse('2026-11-01T00:00:00.000Z');
const SPAN_MS = 30 * 24 * 3600 * 1000;
/** Each computation runs hourly: the run id changes every hour. */
const RUN_MS = 3600 * 1000;

/**
 * 20 computations: 10 audiences (boolean membership) and 10 computed traits (integers,
 * non-integral doubles, strings). Doubles always have a fraction so that a column's type is
 * fixed by its first value and never widened: the benchmark measures the steady load path.
 */
export const COMPUTATIONS = [
  ...['high_value_buyers', 'cart_abandoners', 'newsletter_subscribers', 'churn_risk', 'first_time_shoppers', 'vip_members', 'mobile_app_users', 'dormant_90_days', 'frequent_returners', 'holiday_shoppers'].map((key) => ({ key, kind: 'audience' })),
  ...['orders_count', 'sessions_30d', 'days_since_last_order'].map((key) => ({ key, kind: 'trait', value: 'int' })),
  ...['lifetime_value', 'avg_order_value', 'churn_score'].map((key) => ({ key, kind: 'trait', value: 'double' })),
  ...['favorite_category', 'preferred_channel', 'last_product_viewed', 'loyalty_tier'].map((key) => ({ key, kind: 'trait', value: 'string' })),
].map((c) => ({ ...c, id: `${c.kind === 'audience' ? 'aud' : 'trait'}_${c.key}` }));

const STRINGS = {
  favorite_category: ['electronics', 'home & garden', 'books', 'apparel', 'toys'],
  preferred_channel: ['email', 'sms', 'push', 'web'],
  last_product_viewed: ['Café Crème 250g', 'Running Shoes — Size 42', 'USB-C cable (2 m)', 'Desk lamp "Nova"'],
  loyalty_tier: ['bronze', 'silver', 'gold', 'platinum'],
};

/** The demo's seeded PRNG (mulberry32): the same seed, the same data, on every machine. */
const prng = random;

const word = (random) => ((random() * 4294967296) >>> 0).toString(16).padStart(8, '0');

/** UUID-shaped message ids: keys of the dedup anti-join are as long as Segment's. */
function uuid(random) {
  const a = word(random), b = word(random), c = word(random), d = word(random);
  return `${a}-${b.slice(0, 4)}-4${b.slice(5)}-a${c.slice(1, 4)}-${c.slice(4)}${d}`;
}

function traitValue(computation, random) {
  if (computation.value === 'int') return Math.floor(random() * 500);
  if (computation.value === 'double') return Math.floor(random() * 100_000) / 100 + 0.005;
  const values = STRINGS[computation.key];
  return values[Math.floor(random() * values.length)];
}

/** One call: about half identify, half track; the track's event follows the change. */
export function makeCall(i, count, profiles, random) {
  const profile = Math.floor(random() * profiles);
  const computation = COMPUTATIONS[Math.floor(random() * COMPUTATIONS.length)];
  const audience = computation.kind === 'audience';
  const value = audience ? random() < 0.7 : traitValue(computation, random);
  // Calls arrive in time order over the span, with a minute of jitter.
  const originalMs = START_MS + Math.floor((i / count) * SPAN_MS) + Math.floor(random() * 60_000);
  const sentMs = originalMs + Math.floor(random() * 2_000);
  const receivedMs = sentMs + Math.floor(random() * 500);
  // Being anonymous is a property of the profile, not of the call.
  const ids = profile % Math.round(1 / ANONYMOUS_SHARE) === 0 ? { anonymousId: `anon-${profile}` } : { userId: `user-${profile}` };
  const call = {
    type: random() < 0.5 ? 'identify' : 'track',
    messageId: uuid(random),
    ...ids,
  };
  if (call.type === 'identify') {
    call.traits = { [computation.key]: value };
  } else {
    call.event = audience ? (value ? 'Audience Entered' : 'Audience Exited') : 'Trait Computed';
    call.properties = audience ? { audience_key: computation.key, [computation.key]: value } : { trait_key: computation.key, [computation.key]: value };
  }
  call.context = {
    personas: {
      computation_class: audience ? 'audience' : 'trait',
      computation_id: computation.id,
      computation_key: computation.key,
      space_id: SPACE_ID,
      computation_run_id: `run_${computation.key}_${Math.floor(originalMs / RUN_MS)}`,
    },
  };
  call.originalTimestamp = new Date(originalMs).toISOString();
  call.sentAt = new Date(sentMs).toISOString();
  call.receivedAt = new Date(receivedMs).toISOString();
  return call;
}

/**
 * Writes `count` calls to `path` as NDJSON: lines are joined into ~1 MB strings and written
 * with back-pressure, so generation runs at JSON.stringify speed in constant memory.
 */
export async function writeCalls(path, count, seed = 42) {
  const profiles = Math.max(1, Math.round(count / CALLS_PER_PROFILE));
  const random = prng(seed);
  const out = createWriteStream(path);
  let buffer = '';
  let bytes = 0;
  for (let i = 0; i < count; i++) {
    buffer += JSON.stringify(makeCall(i, count, profiles, random)) + '\n';
    if (buffer.length >= 1 << 20) {
      bytes += Buffer.byteLength(buffer);
      if (!out.write(buffer)) await once(out, 'drain');
      buffer = '';
    }
  }
  bytes += Buffer.byteLength(buffer);
  out.end(buffer);
  await finished(out);
  return { calls: count, profiles, bytes };
}
