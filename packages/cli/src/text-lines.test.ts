import { describe, expect, it } from 'vitest';
import { LineTooLong } from '@stowage/core';
import { byteLines } from './text-lines.js';

async function* chunks(...parts: Array<string | Buffer>) {
  for (const part of parts) yield typeof part === 'string' ? Buffer.from(part, 'latin1') : part;
}

const lines = async (...parts: Array<string | Buffer>) => {
  const out: string[] = [];
  for await (const line of byteLines(chunks(...parts))) out.push(line.toString('latin1'));
  return out;
};

describe('byteLines', () => {
  it('ends a line at LF, CRLF or CR, as readline does, wherever the chunks are cut', async () => {
    expect(await lines('a\nb\r\nc\rd')).toEqual(['a', 'b', 'c', 'd']);
    expect(await lines('a\r', '\nb\r', 'c\n')).toEqual(['a', 'b', 'c']);
    expect(await lines('a\r', '', '\nb')).toEqual(['a', 'b']);
    expect(await lines('a\n\n', '\r\nb')).toEqual(['a', '', '', 'b']);
    expect(await lines('')).toEqual([]);
    expect(await lines('a\n')).toEqual(['a']);
  });

  it('joins a line cut across chunks, and keeps its bytes as they are', async () => {
    expect(await lines('{"a":', '"caf\xc3', '\xa9"}\n{"b":\xff}')).toEqual(['{"a":"caf\xc3\xa9"}', '{"b":\xff}']);
    const long = 'x'.repeat(200_000);
    expect(await lines(long.slice(0, 70_000), long.slice(70_000, 140_000), `${long.slice(140_000)}\nend`)).toEqual([long, 'end']);
  });

  it('drops the byte-order mark of the first line only, even cut across chunks', async () => {
    expect(await lines('\xef\xbb', '\xbfa\n\xef\xbb\xbfb')).toEqual(['a', '\xef\xbb\xbfb']);
  });
});

describe('byteLines with a limit', () => {
  const measured = async (keepAtMost: number, ...parts: Array<string | Buffer>) => {
    const out: Array<string | number> = [];
    for await (const line of byteLines(chunks(...parts), keepAtMost)) out.push(line instanceof LineTooLong ? line.byteLength : line.toString('latin1'));
    return out;
  };

  it('measures a line past the limit instead of keeping it, wherever the chunks are cut, and reads on', async () => {
    expect(await measured(4, 'abcd\nabcde\nab', 'cdefg\r\nxy', 'z\n', '0123456789')).toEqual(['abcd', 5, 7, 'xyz', 10]);
    expect(await measured(4, 'a\n', 'bcdef', 'ghij', 'k\r', '\nl')).toEqual(['a', 10, 'l']);
  });

  it('does not count the first line\'s byte-order mark', async () => {
    expect(await measured(4, '\xef\xbb\xbfabcd\n\xef\xbb\xbfabcd')).toEqual(['abcd', 7]);
    expect(await measured(4, '\xef\xbb', '\xbfabcde\nx')).toEqual([5, 'x']);
  });
});
