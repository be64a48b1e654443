/**
 * The message id of a logged call, read from its line without parsing the whole call. Stowage
 * logs every call with `type` first and `messageId` second (`{"type":"track","messageId":"…`),
 * so the id is the JSON string after that prefix; an id with an escape in it, or a line written
 * in another order, is read by parsing the line.
 */
const TYPE = Buffer.from('{"type":"');
const MESSAGE_ID = Buffer.from('","messageId":"');
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

export function messageIdOf(buf: Buffer, start: number, end: number): string {
  const quick = quickId(buf, start, end);
  return quick ?? (JSON.parse(buf.toString('utf8', start, end)) as { messageId: string }).messageId;
}

function quickId(buf: Buffer, start: number, end: number): string | undefined {
  if (!startsAt(buf, start, end, TYPE)) return undefined;
  // The type is `identify` or `track`: its value holds no quote or escape.
  let i = start + TYPE.length;
  while (i < end && buf[i] !== QUOTE && buf[i] !== BACKSLASH) i++;
  if (!startsAt(buf, i, end, MESSAGE_ID)) return undefined;
  const from = i + MESSAGE_ID.length;
  for (let j = from; j < end; j++) {
    if (buf[j] === QUOTE) return buf.toString('utf8', from, j);
    if (buf[j] === BACKSLASH) return undefined;
  }
  return undefined;
}

/** Whether `buf[at, end)` starts with `prefix`, compared byte by byte (a call into Buffer.compare costs more for these few bytes). */
function startsAt(buf: Buffer, at: number, end: number, prefix: Buffer): boolean {
  if (end - at < prefix.length) return false;
  for (let k = 0; k < prefix.length; k++) if (buf[at + k] !== prefix[k]) return false;
  return true;
}
