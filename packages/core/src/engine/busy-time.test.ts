import { describe, expect, it } from 'vitest';
import { BusyTime } from './busy-time.js';

describe('BusyTime', () => {
  it('counts overlapping pieces of work once, and gaps not at all', () => {
    const busy = new BusyTime();
    busy.add(0, 100); // the first write, prepared and committed
    busy.add(60, 180); // the second, prepared while the first committed
    busy.add(120, 150); // a third, inside the second
    busy.add(300, 350); // after a pause
    expect(busy.ms).toBe(230);
  });
});
