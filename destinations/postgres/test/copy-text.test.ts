import { describe, expect, it } from 'vitest';
import { copyTextValue } from '../src/load/copy-text.js';

describe("COPY's text format", () => {
  it('escapes backslashes, newlines, carriage returns and tabs, and marks null', () => {
    expect(copyTextValue('a\\b\nc\rd\te')).toBe('a\\\\b\\nc\\rd\\te');
    expect(copyTextValue('plain')).toBe('plain');
    expect(copyTextValue(null)).toBe('\\N');
    expect(copyTextValue(true)).toBe('t');
  });

  it('escapes a value with tens of millions of backslashes without ending the process', () => {
    // A rejected row's JSON of a context of quotes: each quote escaped once in the context's JSON
    // and again in the row's. A regular expression with a callback gathered every match and
    // ended the process at 64 Mi of them (V8's fatal "invalid size error").
    const value = '\\'.repeat(64 * 1024 * 1024);
    const escaped = copyTextValue(value);
    expect(escaped.length).toBe(value.length * 2);
    expect(escaped.startsWith('\\\\\\\\') && escaped.endsWith('\\\\')).toBe(true);
  });
});
