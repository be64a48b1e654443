/**
 * Maps an async iterable, preparing the next items (read and transformed, one after another, in
 * order) while the consumer is still working on the current one. At most `ahead` items are held
 * ready beyond the one being consumed, so memory stays bounded.
 *
 * `signal` is aborted when the consumer stops: a transform that waits on the consumer (for an
 * earlier item to be consumed) must give up then, since the consumer waits for it to settle.
 */
export async function* prefetch<T, U>(source: AsyncIterable<T>, transform: (item: T, signal: AbortSignal) => U | Promise<U>, ahead = 1): AsyncGenerator<U> {
  const iterator = source[Symbol.asyncIterator]();
  const stopped = new AbortController();
  // Items are made strictly one after another: each waits for the one before it.
  let previous: Promise<unknown> = Promise.resolve();
  const next = (): Promise<IteratorResult<U>> => {
    const made = previous.then(async (): Promise<IteratorResult<U>> => {
      const r = await iterator.next();
      return r.done ? { done: true, value: undefined } : { done: false, value: await transform(r.value, stopped.signal) };
    });
    // A failed item fails the items after it too; the consumer is told by the first it awaits.
    previous = made;
    made.catch(() => undefined);
    return made;
  };
  const queue: Array<Promise<IteratorResult<U>>> = [];
  let closed = false;
  try {
    for (;;) {
      if (queue.length === 0) queue.push(next());
      const r = await queue.shift()!;
      if (r.done) return;
      // Start the next items only after yielding control back: the consumer's await lets it run
      // first (the log reader parses a megabyte before its first await).
      setImmediate(() => {
        while (!closed && queue.length < ahead) queue.push(next());
      });
      yield r.value;
    }
  } finally {
    // A consumer that stops early gets control back once no item is still being made: what it
    // does next (a Classic batch's calls written again, in parts) must not race their making.
    closed = true;
    stopped.abort();
    await Promise.allSettled(queue);
    await iterator.return?.();
  }
}
