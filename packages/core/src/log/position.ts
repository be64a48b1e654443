/** A place in a call log: the segment file's number and a byte offset inside it. */
export interface LogPosition {
  segment: number;
  offset: number;
}

export const LOG_START: LogPosition = { segment: 0, offset: 0 };

export function comparePositions(a: LogPosition, b: LogPosition): number {
  return a.segment - b.segment || a.offset - b.offset;
}
