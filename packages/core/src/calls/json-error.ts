/**
 * Characters a terminal prints as nothing, a space or an escape sequence: the C0 and C1 controls
 * and DEL, the no-break space, the zero-width and bidirectional marks, the line and paragraph
 * separators, and the byte-order mark.
 */
const UNSEEN = /[\u0000-\u001f\u007f-\u00a0\u200b-\u200f\u2028-\u202e\u2060-\u2064\ufeff]/g;

/**
 * JSON.parse's message, with the characters it quotes from the input made visible: a NUL byte
 * would print as a space (`Unexpected token ' '`), a byte-order mark as nothing at all, pointing
 * at the wrong character or none.
 */
export function jsonErrorMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const visible = message.replace(UNSEEN, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  // Where a file was joined from two (`cat a.ndjson b.ndjson`), the second's mark is inside it;
  // a mark in a string value near the fault is quoted too, and is no cause.
  return message.startsWith("Unexpected token '\ufeff'") ? `${visible}; \\ufeff is a byte-order mark, which only a file's first bytes may hold: was this file joined from two?` : visible;
}
