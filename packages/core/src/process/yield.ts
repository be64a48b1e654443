/**
 * Lets the event loop run: I/O callbacks, and the continuations of warehouse statements that
 * finished on a driver's own threads. Long client work (parsing, planning, encoding) calls it
 * every few milliseconds so that the warehouse's next statement is issued as soon as the last
 * one ends, and the two cores work side by side instead of taking turns.
 */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
