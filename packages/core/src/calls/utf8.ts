import { isUtf8 } from 'node:buffer';

/**
 * Why bytes are not UTF-8 text, or undefined when they are. Decoded anyway, each byte that is
 * no character's would read as U+FFFD: two ids (or users) that differ only there would become
 * one, and one of the two calls be skipped as a copy of the other. So such text is refused.
 */
export function utf8Problem(bytes: Uint8Array): string | undefined {
  if (isUtf8(bytes)) return undefined;
  const at = firstInvalidByte(bytes);
  const byte = bytes[at]!.toString(16).toUpperCase().padStart(2, '0');
  return `not valid UTF-8: byte ${at + 1} (0x${byte}) begins no character; read anyway it would become U+FFFD, which could make two different ids, or users, one. Save the file as UTF-8`;
}

/** Where the first byte of a sequence that is no UTF-8 character stands (bytes that `isUtf8` refused). */
function firstInvalidByte(b: Uint8Array): number {
  for (let i = 0; i < b.length; ) {
    const c = b[i]!;
    if (c < 0x80) {
      i++;
      continue;
    }
    const more = c >= 0xc2 && c <= 0xdf ? 1 : c >= 0xe0 && c <= 0xef ? 2 : c >= 0xf0 && c <= 0xf4 ? 3 : -1;
    if (more < 0 || i + more >= b.length) return i;
    // The second byte's range excludes overlong forms, surrogates and code points past U+10FFFF.
    const low = c === 0xe0 ? 0xa0 : c === 0xf0 ? 0x90 : 0x80;
    const high = c === 0xed ? 0x9f : c === 0xf4 ? 0x8f : 0xbf;
    if (b[i + 1]! < low || b[i + 1]! > high) return i;
    for (let k = 2; k <= more; k++) if ((b[i + k]! & 0xc0) !== 0x80) return i;
    i += more + 1;
  }
  return 0;
}
