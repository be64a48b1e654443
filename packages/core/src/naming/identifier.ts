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
  if (out.length > rules.maxLength) {
    const suffix = `_${stableHash(name)}`;
    out = out.slice(0, rules.maxLength - suffix.length).replace(/_+$/, '') + suffix;
  }
  return out;
}
