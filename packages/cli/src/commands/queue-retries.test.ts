import { expect, it } from 'vitest';
import { MOST_RETRY_DELAY_MS, QueueRetries } from './queue-retries.js';

it('retries queued events a first delay after they are seen, then twice as late each time they stay queued, at most hourly', () => {
  const retries = new QueueRetries(60_000);
  expect(retries.isDue('wh', false, 0)).toBe(false);
  expect(retries.isDue('wh', true, 1_000)).toBe(false);
  expect(retries.isDue('wh', true, 60_999)).toBe(false);
  expect(retries.isDue('wh', true, 61_000)).toBe(true);
  let now = 61_000;
  const waits: number[] = [];
  for (let i = 0; i < 8; i++) {
    retries.retried('wh', true, now);
    waits.push(retries.nextAt('wh')! - now);
    now = retries.nextAt('wh')!;
    expect(retries.isDue('wh', true, now - 1)).toBe(false);
    expect(retries.isDue('wh', true, now)).toBe(true);
  }
  expect(waits).toEqual([120_000, 240_000, 480_000, 960_000, 1_920_000, MOST_RETRY_DELAY_MS, MOST_RETRY_DELAY_MS, MOST_RETRY_DELAY_MS]);
  // Another warehouse keeps its own clock.
  expect(retries.isDue('other', true, now)).toBe(false);
});

it('starts over once the queue is written or found empty', () => {
  const retries = new QueueRetries(1_000);
  retries.isDue('wh', true, 0);
  retries.retried('wh', true, 1_000);
  expect(retries.nextAt('wh')).toBe(3_000);
  retries.retried('wh', false, 3_000);
  expect(retries.nextAt('wh')).toBeUndefined();
  expect(retries.isDue('wh', true, 3_500)).toBe(false);
  expect(retries.nextAt('wh')).toBe(4_500);
  // Emptied by another process (a run's own write): nothing to wait for.
  expect(retries.isDue('wh', false, 4_000)).toBe(false);
  expect(retries.nextAt('wh')).toBeUndefined();
});
