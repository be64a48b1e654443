/** A user-facing error: the message says what to fix; the CLI prints it without a stack. */
export class StowageError extends Error {
  override name = 'StowageError';
}

/** A request naming something that is not configured (a warehouse, a space): bad usage. */
export class UsageError extends StowageError {
  override name = 'UsageError';
}
