import { createInterface } from 'node:readline';

/** The text without a leading byte-order mark (U+FEFF), which Windows editors write and JSON.parse refuses. */
export function withoutByteOrderMark(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** The lines of a file or stream, CRLF or LF, the first without a byte-order mark. */
export async function* textLines(input: NodeJS.ReadableStream): AsyncGenerator<string> {
  let first = true;
  for await (const line of createInterface({ input, crlfDelay: Infinity })) {
    yield first ? withoutByteOrderMark(line) : line;
    first = false;
  }
}
