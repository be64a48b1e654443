import fs, { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TextFile, type TextRef } from './text-file.js';

const dir = mkdtempSync(join(tmpdir(), 'text-file-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('TextFile', () => {
  it('reads back every text, in order and out of it, across its blocks, whatever its size and characters', () => {
    const path = join(dir, 'a.texts');
    const file = new TextFile(path, 0);
    const texts = [
      '{}',
      '{"name":"Café ☕ 𝄞"}',
      // Past the 4 MB block: written on its own.
      JSON.stringify({ big: 'é'.repeat(3 * 1024 * 1024) }),
      ...Array.from({ length: 3000 }, (_, i) => JSON.stringify({ i, pad: 'x'.repeat(i % 5000) })),
    ];
    const refs: TextRef[] = texts.map((t) => file.appendText(t));
    // Some still in the write block, some on disk: read both ways.
    expect(refs.map((r) => file.readText(r))).toEqual(texts);
    for (let k = texts.length - 1; k >= 0; k -= 7) expect(file.readText(refs[k]!)).toBe(texts[k]);
    file.sync();
    expect(statSync(path).size).toBe(file.length);
    expect(file.length).toBe(texts.reduce((n, t) => n + Buffer.byteLength(t), 0));
    // Bytes copied from one file to another land whole.
    const copy = new TextFile(join(dir, 'b.texts'), 0);
    const moved = refs.map((r) => copy.appendBytes(file.readBytes(r)));
    expect(moved.map((r) => copy.readText(r))).toEqual(texts);
    file.close();
    copy.close();
  });

  it('drops what lies past a length: when rolled back, and when opened with the committed length', () => {
    const path = join(dir, 'c.texts');
    let file = new TextFile(path, 0);
    const kept = file.appendText('{"a":1}');
    file.sync();
    file.appendText('{"rolled":"back"}');
    file.truncate(kept.len);
    const next = file.appendText('{"b":2}');
    expect(next.at).toBe(kept.len);
    expect(file.readText(next)).toBe('{"b":2}');
    file.sync();
    file.appendText('{"not":"committed"}');
    file.flush();
    file.close();
    file = new TextFile(path, next.at + next.len);
    expect(file.length).toBe(next.at + next.len);
    expect([file.readText(kept), file.readText(next)]).toEqual(['{"a":1}', '{"b":2}']);
    expect(() => file.readText({ at: file.length, len: 3 })).toThrow(/lies past the end/);
    file.close();
    expect(() => new TextFile(path, 1000)).toThrow(/holds 14 bytes where the profile state counts 1000/);
  });
});

describe('TextFile, when a write fails part-way (a full disk)', () => {
  it('counts the bytes that landed, so that a rollback cuts them and the next text goes where it is said to', () => {
    const path = join(dir, 'full.texts');
    const file = new TextFile(path, 0);
    file.appendText('{"a":1}');
    file.sync();
    const committed = file.length;
    file.appendText('{"b":"lands in part"}');
    const write = fs.writeSync;
    let calls = 0;
    // The first write lands 5 bytes; the next one finds the disk full.
    fs.writeSync = ((fd: number, buffer: Buffer, offset: number) => {
      if (calls++ === 0) return write(fd, buffer, offset, 5);
      throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    }) as typeof fs.writeSync;
    syncBuiltinESMExports();
    try {
      expect(() => file.flush()).toThrow(/ENOSPC/);
    } finally {
      fs.writeSync = write;
      syncBuiltinESMExports();
    }
    expect(statSync(path).size).toBe(committed + 5);
    file.truncate(committed);
    expect(statSync(path).size).toBe(committed);
    const next = file.appendText('{"c":3}');
    file.sync();
    expect(next.at).toBe(committed);
    expect(readFileSync(path, 'utf8')).toBe('{"a":1}{"c":3}');
    file.close();
  });
});
