import { identify, track } from './harness.js';

const at = (minute: number) => `2026-11-23T10:${String(minute).padStart(2, '0')}:00.000Z`;

/**
 * A first sync into empty tables, in batches of two (`batchSize: 2`): three batches, the second
 * of which sends `a1` again. What it lands, however a destination finds its duplicates: each id
 * once, the first copy. Only the second batch need look for its ids in its tables.
 */
export function firstSyncWithARepeat() {
  return {
    calls: [
      identify('u1', { plan: 'pro' }, { messageId: 'a1', timestamp: at(1) }),
      track('u1', 'Signed Up', { n: 1 }, { messageId: 'a2', timestamp: at(2) }),
      identify('u2', { plan: 'team' }, { messageId: 'a3', timestamp: at(3) }),
      identify('u1', { plan: 'free' }, { messageId: 'a1', timestamp: at(4) }),
      identify('u3', { plan: 'solo' }, { messageId: 'a4', timestamp: at(5) }),
      track('u3', 'Signed Up', { n: 2 }, { messageId: 'a5', timestamp: at(6) }),
    ],
    ids: ['a1', 'a2', 'a3', 'a4', 'a5'],
    record: { status: 'Success', calls: 6, duplicates: 1, rows: { identifies: 3, tracks: 2, signed_up: 2 } },
    identifies: [
      { id: 'a1', plan: 'pro' },
      { id: 'a3', plan: 'team' },
      { id: 'a4', plan: 'solo' },
    ],
  };
}
