/**
 * Maps an async iterable, preparing item n+1 (read and transformed) while the consumer is still
 * working on item n. At most one item is held ahead, so memory stays bounded.
 */
export async function* prefetch<T, U>(source: AsyncIterable<T>, transform: (item: T) => U | Promise<U>): AsyncGenerator<U> {
  const iterator = source[Symbol.asyncIterator]();
  const next = async (): Promise<IteratorResult<U>> => {
    const r = await iterator.next();
    return r.done ? { done: true, value: undefined } : { done: false, value: await transform(r.value) };
  };
  let pending = next();
  try {
    for (;;) {
      const r = await pending;
      if (r.done) return;
      // Start the next item only after yielding control back: the consumer's await lets it run.
      pending = new Promise((resolve, reject) => setImmediate(() => next().then(resolve, reject)));
      // The consumer may fail before it awaits this; its error is the one to report, not ours.
      pending.catch(() => undefined);
      yield r.value;
    }
  } finally {
    await iterator.return?.();
  }
}
