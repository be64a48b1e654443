/** Lone UTF-16 surrogates: halves of a character, which no warehouse (nor UTF-8) can store as they are. */
const LONE_SURROGATES = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Whether text is whole UTF-16, without half a character; native in Node 20 (ES2024), and quick for one-byte strings. */
export function isWellFormed(text: string): boolean {
  return (text as unknown as { isWellFormed(): boolean }).isWellFormed();
}

/** Text with each lone surrogate written as its escape (`\ud800`), which text can hold and a reader can tell. */
export function escapeLoneSurrogates(text: string): string {
  return text.replace(LONE_SURROGATES, (c) => `\\u${c.charCodeAt(0).toString(16)}`);
}

/**
 * Why an identifier (a message, user, anonymous, profile or entity id) cannot be stored as it is,
 * or undefined when it can. Such an id would be rewritten on its way into a warehouse (a lone
 * surrogate to U+FFFD in UTF-8, U+0000 out of PostgreSQL's text, a leading U+FEFF out of DuckDB),
 * and two different ids would then be one: two users merged, or a call taken for a copy of
 * another and skipped.
 */
export function idTextProblem(what: string, id: string): string | undefined {
  if (id.includes('\u0000')) return `${what} ${JSON.stringify(id)} contains the character U+0000, which warehouses cannot store in text; it cannot be stored as it is`;
  if (!isWellFormed(id)) return `${what} ${JSON.stringify(id)} holds half of a character (a lone UTF-16 surrogate); it cannot be stored as it is`;
  // Read back through @duckdb/node-api, and at the start of a CSV file DuckDB reads, a leading
  // byte-order mark is dropped: "\ufeffu1" came back as "u1", another user's id.
  if (id.charCodeAt(0) === 0xfeff) return `${what} ${JSON.stringify(id).replaceAll('\ufeff', '\\ufeff')} begins with the character U+FEFF (a byte-order mark, left over from a file's start?), which readers of text drop there; it cannot be stored as it is`;
  return undefined;
}

/** An id as JSON gave it: absent (undefined or null), empty (null), its text, or why it cannot be one. */
export type ReadId = { ok: true; id: string | null | undefined } | { ok: false; error: string };

/**
 * Reads an id sent as a JSON string or number. A number is its decimal text, unless JSON could
 * not hold it exactly: an integer beyond 2^53 reads as a neighbour (…993 as …992), and beyond the
 * range of a double as Infinity, so two different ids would be one.
 */
export function readId(what: string, value: unknown): ReadId {
  if (value === undefined || value === null) return { ok: true, id: value };
  if (typeof value === 'string') {
    if (value.length === 0) return { ok: true, id: null };
    const problem = idTextProblem(what, value);
    return problem ? { ok: false, error: problem } : { ok: true, id: value };
  }
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || (Number.isInteger(value) && !Number.isSafeInteger(value))) {
      const why = Number.isFinite(value) ? 'past 2^53 a double holds only some integers, and ids next to one read as it' : 'beyond the range of a double';
      return { ok: false, error: `${what} is a number JSON cannot hold exactly (read as ${value}: ${why}); send it as a string` };
    }
    return { ok: true, id: String(value) };
  }
  return { ok: false, error: `${what} must be a string or a number` };
}
