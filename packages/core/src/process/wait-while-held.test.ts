import { mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { duckdbLockHolder, HeldTooLongError, waitWhileHeld } from './wait-while-held.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));
const queueDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'waiting-'));
  dirs.push(dir);
  return join(dir, 'waiting');
};

/** A file one holder at a time may keep, as DuckDB's lock: `take` refuses while it is kept, naming the holder. */
function lock() {
  let holder: string | undefined;
  const order: string[] = [];
  return {
    order,
    hold: (who: string) => (holder = who),
    release: () => (holder = undefined),
    take: (who: string) => async () => {
      if (holder !== undefined) throw new Error(`Could not set lock on file: Conflicting lock is held (PID ${holder})`);
      holder = who;
      order.push(who);
      return who;
    },
  };
}

/**
 * An open refused while the listed holders keep the file, each for `each` attempts, then
 * granted; on a clock of its own that moves `poll` ms a pause.
 */
function scripted(holders: Array<string | undefined>, each: number) {
  let clock = 0;
  let attempts = 0;
  const told: Array<string | undefined> = [];
  const open = async () => {
    const holder = holders[Math.floor(attempts++ / each)];
    if (attempts > holders.length * each) return 'opened';
    throw Object.assign(new Error(`Could not set lock: held (PID ${holder ?? '?'})`), { holder });
  };
  const heldBy = (error: unknown) => {
    if (!(error instanceof Error) || !/lock/.test(error.message)) return undefined;
    return (error as Error & { holder?: string }).holder ?? '';
  };
  const options = { timeoutMs: 1_000, pollMs: 100, now: () => clock, sleep: async (ms: number) => (clock += ms), onWait: (h: string | undefined) => told.push(h) };
  return { open, heldBy, options, told, elapsed: () => clock };
}

/** A file held by process 4242, and a queue folder for its waiters. */
function heldInQueue() {
  const file = lock();
  file.hold('4242');
  return { queue: queueDir(), file };
}

describe('waiting for a file another process holds', () => {
  it('goes on past the timeout while the file passes from one holder to the next, and says who holds it each time', async () => {
    // Five holders of 0.8 s each: 4 s of waiting, with a timeout of 1 s a holder.
    const s = scripted(['11', '12', '13', '14', '15'], 8);
    await expect(waitWhileHeld(s.open, s.heldBy, s.options)).resolves.toBe('opened');
    expect(s.elapsed()).toBeGreaterThan(s.options.timeoutMs * 3);
    expect(s.told).toEqual(['11', '12', '13', '14', '15']);
  });

  it('gives up once one holder keeps the file past the timeout, naming it and both durations', async () => {
    const s = scripted(['11', '12', '12', '12'], 8);
    const error = await waitWhileHeld(s.open, s.heldBy, s.options).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HeldTooLongError);
    expect(error).toMatchObject({ holder: '12', heldMs: 1_100, waitedMs: 1_900 });
    expect((error as Error).message).toMatch(/PID 12/);
  });

  it('takes a refusal that names no holder for the one before it', async () => {
    const s = scripted(['11', undefined, undefined], 5);
    const error = await waitWhileHeld(s.open, s.heldBy, s.options).catch((e: unknown) => e);
    expect(error).toMatchObject({ holder: '11', heldMs: 1_100 });
    expect(s.told).toEqual(['11']);
  });

  it('gives up after twenty timeouts in all, however often the holder changes', async () => {
    const s = scripted(Array.from({ length: 100 }, (_, i) => String(i % 2)), 5);
    const error = await waitWhileHeld(s.open, s.heldBy, s.options).catch((e: unknown) => e);
    expect(error).toMatchObject({ waitedMs: 20_100 });
  });

  it('gives up after its time in all where one is given (a quick look), however often the holder changes', async () => {
    const s = scripted(Array.from({ length: 100 }, (_, i) => String(i % 2)), 5);
    const error = await waitWhileHeld(s.open, s.heldBy, { ...s.options, inAllMs: 2_000 }).catch((e: unknown) => e);
    expect(error).toMatchObject({ waitedMs: 2_100 });
  });

  it("tells DuckDB's refusal for want of the file's lock from any other error, a corrupt file's included", () => {
    expect(duckdbLockHolder(new Error('IO Error: Could not set lock on file "/srv/s.duckdb": Conflicting lock is held in /usr/bin/node (PID 4242) by user me.'))).toBe('4242');
    expect(duckdbLockHolder(new Error('IO Error: Could not set lock on file "/srv/s.duckdb": Resource temporarily unavailable'))).toBe('');
    expect(duckdbLockHolder(new Error('IO Error: Corrupt database file: computed checksum 123 does not match stored checksum 456 in block at location 12288'))).toBeUndefined();
    expect(duckdbLockHolder(new Error('not a valid DuckDB database file'))).toBeUndefined();
  });

  it('lets waiters take the file in the order they came, whoever tries first once it is let go', async () => {
    const queue = queueDir();
    const file = lock();
    file.hold('run0');
    const wait = (who: string) => waitWhileHeld(file.take(who), duckdbLockHolder, { timeoutMs: 10_000, pollMs: 40, queue });
    // Each tries every 40 ms from when it came: the newest is the first to try after the release.
    const first = wait('run1');
    await sleep(15);
    const second = wait('run2');
    await sleep(15);
    const third = wait('run3');
    await sleep(100);
    file.release();
    await first;
    file.release();
    await second;
    file.release();
    await third;
    expect(file.order).toEqual(['run1', 'run2', 'run3']);
    // Every waiter's ticket is gone with it.
    expect(readdirSync(queue).filter((name) => name.endsWith('.wait'))).toEqual([]);
  });

  it('keeps the order of arrival when the first refusal of the one that came first takes longer', async () => {
    const { queue, file } = heldInQueue();
    // A first open that takes a while to be refused (a process's first DuckDB open), then quick ones.
    const slowFirst = (who: string, ms: number) => {
      const take = file.take(who);
      let tries = 0;
      return async () => {
        if (tries++ === 0) await sleep(ms);
        return take();
      };
    };
    const first = waitWhileHeld(slowFirst('a', 60), duckdbLockHolder, { timeoutMs: 10_000, pollMs: 10, queue });
    await sleep(10);
    const second = waitWhileHeld(slowFirst('b', 0), duckdbLockHolder, { timeoutMs: 10_000, pollMs: 10, queue });
    await sleep(150);
    file.release();
    await first;
    file.release();
    await second;
    expect(file.order).toEqual(['a', 'b']);
  });

  it('lets go of the file it opened to a waiter that came before it and joined the line meanwhile', async () => {
    const queue = queueDir();
    const file = lock();
    const released: string[] = [];
    const release = (who: string) => {
      released.push(who);
      file.release();
    };
    // Its lock taken at once, the open goes on a while (DuckDB replaying its log, say).
    const slowOpen = (who: string) => {
      const take = file.take(who);
      return async () => {
        const taken = await take();
        await sleep(80);
        return taken;
      };
    };
    const now = Date.now();
    const late = waitWhileHeld(slowOpen('late'), duckdbLockHolder, { timeoutMs: 10_000, pollMs: 10, queue, arrivedAt: now, release });
    await sleep(20);
    // Its command started a second earlier, and took longer to get here.
    const early = waitWhileHeld(file.take('early'), duckdbLockHolder, { timeoutMs: 10_000, pollMs: 10, queue, arrivedAt: now - 1_000, release });
    const first = await Promise.race([early.then(() => 'early'), late.then(() => 'late')]);
    file.release();
    await Promise.all([early, late]);
    expect(first).toBe('early');
    expect(released).toEqual(['late']);
    expect(file.order).toEqual(['late', 'early', 'late']);
  });

  it('gives up behind other waiters once its time in all is spent, saying how many were ahead', async () => {
    const { queue, file } = heldInQueue();
    const ahead = waitWhileHeld(file.take('a'), duckdbLockHolder, { timeoutMs: 10_000, pollMs: 10, queue }).catch((e: unknown) => e);
    await sleep(30);
    const behind = await waitWhileHeld(file.take('b'), duckdbLockHolder, { timeoutMs: 10_000, inAllMs: 200, pollMs: 10, queue }).catch((e: unknown) => e);
    expect(behind).toBeInstanceOf(HeldTooLongError);
    expect(behind).toMatchObject({ ahead: 1, holder: undefined });
    file.release();
    await ahead;
    expect(file.order).toEqual(['a']);
  });

  it("skips the tickets of waiters gone (a pid no process has, a ticket untouched for ten seconds), and removes them", async () => {
    const queue = queueDir();
    const file = lock();
    mkdirSync(queue);
    // Both came before this waiter: ahead of it.
    const dead = `${String(Date.now() - 1_000).padStart(15, '0')}-0999999999-0000abcd.wait`;
    const frozen = `${String(Date.now() - 1_000).padStart(15, '0')}-${String(process.pid).padStart(10, '0')}-0000abce.wait`;
    writeFileSync(join(queue, dead), '');
    writeFileSync(join(queue, frozen), '');
    const old = new Date(Date.now() - 60_000);
    utimesSync(join(queue, frozen), old, old);
    await expect(waitWhileHeld(file.take('b'), duckdbLockHolder, { timeoutMs: 1_000, pollMs: 10, queue })).resolves.toBe('b');
    expect(readdirSync(queue).filter((name) => name.endsWith('.wait'))).toEqual([]);
  });

  it('goes on while the line moves, and gives up with the first in line where the holder keeps the file', async () => {
    const { queue, file } = heldInQueue();
    // Handed from waiter to waiter, each keeping it 150 ms: the last waits far past its timeout of 300 ms.
    const keep = (who: string) => waitWhileHeld(file.take(who), duckdbLockHolder, { timeoutMs: 300, pollMs: 10, queue }).then(async (got) => {
      await sleep(150);
      file.release();
      return got;
    });
    const waiters: Array<Promise<string>> = [];
    for (const who of ['w1', 'w2', 'w3', 'w4']) {
      waiters.push(keep(who));
      await sleep(5);
    }
    await sleep(100);
    file.release();
    await Promise.all(waiters);
    expect(file.order).toEqual(['w1', 'w2', 'w3', 'w4']);
    // A holder that keeps the file: the one behind gives up with the first in line, not a timeout
    // after it (which left the oldest command alone failed, its run refused for good behind newer ones).
    file.hold('4242');
    const told: Array<[string | undefined, number | undefined]> = [];
    const first = waitWhileHeld(file.take('run1'), duckdbLockHolder, { timeoutMs: 1_000, pollMs: 20, queue }).catch((e: unknown) => e);
    await sleep(30);
    const behind = waitWhileHeld(file.take('run2'), duckdbLockHolder, { timeoutMs: 1_000, pollMs: 20, queue, onWait: (h, n) => told.push([h, n]) }).catch((e: unknown) => e);
    expect(await first).toBeInstanceOf(HeldTooLongError);
    const error = await behind;
    expect(error).toBeInstanceOf(HeldTooLongError);
    expect((error as HeldTooLongError).waitedMs).toBeLessThan(1_600);
    expect(told[0]).toEqual([undefined, 1]);
    expect(file.order).toEqual(['w1', 'w2', 'w3', 'w4']);
  });

  it('gives up with a waiter ahead that gave up, rather than take the file over it once it is let go', async () => {
    const { queue, file } = heldInQueue();
    const first = waitWhileHeld(file.take('run1'), duckdbLockHolder, { timeoutMs: 300, pollMs: 10, queue }).catch((e: unknown) => e);
    await sleep(100);
    const second = waitWhileHeld(file.take('run2'), duckdbLockHolder, { timeoutMs: 300, pollMs: 10, queue }).catch((e: unknown) => e);
    // Let go after the first gave up, before the second's own timeout.
    expect(await first).toBeInstanceOf(HeldTooLongError);
    await sleep(20);
    file.release();
    const error = await second;
    expect(error).toBeInstanceOf(HeldTooLongError);
    expect(error).toMatchObject({ ahead: 1 });
    expect(file.order).toEqual([]);
    // A newcomer is not held to it: it came after.
    await expect(waitWhileHeld(file.take('run3'), duckdbLockHolder, { timeoutMs: 300, pollMs: 10, queue })).resolves.toBe('run3');
  });

  it('goes on behind a quick look (a time in all of its own) that gives up', async () => {
    const { queue, file } = heldInQueue();
    const look = waitWhileHeld(file.take('check'), duckdbLockHolder, { timeoutMs: 100, inAllMs: 100, pollMs: 10, queue }).catch((e: unknown) => e);
    await sleep(20);
    const run = waitWhileHeld(file.take('run'), duckdbLockHolder, { timeoutMs: 5_000, pollMs: 10, queue });
    expect(await look).toBeInstanceOf(HeldTooLongError);
    await sleep(50);
    file.release();
    await expect(run).resolves.toBe('run');
  });

  it('waits unordered where no ticket can be made (a queue folder that cannot be), and still gets the file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'waiting-'));
    dirs.push(dir);
    writeFileSync(join(dir, 'a-file'), '');
    const file = lock();
    file.hold('4242');
    const waiting = waitWhileHeld(file.take('run1'), duckdbLockHolder, { timeoutMs: 5_000, pollMs: 10, queue: join(dir, 'a-file', 'waiting') });
    await sleep(50);
    file.release();
    await expect(waiting).resolves.toBe('run1');
  });

  it('throws any other error at once', async () => {
    let attempts = 0;
    const open = async () => {
      attempts++;
      throw new Error('not a valid DuckDB database file');
    };
    await expect(waitWhileHeld(open, () => undefined, { timeoutMs: 1_000, sleep: async () => undefined })).rejects.toThrow('not a valid');
    expect(attempts).toBe(1);
  });
});
