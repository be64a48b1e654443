/** The text without a leading byte-order mark (U+FEFF), which Windows editors write and JSON.parse refuses. */
export function withoutByteOrderMark(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

const LF = 0x0a;
const CR = 0x0d;
const BYTE_ORDER_MARK = Buffer.from([0xef, 0xbb, 0xbf]);

/**
 * The lines of a file or stream as bytes (LF, CRLF or CR ends a line, as readline reads them),
 * the first without a byte-order mark. Not decoded here: whoever reads a line checks that it is
 * UTF-8 first (`utf8Problem`), where a decoder would turn a stray byte into U+FFFD unseen.
 */
export async function* byteLines(input: AsyncIterable<Buffer | string>): AsyncGenerator<Buffer> {
  // A line longer than a chunk is kept in parts until its end comes, then joined once.
  let parts: Buffer[] = [];
  let first = true;
  let lastWasCr = false;
  const line = (tail: Buffer): Buffer => {
    let whole = parts.length === 0 ? tail : Buffer.concat([...parts, tail]);
    parts = [];
    if (first) {
      first = false;
      if (whole.subarray(0, 3).equals(BYTE_ORDER_MARK)) whole = whole.subarray(3);
    }
    return whole;
  };
  for await (const given of input) {
    const chunk = typeof given === 'string' ? Buffer.from(given) : given;
    // An empty chunk ends nothing, and leaves a CR at the end of the last one waiting for its LF.
    if (chunk.length === 0) continue;
    let start = 0;
    // The LF of a CRLF split between two chunks ends no second line.
    if (lastWasCr && chunk[0] === LF) start = 1;
    lastWasCr = false;
    // Each looked for natively, and again only once passed: a chunk without CR is searched for one once.
    let lf = chunk.indexOf(LF, start);
    let cr = chunk.indexOf(CR, start);
    for (;;) {
      if (lf !== -1 && lf < start) lf = chunk.indexOf(LF, start);
      if (cr !== -1 && cr < start) cr = chunk.indexOf(CR, start);
      let end = lf === -1 ? cr : cr === -1 ? lf : Math.min(lf, cr);
      if (end === -1) break;
      yield line(chunk.subarray(start, end));
      if (chunk[end] === CR) {
        if (end + 1 === chunk.length) lastWasCr = true;
        else if (chunk[end + 1] === LF) end++;
      }
      start = end + 1;
    }
    // The rest is copied: a subarray would keep the whole chunk alive.
    if (start < chunk.length) parts.push(Buffer.from(chunk.subarray(start)));
  }
  if (parts.length > 0) yield line(Buffer.alloc(0));
}
