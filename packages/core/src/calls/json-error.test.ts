import { describe, expect, it } from 'vitest';
import { jsonErrorMessage } from './json-error.js';

const errorOf = (text: string): unknown => {
  try {
    JSON.parse(text);
  } catch (error) {
    return error;
  }
  throw new Error(`${text} parsed`);
};

describe('jsonErrorMessage', () => {
  it('shows the characters a terminal would not, by their escapes', () => {
    expect(jsonErrorMessage(errorOf('{"a":\u0000}'))).toContain("Unexpected token '\\u0000'");
    expect(jsonErrorMessage(errorOf('{"a":\u00a01}'))).toContain("Unexpected token '\\u00a0'");
    expect(jsonErrorMessage(errorOf('{"a":\u200b1}'))).toContain("Unexpected token '\\u200b'");
    expect(jsonErrorMessage(errorOf('{"a":1}x'))).not.toContain('\\u');
  });

  it('names a byte-order mark inside a file as one, as two files joined hold it', () => {
    const message = jsonErrorMessage(errorOf('\ufeff{"type":"identify"}'));
    expect(message).toContain("Unexpected token '\\ufeff'");
    expect(message).toMatch(/\\ufeff is a byte-order mark, which only a file's first bytes may hold: was this file joined from two\?$/);
    expect(message).not.toContain('\ufeff');
    // A mark inside a string, quoted with the text around another fault, is not its cause.
    expect(jsonErrorMessage(errorOf('{"a":"\ufeffx",y}'))).not.toContain('byte-order mark');
  });
});
