import { hasControlCharacter, quotedText } from '../ids/control-text.js';

/**
 * The scoping rule of Storage Actions: writes go to `<space>.<table>` only. A table name is one
 * plain name; anything a warehouse could read as a qualified name, or as quoting that closes
 * early, is refused rather than normalised, so an attempt to reach another schema is an error
 * the user sees, never a table with a surprising name.
 */
const QUALIFYING = /[.`"'\[\]\\]/;

/** Why `name` cannot be a table (or schema) name of an activation, or undefined when it can. */
export function scopeViolation(name: string): string | undefined {
  if (name.trim() === '') return 'is empty';
  if (name.includes('..')) return `${quotedText(name)} contains ".." and would name another schema`;
  if (QUALIFYING.test(name)) {
    return `${quotedText(name)} contains a dot, a quote, a bracket or a backslash, which a warehouse can read as a schema-qualified or quoted name; name one table of the space's schema (use "schema" for an existing schema)`;
  }
  if (hasControlCharacter(name)) return `${quotedText(name)} contains control characters`;
  return undefined;
}
