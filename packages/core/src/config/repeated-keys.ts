import { decodedKeyAt, eachItem, eachMember, LBRACE, LBRACKET, skipSpace, skipValue } from '../types/json-scan.js';
import { pointerToken } from './json-pointer.js';

/**
 * The JSON Pointer of each key written a second time in its object, anywhere in `text` (valid
 * JSON), in the order written. JSON.parse keeps the last of the two without a word: a warehouse
 * block copied under the same name, or a `schedule` written twice, would leave the other
 * unread, the configuration valid.
 */
export function repeatedKeys(text: string): string[] {
  const found: string[] = [];
  const value = (path: string, at: number): number => {
    const c = text.charCodeAt(at);
    if (c === LBRACKET) return eachItem(text, at, (n, item) => value(`${path}/${n}`, item));
    if (c !== LBRACE) return skipValue(text, at);
    const seen = new Set<string>();
    return eachMember(
      text,
      at,
      (key, member) => {
        const pointer = `${path}/${pointerToken(key)}`;
        if (seen.has(key)) found.push(pointer);
        seen.add(key);
        return value(pointer, member);
      },
      // Read as JSON reads it: "path" and "\u0070ath" are one key.
      decodedKeyAt,
    );
  };
  try {
    value('', skipSpace(text, 0));
  } catch {
    // Nested past the stack (no configuration is): JSON.parse read it, and no key is told twice.
  }
  return found;
}
