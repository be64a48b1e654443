import { escapeLoneSurrogates, isWellFormed } from '../ids/id-text.js';
import { stableHash } from './stable-hash.js';

const cache = new Map<string, string>();
const CACHE_LIMIT = 100_000;

/**
 * Segment's warehouse naming: runs of characters other than ASCII letters and digits become one
 * `_`, words split where lower case meets upper case (and before the last capital of an acronym),
 * everything lower case, leading and trailing `_` dropped. `Café Visits` → `caf_visits`,
 * `2FA Enabled` → `2fa_enabled`, `iOS IDFA` → `i_os_idfa`, `$price` → `price`.
 * A name with nothing left (`$$`, `日本`) becomes `unnamed_<hash>` so that it is never lost. The hash
 * is of the name's UTF-8, and a lone surrogate has none (each would hash as U+FFFD, and `\ud800`
 * and `\udc00` name one column): such a name is hashed with its halves escaped.
 */
export function snakeCase(input: string): string {
  let out = cache.get(input);
  if (out !== undefined) return out;
  out = input
    .replace(/[^A-Za-z0-9]+/g, '_')
    .replace(/([a-z])([A-Z])/g, '$1_$2')
    .replace(/([A-Z])([A-Z][a-z])/g, '$1_$2')
    .toLowerCase()
    .replace(/_+/g, '_')
    .replace(/^_|_$/g, '');
  if (out === '') out = `unnamed_${stableHash(isWellFormed(input) ? input : escapeLoneSurrogates(input))}`;
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(input, out);
  return out;
}
