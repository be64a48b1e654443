/**
 * A caller's progress callback, which never stops the work it reports on: what it throws, or what
 * its promise rejects with (an `async` callback), is dropped. A metrics client that is down must
 * not fail a sync whose batches are committed (its record said Failure, and the next sync found
 * nothing to load), abort a run, or end a service's process with an unhandled rejection.
 */
export function guardedCallback<T>(callback: ((progress: T) => unknown) | undefined): ((progress: T) => void) | undefined {
  if (!callback) return undefined;
  return (progress) => {
    try {
      const result = callback(progress);
      if (result !== null && typeof result === 'object' && typeof (result as PromiseLike<unknown>).then === 'function') {
        (result as PromiseLike<unknown>).then(undefined, () => undefined);
      }
    } catch {
      // Dropped, as above: progress is the caller's concern, the work is Stowage's.
    }
  };
}
