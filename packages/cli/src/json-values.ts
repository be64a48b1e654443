import { closeSync, openSync, readSync } from 'node:fs';

/** Where a JSON document is not what it should be: the message says what, at which byte. */
export class JsonShapeError extends Error {}

const WINDOW = 1024 * 1024;

/**
 * A JSON document read from a file a byte at a time through a window: its values found by their
 * extent (brackets, strings and escapes followed, nothing decoded), so that one value at a time
 * is held, whatever the file's size. Values are handed back as bytes for a real parser
 * (`parseJsonExactly`) to read: this only finds where each begins and ends.
 */
export class JsonValues {
  private readonly fd: number;
  private readonly buf = Buffer.alloc(WINDOW);
  /** The file offset of `buf[0]`, and how many bytes of it are read. */
  private base = 0;
  private size = 0;
  private at = 0;
  /** Where the window's next backslash is (its size: none); behind `at`: not looked for yet. */
  private backslash = -1;

  constructor(path: string, offset = 0) {
    this.fd = openSync(path, 'r');
    this.seek(offset);
  }

  close(): void {
    closeSync(this.fd);
  }

  /** The file offset of the next byte. */
  get offset(): number {
    return this.base + this.at;
  }

  seek(offset: number): void {
    this.base = offset;
    this.size = 0;
    this.at = 0;
    this.backslash = -1;
  }

  /** The next byte, not taken; -1 at the end of the file. */
  peek(): number {
    if (this.at >= this.size) {
      this.base += this.size;
      this.size = readSync(this.fd, this.buf, 0, this.buf.length, this.base);
      this.at = 0;
      this.backslash = -1;
      if (this.size === 0) return -1;
    }
    return this.buf[this.at]!;
  }

  /** Takes the next byte. */
  take(): number {
    const byte = this.peek();
    if (byte !== -1) this.at++;
    return byte;
  }

  skipWhitespace(): void {
    for (let b = this.peek(); b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09; b = this.peek()) this.at++;
  }

  /** Takes `char` (after whitespace), or says what was there instead. */
  expect(char: string, what: string): void {
    this.skipWhitespace();
    const at = this.offset;
    const b = this.take();
    if (b !== char.charCodeAt(0)) throw new JsonShapeError(`expected ${what} at byte ${at}, found ${describe(b)}`);
  }

  /** Whether the next byte (after whitespace) is `char`; taken if so. */
  takeIf(char: string): boolean {
    this.skipWhitespace();
    if (this.peek() !== char.charCodeAt(0)) return false;
    this.at++;
    return true;
  }

  /** The bytes of the next value (after whitespace). */
  value(): Buffer {
    const parts: Buffer[] = [];
    this.scan((from, to) => parts.push(Buffer.from(this.buf.subarray(from, to))));
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  }

  /** Passes over the next value (after whitespace), holding none of it. */
  skip(): void {
    this.scan(() => undefined);
  }

  /**
   * Follows one value to its end, handing each stretch of the window it covers to `keep` before
   * the window moves on. Strings to their closing quote past escapes; objects and arrays to the
   * bracket that closes them; other values (numbers, literals) to the next delimiter.
   */
  private scan(keep: (from: number, to: number) => void): void {
    this.skipWhitespace();
    const start = this.offset;
    const first = this.peek();
    if (first === -1) throw new JsonShapeError(`expected a value at byte ${start}, found the end of the file`);
    if (first === 0x7d || first === 0x5d || first === 0x2c || first === 0x3a) throw new JsonShapeError(`expected a value at byte ${start}, found ${describe(first)}`);
    let depth = 0;
    let inString = false;
    let escaped = false;
    const bare = first !== 0x22 && first !== 0x7b && first !== 0x5b;
    let from = this.at;
    for (;;) {
      if (this.at >= this.size) {
        keep(from, this.at);
        if (this.peek() === -1) {
          if (bare) return;
          throw new JsonShapeError(`the value that begins at byte ${start} does not end before the end of the file`);
        }
        from = this.at;
      }
      if (inString && !escaped) {
        // Most of a document's bytes are in strings: skipped to the next quote or backslash natively.
        const quote = this.buf.indexOf(0x22, this.at);
        // Backslashes are rare: the next one is looked for once, not from each string to the window's end.
        if (this.backslash < this.at) {
          const found = this.buf.indexOf(0x5c, this.at);
          this.backslash = found === -1 || found >= this.size ? this.size : found;
        }
        const next = Math.min(quote === -1 || quote >= this.size ? this.size : quote, this.backslash);
        if (next > this.at) {
          this.at = next;
          continue;
        }
      }
      const b = this.buf[this.at]!;
      if (bare) {
        if (b === 0x2c || b === 0x7d || b === 0x5d || b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09) break;
        this.at++;
        continue;
      }
      this.at++;
      if (inString) {
        if (escaped) escaped = false;
        else if (b === 0x5c) escaped = true;
        else if (b === 0x22) {
          inString = false;
          if (depth === 0) break;
        }
      } else if (b === 0x22) inString = true;
      else if (b === 0x7b || b === 0x5b) depth++;
      else if (b === 0x7d || b === 0x5d) {
        depth--;
        if (depth === 0) break;
      }
    }
    keep(from, this.at);
  }
}

function describe(byte: number): string {
  if (byte === -1) return 'the end of the file';
  return byte >= 0x20 && byte < 0x7f ? `'${String.fromCharCode(byte)}'` : `byte 0x${byte.toString(16).padStart(2, '0')}`;
}
