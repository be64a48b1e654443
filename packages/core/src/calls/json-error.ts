/** Control characters (and DEL), which a terminal prints as nothing, a space or an escape sequence. */
const CONTROL = /[\u0000-\u001f\u007f]/g;

/**
 * JSON.parse's message, with the characters it quotes from the input made visible: a NUL byte
 * would print as a space (`Unexpected token ' '`), pointing at the wrong character.
 */
export function jsonErrorMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(CONTROL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
