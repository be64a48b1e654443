/**
 * Time spent with at least one piece of work in flight, when pieces overlap: a write is prepared
 * while the one before it commits, and the two must not be counted twice. Pieces are added in
 * the order they started (each ends no earlier than it starts).
 */
export class BusyTime {
  private until = Number.NEGATIVE_INFINITY;
  /** Milliseconds counted so far. */
  ms = 0;

  /** Counts the part of [start, end] not counted yet. */
  add(start: number, end: number): void {
    this.ms += Math.max(0, end - Math.max(start, this.until));
    this.until = Math.max(this.until, end);
  }
}
