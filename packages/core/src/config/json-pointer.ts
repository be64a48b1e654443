/** A key as a token of a JSON pointer (RFC 6901): the paths configuration problems are told at. */
export function pointerToken(key: string): string {
  return key.replaceAll('~', '~0').replaceAll('/', '~1');
}
