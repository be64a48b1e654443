import { escapeLoneSurrogates, isWellFormed } from '../ids/id-text.js';
import { pointerToken } from './json-pointer.js';

/**
 * Where the configuration holds text no warehouse can store as it is: half of a character (a
 * lone UTF-16 surrogate, `\ud800` in the file), or U+0000, in a name or a value. Names and ids
 * become message ids, schemas, tables and rows, where such text is rewritten (a lone surrogate
 * to U+FFFD): two activations `a\ud800` and `a\udc00` made one message id, and the second's rows
 * were taken for copies of the first's. No value is quoted: it may be a password.
 */
export function brokenTextProblems(config: unknown, path = '', problems: string[] = []): string[] {
  const say = (at: string, what: string) =>
    problems.push(`${at || '/'}: ${what} holds text no warehouse stores as it is (half of a character, a lone UTF-16 surrogate such as \\ud800, or U+0000): write whole characters`);
  if (typeof config === 'string') {
    if (!isWellFormed(config) || config.includes('\u0000')) say(path, 'the value');
  } else if (Array.isArray(config)) {
    config.forEach((v, i) => brokenTextProblems(v, `${path}/${i}`, problems));
  } else if (config && typeof config === 'object') {
    for (const [k, v] of Object.entries(config)) {
      // The path shows such a key escaped (`x\u0000`): as it is, it would not print.
      const at = `${path}/${pointerToken(escapeLoneSurrogates(k).replaceAll('\u0000', '\\u0000'))}`;
      if (!isWellFormed(k) || k.includes('\u0000')) say(at, 'the key');
      brokenTextProblems(v, at, problems);
    }
  }
  return problems;
}
