import { LineTooLong } from '@stowage/core';

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
 * A line of more than `keepAtMost` bytes is measured, not kept: it comes as `LineTooLong`, so
 * that a file of one endless line takes no more memory than a chunk.
 */
export function byteLines(input: AsyncIterable<Buffer | string>): AsyncGenerator<Buffer>;
export function byteLines(input: AsyncIterable<Buffer | string>, keepAtMost: number): AsyncGenerator<Buffer | LineTooLong>;
export async function* byteLines(input: AsyncIterable<Buffer | string>, keepAtMost = Infinity): AsyncGenerator<Buffer | LineTooLong> {
  // A line longer than a chunk is kept in parts until its end comes, then joined once.
  let parts: Buffer[] = [];
  let kept = 0;
  /** Bytes of the current line once it is past `keepAtMost` (its parts dropped), else -1. */
  let dropped = -1;
  let first = true;
  let lastWasCr = false;
  // The first line may hold 3 bytes more: its byte-order mark, which is no byte of it.
  const fits = (bytes: number) => bytes <= (first ? keepAtMost + 3 : keepAtMost);
  const keep = (part: Buffer, copy: boolean) => {
    if (dropped === -1 && fits(kept + part.length)) {
      parts.push(copy ? Buffer.from(part) : part);
      kept += part.length;
      return;
    }
    if (dropped === -1) {
      const mark = first && Buffer.concat([...parts, part.subarray(0, 3)]).subarray(0, 3).equals(BYTE_ORDER_MARK) ? 3 : 0;
      dropped = kept - mark;
      parts = [];
      kept = 0;
    }
    dropped += part.length;
  };
  const line = (tail: Buffer): Buffer | LineTooLong => {
    if (dropped !== -1 || !fits(kept + tail.length)) {
      keep(tail, false);
      const measured = new LineTooLong(dropped);
      dropped = -1;
      first = false;
      return measured;
    }
    let whole = parts.length === 0 ? tail : Buffer.concat([...parts, tail]);
    parts = [];
    kept = 0;
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
    if (start < chunk.length) keep(chunk.subarray(start), true);
  }
  if (parts.length > 0 || dropped !== -1) yield line(Buffer.alloc(0));
}
