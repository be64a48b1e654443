import { pointerToken } from './json-pointer.js';

/**
 * The JSON Pointer of each key written a second time in its object, anywhere in `text` (valid
 * JSON), in the order written. JSON.parse keeps the last of the two without a word: a warehouse
 * block copied under the same name, or a `schedule` written twice, would leave the other
 * unread, the configuration valid.
 */
export function repeatedKeys(text: string): string[] {
  const found: string[] = [];
  let i = 0;
  const space = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i]!)) i++;
  };
  const string = (): string => {
    const start = i++;
    while (text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
    // Read as JSON reads it: "path" and "\u0070ath" are one key.
    return JSON.parse(text.slice(start, ++i)) as string;
  };
  const value = (path: string): void => {
    space();
    const open = text[i];
    if (open === '"') return void string();
    if (open !== '{' && open !== '[') {
      while (i < text.length && !',}] \t\n\r'.includes(text[i]!)) i++;
      return;
    }
    i++;
    space();
    const seen = new Set<string>();
    for (let n = 0; text[i] !== (open === '{' ? '}' : ']'); n++) {
      if (open === '{') {
        const key = string();
        const at = `${path}/${pointerToken(key)}`;
        if (seen.has(key)) found.push(at);
        seen.add(key);
        space();
        i++; // the colon
        value(at);
      } else value(`${path}/${n}`);
      space();
      if (text[i] === ',') i++;
      space();
    }
    i++;
  };
  try {
    value('');
  } catch {
    // Nested past the stack (no configuration is): JSON.parse read it, and no key is told twice.
  }
  return found;
}
