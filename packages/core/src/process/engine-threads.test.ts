import { describe, expect, it } from 'vitest';
import { engineThreads } from './engine-threads.js';

describe('engineThreads', () => {
  it('leaves one core to the JS thread, and never goes below one', () => {
    expect([1, 2, 3, 16].map((cores) => engineThreads(cores))).toEqual([1, 1, 2, 15]);
  });
});
