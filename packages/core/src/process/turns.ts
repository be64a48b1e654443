/** The end of the last work handed a turn, per key, in this process. */
const lastOf = new Map<string, Promise<unknown>>();

/**
 * Runs `fn` once the work handed a turn under `key` before it has ended, in this process: work of
 * several objects on one resource (two Stowage instances on one state folder) one at a time.
 */
export function inTurn<T>(key: string, fn: () => Promise<T>): Promise<T> {
  const turn = (lastOf.get(key) ?? Promise.resolve()).then(fn, fn);
  const settled = turn.catch(() => undefined);
  lastOf.set(key, settled);
  // Forgotten once nothing waits behind it: keys do not pile up in a long-lived process.
  void settled.then(() => {
    if (lastOf.get(key) === settled) lastOf.delete(key);
  });
  return turn;
}
