/**
 * A JSON value kept as its text. An entity context (a kilobyte or more) comes out of the profile
 * state as text and goes into the warehouse as the same text: carried as text, it is not parsed
 * and serialised again on the way, only parsed where a mapping reads into it. `JSON.stringify`
 * of it gives the same value, and the same text but where the text has an integer past 2^53
 * with its exact digits (`exactJsonText`), which JavaScript writes with its shortest ones.
 */
export class JsonText {
  private parsed?: { value: unknown };
  private stringified?: string;

  constructor(readonly text: string) {
    // Said at once, where the caller made it, rather than as a TypeError deep in a run's staging.
    if (typeof text !== 'string') throw new TypeError(`JsonText takes JSON text, a string, not ${text === null ? 'null' : `a ${typeof text}`}`);
  }

  /** The value, parsed once, on first use. */
  get value(): unknown {
    this.parsed ??= { value: JSON.parse(this.text) };
    return this.parsed.value;
  }

  toJSON(): unknown {
    return this.value;
  }

  /** JSON.stringify of the value: the text, unless it has digits JavaScript writes otherwise. */
  get reencoded(): string {
    this.stringified ??= JSON.stringify(this.value);
    return this.stringified;
  }
}

/** The value of what may be JSON text; anything else as it is. */
export const jsonValue = (v: unknown): unknown => (v instanceof JsonText ? v.value : v);
