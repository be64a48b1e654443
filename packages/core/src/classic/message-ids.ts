import { messageIdOf } from '../calls/message-id-of.js';
import type { CallLog } from '../log/call-log.js';
import type { LogPosition } from '../log/position.js';

/** The message ids of the calls logged from `from` to `stop`, `size` at a time (fewer in the last lot), each lot with the position after its last call. */
export async function* messageIds(log: CallLog, from: LogPosition, stop: LogPosition, size: number): AsyncGenerator<{ ids: string[]; end: LogPosition }> {
  let ids: string[] = [];
  let end = from;
  for await (const { buf, segment, offset } of log.chunks(from, stop)) {
    let start = 0;
    for (let nl = buf.indexOf(10, start); nl !== -1; nl = buf.indexOf(10, start)) {
      try {
        ids.push(messageIdOf(buf, start, nl));
      } catch (error) {
        throw log.unreadable(error, segment, offset + start);
      }
      start = nl + 1;
      if (ids.length >= size) {
        // The chunk's buffer stays as it is until the next chunk is asked for.
        yield { ids, end: { segment, offset: offset + start } };
        ids = [];
      }
    }
    end = { segment, offset: offset + start };
  }
  if (ids.length > 0) yield { ids, end };
}
