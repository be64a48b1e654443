import { appendFileSync, mkdtempSync, readdirSync, readFileSync, statSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { messageIds } from '../classic/message-ids.js';
import { CallLog } from './call-log.js';
import { withFileLock } from './file-lock.js';

async function readAll(log: CallLog, from = { segment: 0, offset: 0 }, batch = 1000) {
  const out: unknown[] = [];
  for await (const b of log.read(from, batch)) out.push(...b.entries);
  return out;
}

describe('CallLog', () => {
  it('gives a reader its end once an append under way has ended: one that fails takes back its whole lines too', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'log-'));
    const log = new CallLog(dir);
    const kept = await log.append([{ n: 1 }]);
    let release!: () => void;
    let appending!: () => void;
    const begun = new Promise<void>((resolve) => (appending = resolve));
    // An append in another process, its disk full after a whole line and half of the next.
    const held = withFileLock(join(dir, '.append.lock'), 'test', async () => {
      appendFileSync(join(dir, '0000000000.ndjson'), '{"n":2}\n{"n":');
      appending();
      await new Promise<void>((resolve) => (release = resolve));
      truncateSync(join(dir, '0000000000.ndjson'), kept.offset);
    });
    await begun;
    const end = log.settledEnd();
    let told = false;
    void end.then(() => (told = true));
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(told).toBe(false);
    release();
    await held;
    expect(await end).toEqual(kept);
  });

  it('holds a position where it starts or one of its entries ends, and none past its end or inside an entry', async () => {
    const log = new CallLog(mkdtempSync(join(tmpdir(), 'log-')), 64);
    expect(log.holdsPosition({ segment: 0, offset: 0 })).toBe(true);
    // 64-byte segments: each append of these begins a segment of its own.
    await log.append([{ n: 1, p: 'x'.repeat(40) }, { n: 2 }]);
    await log.append([{ n: 3 }]);
    const ends: Array<{ segment: number; offset: number }> = [];
    for await (const b of log.read({ segment: 0, offset: 0 }, 1)) ends.push(b.end);
    expect(ends.length).toBe(3);
    for (const end of ends) expect(log.holdsPosition(end), JSON.stringify(end)).toBe(true);
    const [first, , last] = ends;
    expect(log.holdsPosition({ segment: first!.segment, offset: first!.offset - 1 })).toBe(false);
    expect(log.holdsPosition({ segment: last!.segment, offset: last!.offset + 1 })).toBe(false);
    expect(log.holdsPosition({ segment: last!.segment + 1, offset: 10 })).toBe(false);
  });

  it('says which file and byte hold a line that is not JSON (the log changed outside Stowage)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'log-'));
    const log = new CallLog(dir);
    await log.append([{ n: 1 }]);
    appendFileSync(join(dir, '0000000000.ndjson'), 'NOT JSON\n');
    await log.append([{ n: 2 }]);
    await expect(readAll(log)).rejects.toThrow(`the call log ${join(dir, '0000000000.ndjson')} holds a line that is not JSON at byte 8 (`);
    // So does the pass that reads each line's message id alone (a sync's look for its ids).
    const ids = async () => {
      for await (const lot of messageIds(log, { segment: 0, offset: 0 }, log.end(), 10)) void lot;
    };
    await expect(ids()).rejects.toThrow(`the call log ${join(dir, '0000000000.ndjson')} holds a line that is not JSON at byte 8 (`);
  });

  it('reads the entry that ends at a position: within a segment, at the start of the next, and one longer than its read chunk', async () => {
    const log = new CallLog(mkdtempSync(join(tmpdir(), 'log-')), 150_020);
    expect(log.entryEndingAt({ segment: 0, offset: 0 })).toBeUndefined();
    const long = 'y'.repeat(150_000);
    await log.append([{ n: 1 }, { n: 2, long }]);
    // Past the segment's size: the next append begins segment 1.
    await log.append([{ n: 3 }]);
    const ends: Array<{ segment: number; offset: number }> = [];
    for await (const b of log.read({ segment: 0, offset: 0 }, 1)) ends.push(b.end);
    expect(ends.map((end) => log.entryEndingAt(end))).toEqual([{ n: 1 }, { n: 2, long }, { n: 3 }]);
    expect(ends[2]!.segment).toBe(1);
    // The start of segment 1 is where segment 0's last entry ends.
    expect(log.entryEndingAt({ segment: 1, offset: 0 })).toEqual({ n: 2, long });
    expect(log.entryEndingAt({ segment: 5, offset: 0 })).toBeUndefined();
    expect(log.entryEndingAt({ segment: 0, offset: ends[0]!.offset - 1 })).toBeUndefined();
  });

  it('reads back what was appended, in order, resuming from any batch end', async () => {
    const log = new CallLog(mkdtempSync(join(tmpdir(), 'log-')));
    await log.append([{ n: 1 }, { n: 2 }, { n: 3 }]);
    await log.append([{ n: 4 }]);
    const batches = [];
    for await (const b of log.read({ segment: 0, offset: 0 }, 2)) batches.push(b);
    expect(batches.map((b) => b.entries)).toEqual([[{ n: 1 }, { n: 2 }], [{ n: 3 }, { n: 4 }]]);
    expect(await readAll(log, batches[0]!.end)).toEqual([{ n: 3 }, { n: 4 }]);
  });

  it('reads entries longer than its read buffer, and many across its chunks, each ending where the next begins', async () => {
    const log = new CallLog(mkdtempSync(join(tmpdir(), 'log-')));
    // 3,000 entries of ~200 bytes cross the quarter-megabyte chunks at every place in a line; two of 600 KB and 1.2 MB do not fit one.
    const entries = Array.from({ length: 3000 }, (_, n) => ({ n, p: 'é'.repeat(n % 97) + 'x'.repeat(150) }));
    entries.splice(1000, 0, { n: -1, p: 'y'.repeat(600_000) });
    entries.splice(2000, 0, { n: -2, p: 'z'.repeat(1_200_000) });
    await log.append(entries);
    const ends = [];
    const read = [];
    for await (const b of log.read({ segment: 0, offset: 0 }, 7)) {
      read.push(...b.entries);
      ends.push(b.end);
    }
    expect(read).toEqual(entries);
    // Every batch end is where a line ends: reading on from it gives the rest, exactly.
    for (const batch of [140, 143, 286]) expect(await readAll(log, ends[batch])).toEqual(entries.slice((batch + 1) * 7));
    expect(ends.at(-1)).toEqual(log.end());
  });

  it('closes a batch early once its entries take batchBytes of the log, and resumes after it', async () => {
    const log = new CallLog(mkdtempSync(join(tmpdir(), 'log-')));
    // Lines of 15 bytes (`{"n":1,"p":""}` and the newline) and one of ~1,000.
    const small = (n: number) => ({ n, p: '' });
    await log.append([small(1), small(2), { n: 3, p: 'x'.repeat(1000) }, small(4), small(5), small(6)]);
    const batches = [];
    for await (const b of log.read({ segment: 0, offset: 0 }, 1000, 40)) batches.push(b.entries.map((e) => (e as { n: number }).n));
    // 1 and 2 (30 bytes) stay under 40; the wide entry closes their batch; 4, 5 and 6 (45) the next.
    expect(batches).toEqual([[1, 2, 3], [4, 5, 6]]);
    expect(await readAll(log, { segment: 0, offset: 0 })).toHaveLength(6);
  });

  it('rolls over to a new segment when one is full, and prunes loaded segments', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'log-'));
    const log = new CallLog(dir, 64);
    for (let n = 0; n < 10; n++) await log.append([{ n, pad: 'x'.repeat(20) }]);
    expect(readdirSync(dir).filter((f) => f.endsWith('.ndjson')).length).toBeGreaterThan(1);
    expect((await readAll(log)).length).toBe(10);
    const end = log.end();
    expect(log.prune(end)).toBeGreaterThan(0);
    expect(await readAll(log, end)).toEqual([]);
  });

  it('cuts a torn tail left by a crash mid-append instead of corrupting the next entry', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'log-'));
    const log = new CallLog(dir);
    const first = await log.append([{ n: 1 }]);
    appendFileSync(join(dir, '0000000000.ndjson'), '{"n":2,"tor');
    expect(await readAll(log)).toEqual([{ n: 1 }]);
    // Its end is the last whole entry's: a queue read to there holds nothing more (a torn tail
    // taken for events had serve write the queue, finding nothing, every minute).
    expect(log.end()).toEqual(first);
    await log.append([{ n: 3 }]);
    expect(await readAll(log)).toEqual([{ n: 1 }, { n: 3 }]);
    expect(log.end()).toEqual({ segment: 0, offset: first.offset + '{"n":3}\n'.length });
    // What was cut is kept beside the segment, not lost without a trace.
    expect(readFileSync(join(dir, `0000000000.ndjson.cut-${first.offset}`), 'utf8')).toBe('{"n":2,"tor');
    // A second crash at the same place keeps its own.
    const segment = join(dir, '0000000000.ndjson');
    const at = statSync(segment).size;
    appendFileSync(segment, '{"n":5');
    await log.append([{ n: 6 }]);
    truncateSync(segment, at);
    appendFileSync(segment, '{"n":7');
    await log.append([{ n: 8 }]);
    expect(readFileSync(join(dir, `0000000000.ndjson.cut-${at}-1`), 'utf8')).toBe('{"n":7');
    const cuts = () => readdirSync(dir).filter((f) => f.includes('.cut-')).sort();
    expect(cuts()).toEqual([`0000000000.ndjson.cut-${at}`, `0000000000.ndjson.cut-${at}-1`, `0000000000.ndjson.cut-${first.offset}`].sort());
    // Kept as long as its segment is: pruned with it, and not before.
    const small = new CallLog(dir, 16);
    await small.append([{ n: 9 }]);
    const last = small.end().segment;
    appendFileSync(join(dir, `${String(last).padStart(10, '0')}.ndjson`), '{"n":10');
    await small.append([{ n: 11 }]);
    small.prune({ segment: last, offset: 0 });
    expect(cuts()).toEqual([expect.stringMatching(new RegExp(`^${String(last).padStart(10, '0')}\\.ndjson\\.cut-`))]);
    small.prune(small.end());
    expect(cuts()).toEqual([]);
  });

  // An editor that drops a file's final newline, or a crash between an entry and its newline:
  // the entry is whole, and was cut (lost) by the next append.
  it('keeps a whole last entry whose newline is missing, and loads it once the next append ends its line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'log-'));
    const log = new CallLog(dir);
    await log.append([{ n: 1 }, { n: 2 }]);
    const segment = join(dir, '0000000000.ndjson');
    truncateSync(segment, statSync(segment).size - 1);
    await log.append([{ n: 3 }]);
    expect(await readAll(log)).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
    expect(readFileSync(segment, 'utf8')).toBe('{"n":1}\n{"n":2}\n{"n":3}\n');
    expect(readdirSync(dir).filter((f) => f.includes('.cut-'))).toEqual([]);
  });

  it('takes back what an append wrote before its write failed (a full disk): none of its entries is logged, whole lines included', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'log-'));
    const log = new CallLog(dir);
    const first = await log.append([{ n: 1 }]);
    process.env.STOWAGE_FAILPOINT = 'log:append-fails-midway';
    try {
      // Half of four entries written: two of them whole.
      await expect(log.append([{ n: 2 }, { n: 3 }, { n: 4 }, { n: 5 }])).rejects.toThrow('ENOSPC');
    } finally {
      delete process.env.STOWAGE_FAILPOINT;
    }
    expect(statSync(join(dir, '0000000000.ndjson')).size).toBe(first.offset);
    expect(await readAll(log)).toEqual([{ n: 1 }]);
    await log.append([{ n: 6 }]);
    expect(await readAll(log)).toEqual([{ n: 1 }, { n: 6 }]);
  });
});
