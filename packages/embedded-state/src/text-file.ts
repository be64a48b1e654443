import { closeSync, fsyncSync, ftruncateSync, fstatSync, openSync, readSync, writeSync } from 'node:fs';

/** Bytes gathered before a write, and read ahead of a read: a run's texts are mostly read in the order written. */
const BLOCK = 4 * 1024 * 1024;

/** Where a text lies in its file. */
export interface TextRef {
  at: number;
  len: number;
}

/**
 * An append-only file of UTF-8 texts, addressed by byte offset and length. Appends are gathered
 * into blocks; reads go through a window of the file, so that texts read in the order they were
 * written cost one read per block, and a text still in the write block is read from memory.
 * Synchronous: each call is a few milliseconds at most, and it keeps the order of appends plain.
 */
export class TextFile {
  private readonly fd: number;
  /** Bytes on disk (or handed to the kernel); `length` adds the write block's. */
  private written: number;
  private readonly pending = Buffer.allocUnsafe(BLOCK);
  private pendingBytes = 0;
  /** What the last read brought in (a view of `readBuffer`), and where it starts in the file. */
  private window = Buffer.alloc(0);
  private windowAt = 0;
  private readBuffer = Buffer.alloc(0);
  private closed = false;

  /** Opens (or creates) the file; `keep`, when given, cuts it to that many bytes: what lay past it was never committed. */
  constructor(readonly path: string, keep?: number) {
    this.fd = openSync(path, 'a+');
    try {
      const size = fstatSync(this.fd).size;
      if (keep !== undefined && size < keep) throw new Error(`the file ${path} holds ${size} bytes where the profile state counts ${keep}: it was cut or replaced outside Stowage. It holds the entity contexts of linked audience members, kept nowhere else: restore it from a backup taken together with state.duckdb beside it; nothing was applied or changed`);
      if (keep !== undefined && size > keep) ftruncateSync(this.fd, keep);
      this.written = keep ?? size;
    } catch (error) {
      closeSync(this.fd);
      throw error;
    }
  }

  get length(): number {
    return this.written + this.pendingBytes;
  }

  /** Appends a text; returns where it lies. */
  appendText(text: string): TextRef {
    const len = Buffer.byteLength(text);
    if (len > BLOCK - this.pendingBytes) this.flush();
    const at = this.length;
    if (len > BLOCK) this.writeAll(Buffer.from(text));
    else this.pendingBytes += this.pending.write(text, this.pendingBytes);
    return { at, len };
  }

  /** Appends bytes as they are (a text read from another such file). */
  appendBytes(bytes: Buffer): TextRef {
    if (bytes.length > BLOCK - this.pendingBytes) this.flush();
    const at = this.length;
    if (bytes.length > BLOCK) this.writeAll(bytes);
    else this.pendingBytes += bytes.copy(this.pending, this.pendingBytes);
    return { at, len: bytes.length };
  }

  /** The bytes of a text. The buffer is only good until the next call on this file. */
  readBytes({ at, len }: TextRef): Buffer {
    if (at < 0 || len < 0 || at + len > this.length) throw new Error(`a text at ${at} (${len} bytes) lies past the end of ${this.path} (${this.length} bytes): the profile state and its texts file disagree`);
    if (at >= this.written) return this.pending.subarray(at - this.written, at - this.written + len);
    if (at < this.windowAt || at + len > this.windowAt + this.window.length) this.fill(at, len);
    return this.window.subarray(at - this.windowAt, at - this.windowAt + len);
  }

  readText(ref: TextRef): string {
    return this.readBytes(ref).toString('utf8');
  }

  /** Hands the write block to the kernel. */
  flush(): void {
    if (this.pendingBytes === 0) return;
    const block = this.pending.subarray(0, this.pendingBytes);
    this.pendingBytes = 0;
    this.writeAll(block);
  }

  /** Flushes and waits for the disk: texts referred to by a commit must outlive a crash. */
  sync(): void {
    this.flush();
    fsyncSync(this.fd);
  }

  /** Drops everything past `length` (an attempt rolled back), whatever the file holds past it. */
  truncate(length: number): void {
    this.window = Buffer.alloc(0);
    if (length >= this.written && fstatSync(this.fd).size <= this.written) {
      this.pendingBytes = Math.min(this.pendingBytes, length - this.written);
      return;
    }
    this.pendingBytes = 0;
    ftruncateSync(this.fd, length);
    this.written = length;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
  }

  private writeAll(bytes: Buffer): void {
    let done = 0;
    // An 'a+' file appends wherever the position is: every write lands at the end. Counted as
    // they land: a write that fails part-way (a full disk) leaves bytes a rollback must cut,
    // and every later text's place depends on the count.
    while (done < bytes.length) {
      const n = writeSync(this.fd, bytes, done, bytes.length - done);
      done += n;
      this.written += n;
    }
  }

  private fill(at: number, len: number): void {
    const size = Math.min(Math.max(BLOCK, len), this.written - at);
    if (this.readBuffer.length < size) this.readBuffer = Buffer.allocUnsafe(Math.max(BLOCK, size));
    let got = 0;
    while (got < size) {
      const n = readSync(this.fd, this.readBuffer, got, size - got, at + got);
      if (n === 0) throw new Error(`${this.path} ended at ${at + got} bytes, short of a text the profile state refers to`);
      got += n;
    }
    this.windowAt = at;
    this.window = this.readBuffer.subarray(0, size);
  }
}
