import { describe, expect, it } from 'vitest';
import { messageIdOf } from './message-id-of.js';

/** The id read from the line as it sits among others in a buffer, as the log hands it over. */
function idOf(line: string): string {
  const buf = Buffer.from(`{"type":"identify","messageId":"before"}\n${line}\n{"type":"track","messageId":"after"}\n`);
  const start = buf.indexOf(10) + 1;
  return messageIdOf(buf, start, buf.indexOf(10, start));
}

describe('messageIdOf', () => {
  it('reads the id of a call logged type first, message id second, without going past its line', () => {
    expect(idOf('{"type":"track","messageId":"m-1","event":"Signed Up"}')).toBe('m-1');
    expect(idOf('{"type":"identify","messageId":"Café ☕ 𝄞","traits":{}}')).toBe('Café ☕ 𝄞');
  });

  it('parses the line when the id holds an escape, or the call was logged in another order', () => {
    expect(idOf(JSON.stringify({ type: 'identify', messageId: 'a"b\\c\u0001' }))).toBe('a"b\\c\u0001');
    // A nested messageId before the call's own must not be taken for it.
    expect(idOf(JSON.stringify({ traits: { messageId: 'nested' }, type: 'identify', messageId: 'own' }))).toBe('own');
    expect(idOf(JSON.stringify({ type: 'identify', traits: { messageId: 'nested' }, messageId: 'own' }))).toBe('own');
    // A line cut short is not a call: parsing it says so, rather than read a made-up id.
    expect(() => idOf('{"type":"track","messageId":"unterminated')).toThrow(SyntaxError);
  });
});
