/**
 * A JSON value kept as its text. An entity context (a kilobyte or more) comes out of the profile
 * state as text and goes into the warehouse as the same text: carried as text, it is not parsed
 * and serialised again on the way, only parsed where a mapping reads into it. `JSON.stringify`
 * of it gives the same text (the text is `JSON.stringify` output, which a parse and a new
 * stringify reproduce exactly).
 */
export class JsonText {
  private parsed?: { value: unknown };

  constructor(readonly text: string) {}

  /** The value, parsed once, on first use. */
  get value(): unknown {
    this.parsed ??= { value: JSON.parse(this.text) };
    return this.parsed.value;
  }

  toJSON(): unknown {
    return this.value;
  }
}

/** The value of what may be JSON text; anything else as it is. */
export const jsonValue = (v: unknown): unknown => (v instanceof JsonText ? v.value : v);
