import { describe, expect, it } from 'vitest';
import { utf8Problem } from './utf8.js';

const at = (bytes: number[]) => /byte (\d+) \(0x([0-9A-F]{2})\)/.exec(utf8Problem(Uint8Array.from(bytes)) ?? '')?.slice(1);

describe('utf8Problem', () => {
  it('passes UTF-8 text, of every length of character', () => {
    expect(utf8Problem(Buffer.from('plain, café, €, 😀, U+FFFD itself: \ufffd'))).toBeUndefined();
    expect(utf8Problem(new Uint8Array())).toBeUndefined();
  });

  it('names the first byte that begins no character', () => {
    expect(at([0x61, 0xff])).toEqual(['2', 'FF']);
    // A continuation byte alone; an overlong form of '/'; a surrogate; past U+10FFFF; cut short at the end.
    expect(at([0x61, 0x80])).toEqual(['2', '80']);
    expect(at([0xc0, 0xaf])).toEqual(['1', 'C0']);
    expect(at([0x61, 0x62, 0xed, 0xa0, 0x80])).toEqual(['3', 'ED']);
    expect(at([0xf4, 0x90, 0x80, 0x80])).toEqual(['1', 'F4']);
    expect(at([0x61, 0xe2, 0x82])).toEqual(['2', 'E2']);
    // A sequence broken by a byte that continues nothing: it is the sequence's first byte that is named.
    expect(at([0xc3, 0xa9, 0xe2, 0x41, 0x41])).toEqual(['3', 'E2']);
  });
});
