import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { BusyRetries } from './busy-retries.js';

describe('BusyRetries', () => {
  it("tells the spell's time from its first busy error, the tries' own lock waits included, not the pauses' sum", async () => {
    const busy = new BusyRetries([0, 0]);
    expect(await busy.pause()).toBe(true);
    // A try that waited for the lock as long as the session's lock timeout, then failed again.
    await sleep(1600);
    expect(await busy.pause()).toBe(true);
    expect(await busy.pause()).toBe(false);
    expect(busy.spent(new Error('canceling statement due to lock timeout')).message).toMatch(/^the warehouse stayed busy with other sessions' work through 3 tries over ~2 s \(canceling statement due to lock timeout\)/);
  });
});
