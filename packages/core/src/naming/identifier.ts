import type { IdentifierRules } from '../contract/dialect.js';
import { stableHash } from './stable-hash.js';

/**
 * Applies a warehouse's identifier rules to a snake_case name: a `_` prefix for reserved words and
 * leading digits where the warehouse needs it, and names over the length limit cut with a stable
 * hash of the whole name so two long names that share a prefix never collide.
 */
export function applyIdentifierRules(name: string, rules: IdentifierRules): string {
  let out = name;
  if (rules.reservedWords.has(out) || (rules.prefixLeadingDigit && /^[0-9]/.test(out))) out = `_${out}`;
  if (out.length > rules.maxLength || readsAsCut(out, rules.maxLength)) {
    const suffix = `_${stableHash(name)}`;
    out = out.slice(0, rules.maxLength - suffix.length).replace(/_+$/, '') + suffix;
  }
  return out;
}

/** A cut name's suffix: `_` and eight hex digits of the whole name's hash. */
const CUT_SUFFIX = /_[0-9a-f]{8}$/;

/**
 * Whether a name that fits reads as another's cut: as long as a cut name is (the limit, or one
 * less where the cut left a `_` at the prefix's end), ending like one. Kept as it is, a trait
 * named `aaa…a_6bd5e503` (63 characters) took the column of the longer name cut to it, and
 * `users` mixed the two; cut too, it gets its own hash.
 */
function readsAsCut(name: string, maxLength: number): boolean {
  return name.length >= maxLength - 1 && CUT_SUFFIX.test(name);
}
