import { createHash } from 'node:crypto';

/** Eight hex characters that depend only on the input: suffixes for cut names, message ids. */
export function stableHash(input: string, length = 8): string {
  return createHash('sha256').update(input).digest('hex').slice(0, length);
}
