import { seededRandom, type RunProfile } from '@stowage/core';

/** The demo's generator: the same seed lands the same tables every time. */
export const random = seededRandom;

export interface SampleComputation {
  key: string;
  type: 'audience' | 'trait';
  settings?: Record<string, unknown>;
  /** A computed trait's declared column type (`valueType`). */
  valueType?: 'double';
  /** Membership (audiences) or value (traits) of profile n in run r (0 or 1); undefined = none. */
  value: (n: number, run: number, rnd: () => number) => unknown;
}

const CATEGORIES = ['shoes', 'outerwear', 'accessories', 'home', 'beauty'];

/** The demo's space: audiences and computed traits of a small shop, with u123 as in the spec. */
export const SAMPLE_COMPUTATIONS: SampleComputation[] = [
  { key: 'first_time_shopper', type: 'audience', value: (n, run, rnd) => (n === 123 ? true : rnd() < (run === 0 ? 0.3 : 0.25)) },
  { key: 'high_value_customers', type: 'audience', settings: { includeAnonymous: true }, value: (_n, run, rnd) => rnd() < 0.1 + run * 0.02 },
  { key: 'cart_abandoners', type: 'audience', settings: { includeMobileIds: true, identify: false }, value: (_n, _run, rnd) => rnd() < 0.15 },
  { key: 'total_revenue_180_days', type: 'trait', valueType: 'double', value: (n, run, rnd) => (n === 123 ? 450 : rnd() < 0.6 ? Math.round(rnd() * 200000) / 100 + run * (rnd() < 0.3 ? 25.25 : 0) : undefined) },
  { key: 'orders_count_90_days', type: 'trait', settings: { track: false }, value: (_n, run, rnd) => (rnd() < 0.7 ? Math.floor(rnd() * 12) + (run && rnd() < 0.2 ? 1 : 0) : undefined) },
  { key: 'favorite_category', type: 'trait', settings: { track: false }, value: (_n, run, rnd) => CATEGORIES[Math.floor(rnd() * CATEGORIES.length + (run ? rnd() * 0.3 : 0)) % CATEGORIES.length] },
  { key: 'last_order_at', type: 'trait', settings: { track: false }, value: (n, run, rnd) => (rnd() < 0.5 ? new Date(Date.UTC(2026, 10, 1 + ((n + run * 3) % 20), Math.floor(rnd() * 24))).toISOString() : undefined) },
];

/** Profile n of the sample: most have a userId; one in six is anonymous, some have mobile ids. */
export function sampleProfile(n: number): RunProfile {
  const anonymous = n % 6 === 5;
  return {
    profileId: `prof_${n}`,
    userId: anonymous ? null : `u${n}`,
    anonymousIds: [`anon_${n}`],
    emails: anonymous ? [] : [`user${n}@example.com`],
    mobileIds: n % 4 === 0 ? [{ id: `idfa-${String(n).padStart(8, '0')}`, type: 'ios' }] : [],
  };
}

/** The profiles of one run of one computation (an audience snapshot lists its members only). */
export function sampleRun(c: SampleComputation, run: number, profiles: number): RunProfile[] {
  const out: RunProfile[] = [];
  for (let n = 1; n <= profiles; n++) {
    const rnd = random(n * 7919 + c.key.length * 104729 + run * 15485863);
    const value = c.value(n, run, rnd);
    if (value === undefined || value === false) continue;
    out.push(c.type === 'audience' ? sampleProfile(n) : { ...sampleProfile(n), value });
  }
  return out;
}

/** The demo's linked audience and journey step, written through activations (Storage Actions). */
export const SAMPLE_ACTIVATED = {
  linkedAudience: 'abandoned_carts',
  journeyStep: 'welcome_step_2',
};

const PRODUCTS = ['Trail Runner 2', 'Rain Shell', 'Wool Beanie', 'Camp Mug', 'Lip Balm', 'Day Pack'];

/** A cart of profile n in run r: a few items with prices, deterministic. */
function cart(n: number, id: number, rnd: () => number): Record<string, unknown> {
  const items = Array.from({ length: 1 + Math.floor(rnd() * 3) }, () => {
    const product = PRODUCTS[Math.floor(rnd() * PRODUCTS.length)]!;
    return { sku: product.toLowerCase().replace(/ /g, '-'), name: product, price: Math.round(rnd() * 12000) / 100, quantity: 1 + Math.floor(rnd() * 2) };
  });
  const total = Math.round(items.reduce((sum, i) => sum + (i.price as number) * (i.quantity as number), 0) * 100) / 100;
  return { cart_id: `cart_${n}_${id}`, total, currency: 'USD', items };
}

/**
 * A run of the linked audience: profiles with an open cart are members; each member's carts are
 * its entities, and its entity context is its newest cart. Between the runs some members leave,
 * some join, and some open a second cart or check one out, so that every kind of row appears.
 */
export function sampleLinkedRun(run: number, profiles: number): RunProfile[] {
  const out: RunProfile[] = [];
  for (let n = 1; n <= profiles; n++) {
    const rnd = random(n * 31337 + run * 7777777);
    const member = run === 0 ? n % 7 === 1 || n % 7 === 3 : n % 7 === 1 || n % 7 === 5 || n % 14 === 3;
    if (!member) continue;
    const carts = [cart(n, 1, random(n * 31337))];
    if (run === 1 && n % 14 === 1) carts.push(cart(n, 2, rnd));
    if (run === 1 && n % 28 === 15) carts.shift();
    if (carts.length === 0) carts.push(cart(n, 3, rnd));
    out.push({ ...sampleProfile(n), entityContext: carts.at(-1)!, entities: carts.map((c) => ({ id: c.cart_id as string, context: c })) });
  }
  return out;
}

/** A run of a journey step: the profiles that reached the step since the last run, with the journey's context. */
export function sampleJourneyRun(run: number, profiles: number): RunProfile[] {
  const out: RunProfile[] = [];
  for (let n = 1; n <= profiles; n++) {
    if (n % 9 !== run) continue;
    out.push({
      ...sampleProfile(n),
      journeyContext: { welcome_email: { opened: n % 2 === 0, clicked: n % 4 === 0 }, entered_journey_at: new Date(Date.UTC(2026, 10, 20 + run)).toISOString() },
      journeyMetadata: { journey_id: 'jou_welcome', journey_name: 'Welcome series', step_id: 'step_2', step_name: 'Second email', epoch: run + 1 },
    });
  }
  return out;
}
