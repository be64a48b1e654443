import { describe, expect, it } from 'vitest';
import { WriteLane } from './write-lane.js';

const tick = () => new Promise((resolve) => setImmediate(resolve));

/** A task that runs until released, recording when it starts and ends. */
function gate(log: string[], name: string) {
  let release!: () => void;
  const done = new Promise<void>((resolve) => (release = resolve));
  return {
    release,
    task: async () => {
      log.push(`start ${name}`);
      await done;
      log.push(`end ${name}`);
    },
  };
}

describe('WriteLane', () => {
  it('runs tasks in order, one at a time, and lets the submitter run ahead by the depth only', async () => {
    const log: string[] = [];
    const lane = new WriteLane(1);
    const [a, b, c] = [gate(log, 'a'), gate(log, 'b'), gate(log, 'c')];
    await lane.submit(a.task);
    await lane.submit(b.task);
    let thirdAccepted = false;
    const third = lane.submit(c.task).then(() => (thirdAccepted = true));
    await tick();
    // a runs, b waits: c must wait for room.
    expect(log).toEqual(['start a']);
    expect(thirdAccepted).toBe(false);
    a.release();
    await third;
    expect(log).toEqual(['start a', 'end a', 'start b']);
    b.release();
    c.release();
    await lane.settle();
    expect(log).toEqual(['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
  });

  it('keeps the first failure: later tasks do not run, and submit and settle reject with it', async () => {
    const ran: string[] = [];
    const lane = new WriteLane(1);
    await lane.submit(async () => {
      throw new Error('connection lost');
    });
    await lane.submit(async () => void ran.push('second')).catch(() => undefined);
    await expect(lane.settle()).rejects.toThrow('connection lost');
    await expect(lane.submit(async () => void ran.push('third'))).rejects.toThrow('connection lost');
    expect(ran).toEqual([]);
  });
});
