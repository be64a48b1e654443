import { describe, expect, it } from 'vitest';
import { duckdbLockHolder, HeldTooLongError, waitWhileHeld } from './wait-while-held.js';

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
