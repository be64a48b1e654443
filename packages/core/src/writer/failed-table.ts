const FAILED_TABLE = Symbol('stowage.failedTable');

/** The table a failed statement wrote to. */
export interface FailedTable {
  schema: string;
  table: string;
}

/**
 * Marks an error with the table whose statement failed (the first mark stays: the innermost
 * statement's), so that a caller may say what stands there (`Driver.notTables`). The error itself
 * is thrown on, not wrapped: callers read its message, its code and its class.
 */
export function onTable<E>(error: E, schema: string, table: string): E {
  if (typeof error === 'object' && error !== null && !Object.isFrozen(error) && !(FAILED_TABLE in error)) {
    Object.defineProperty(error, FAILED_TABLE, { value: { schema, table } satisfies FailedTable });
  }
  return error;
}

/** The table an error was marked with by `onTable`, if any. */
export function failedTable(error: unknown): FailedTable | undefined {
  return typeof error === 'object' && error !== null && FAILED_TABLE in error ? ((error as Record<symbol, unknown>)[FAILED_TABLE] as FailedTable) : undefined;
}
