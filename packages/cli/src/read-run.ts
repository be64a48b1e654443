import { accessSync, closeSync, constants, createReadStream, openSync, readSync, statSync } from 'node:fs';
import { jsonErrorMessage, parseJsonExactly, parseProfileText, parseRunHeader, parseRunProfile, repeatedKey, RunFormatError, UsageError, utf8Problem, type RunHeader, type RunProfile } from '@stowage/core';
import { byteLines, withoutByteOrderMark } from './text-lines.js';
import { JsonShapeError, JsonValues } from './json-values.js';

const CHUNK = 5_000;

/**
 * How far the first line is read to tell a header line from a whole JSON run: a header is a few
 * hundred bytes, but one padded or with a long run id (a JSON run takes one of any length) was
 * cut at the first 64 KiB, read as a JSON run, and refused as "neither".
 */
const FIRST_LINE_BYTES = 16 * 1024 * 1024;

/** The file's first line, as far as FIRST_LINE_BYTES go. */
function firstLine(path: string): string {
  const fd = openSync(path, 'r');
  try {
    let buf = Buffer.alloc(64 * 1024);
    let n = 0;
    let nl = -1;
    for (;;) {
      const got = readSync(fd, buf, n, buf.length - n, n);
      const from = n;
      n += got;
      // A line ends at LF, CRLF or CR, as `byteLines` reads the rest of the file.
      const read = buf.subarray(from, n);
      const lf = read.indexOf(0x0a);
      const cr = read.indexOf(0x0d);
      const at = lf === -1 ? cr : cr === -1 ? lf : Math.min(lf, cr);
      if (at !== -1) nl = from + at;
      if (nl !== -1 || got === 0 || n >= FIRST_LINE_BYTES) break;
      if (n === buf.length) buf = Buffer.concat([buf, Buffer.alloc(Math.min(buf.length, FIRST_LINE_BYTES - buf.length))]);
    }
    const bytes = buf.subarray(0, nl === -1 ? n : nl);
    // Checked where the line ends within them (or the file does): a cut may fall inside a character.
    const problem = nl !== -1 || n < FIRST_LINE_BYTES ? utf8Problem(bytes) : undefined;
    if (problem) throw new RunFormatError(`${path}:1: ${problem}; nothing of this run was applied`);
    return withoutByteOrderMark(bytes.toString('utf8'));
  } finally {
    closeSync(fd);
  }
}

/**
 * Reads a run file: a JSON object with `profiles`, or NDJSON whose first line is the header and
 * every other line a profile. A bad profile refuses the whole run (a snapshot missing a member
 * would read as an exit), with the line to fix.
 */
export function readRun(path: string): { header: RunHeader; profiles: AsyncIterable<RunProfile[]> } {
  // `ingest -` reads standard input; a run cannot (read more than once), and "-: no such file" told nothing of why.
  if (path === '-') throw new UsageError('a run is not read from standard input (`-`): it is read from a file, more than once (its first line, then its profiles); save it to a file first, and apply it once it is whole');
  const problem = fileProblem(path);
  if (problem) throw new UsageError(problem);
  const first = firstLine(path);
  let head: unknown;
  let headError: string | undefined;
  try {
    head = JSON.parse(first);
  } catch (error) {
    head = undefined;
    headError = jsonErrorMessage(error);
  }
  if (head && typeof head === 'object' && !Array.isArray(head) && !('profiles' in head)) {
    const twice = repeatedKey(first);
    if (twice !== undefined) throw new RunFormatError(`${path}:1: ${headerKeyTwice(twice)}; nothing of this run was applied`);
    return { header: named(`${path}:1`, () => parseRunHeader(head)), profiles: ndjsonProfiles(path) };
  }
  // Blank, the first line is no header: read as a JSON run, the file fails where its header line ends.
  // A first line that opens and closes an object, with lines after it, was meant as an NDJSON header.
  const trimmed = first.trim();
  const meantAsHeader = headError !== undefined && trimmed.startsWith('{') && trimmed.endsWith('}') && statSync(path).size > Buffer.byteLength(first) + 2 ? headError : undefined;
  const { fields, profilesAt } = jsonRunFields(path, trimmed === '', meantAsHeader);
  const header = named(path, () => parseRunHeader(fields, { profiles: true }));
  if (profilesAt === undefined) throw new RunFormatError(`${path}: "profiles" must be an array`);
  return { header, profiles: jsonProfiles(path, profilesAt) };
}

/**
 * A header key written twice: JSON.parse would keep the last without a word, and which one the
 * producer meant can decide the run (`"kind": "delta"` then `"kind": "snapshot"` exits every
 * member the run does not list).
 */
const headerKeyTwice = (key: string) => `the run header has the key ${JSON.stringify(key)} twice; which one is meant cannot be told (${key === 'kind' ? 'a snapshot exits every member it does not list, a delta none' : 'JSON readers keep either'}): write it once`;

/** A JSON value's bytes, checked to be UTF-8 and parsed exactly, its errors said about `where`. */
function parsed(path: string, where: string, bytes: Buffer, parse: (text: string) => unknown = parseJsonExactly): unknown {
  const problem = utf8Problem(bytes);
  if (problem) throw new RunFormatError(`${path}: ${where}: ${problem}; nothing of this run was applied`);
  try {
    return parse(bytes.toString('utf8'));
  } catch (error) {
    // A profile's key written twice (`parseProfileText`).
    if (error instanceof RunFormatError) throw new RunFormatError(`${path}: ${where}: ${error.message}; nothing of this run was applied`);
    throw new RunFormatError(`${path}: ${where}: not valid JSON (${jsonErrorMessage(error)}); nothing of this run was applied`);
  }
}

/**
 * A JSON run's fields but its profiles, and where its profiles' array begins: read through the
 * file once, the profiles passed over without being held, so that a run of any size is read in
 * the memory of one profile at a time (the profiles are read in a second pass, `jsonProfiles`).
 */
function jsonRunFields(path: string, firstLineBlank: boolean, headerError?: string): { fields: Record<string, unknown>; profilesAt?: number } {
  const doc = new JsonValues(path);
  const fields: Record<string, unknown> = {};
  let profilesAt: number | undefined;
  try {
    // A byte-order mark (EF BB BF), which Windows editors write.
    if (doc.peek() === 0xef) {
      doc.take();
      if (doc.take() !== 0xbb || doc.take() !== 0xbf) throw new JsonShapeError("expected a JSON run's opening '{' at byte 0, found byte 0xef");
    }
    doc.expect('{', "a JSON run's opening '{'");
    if (!doc.takeIf('}')) {
      do {
        const key = parsed(path, `a key at byte ${doc.offset}`, doc.value());
        if (typeof key !== 'string') throw new JsonShapeError(`expected a key (a string) before byte ${doc.offset}`);
        if (Object.hasOwn(fields, key)) throw new RunFormatError(`${path}: ${headerKeyTwice(key)}; nothing of this run was applied`);
        doc.expect(':', `':' after the key "${key}"`);
        doc.skipWhitespace();
        if (key === 'profiles') {
          profilesAt = doc.peek() === 0x5b ? doc.offset : undefined;
          doc.skip();
          fields.profiles = [];
        } else {
          // Defined, not assigned: a key "__proto__" is a field like any other (refused by the header's check).
          Object.defineProperty(fields, key, { value: parsed(path, `"${key}"`, doc.value()), enumerable: true, writable: true, configurable: true });
        }
      } while (doc.takeIf(','));
      doc.expect('}', "',' or the closing '}' of the run");
    }
    doc.skipWhitespace();
    if (doc.peek() !== -1) throw new JsonShapeError(`unexpected text after the run's closing '}', at byte ${doc.offset}`);
    return { fields, profilesAt };
  } catch (error) {
    if (error instanceof JsonShapeError) {
      const blank = firstLineBlank ? ` (its first line is blank: an NDJSON run's header is its first line; remove the blank lines before it)` : '';
      // Said first: a byte offset into a file of lines sent its reader counting bytes for the header line's mistake.
      if (headerError !== undefined) throw new RunFormatError(`${path}:1: the header line is not valid JSON (${headerError}); read as one JSON run instead, it is none either (${error.message}); nothing of this run was applied`);
      throw new RunFormatError(`${path} is neither a JSON run nor NDJSON with a header line${blank}: ${error.message}`);
    }
    throw error;
  } finally {
    doc.close();
  }
}

async function* jsonProfiles(path: string, at: number): AsyncIterable<RunProfile[]> {
  const doc = new JsonValues(path, at);
  try {
    doc.expect('[', "'['");
    if (doc.takeIf(']')) return;
    let chunk: RunProfile[] = [];
    let i = 0;
    do {
      const where = `profiles[${i}]`;
      let bytes: Buffer;
      try {
        bytes = doc.value();
      } catch (error) {
        if (error instanceof JsonShapeError) throw new RunFormatError(`${path}: ${where}: ${error.message}; nothing of this run was applied`);
        throw error;
      }
      const p = parseRunProfile(parsed(path, where, bytes, parseProfileText));
      if (typeof p === 'string') throw new RunFormatError(`${path}: ${where}: ${p}; nothing of this run was applied`);
      chunk.push(p);
      i++;
      if (chunk.length >= CHUNK) {
        yield chunk;
        chunk = [];
      }
    } while (doc.takeIf(','));
    try {
      doc.expect(']', `',' or the closing ']' of "profiles" after profiles[${i - 1}]`);
    } catch (error) {
      if (error instanceof JsonShapeError) throw new RunFormatError(`${path}: ${error.message}; nothing of this run was applied`);
      throw error;
    }
    if (chunk.length) yield chunk;
  } finally {
    doc.close();
  }
}

/** The header read, its error naming where it is (several files may be given at once). */
function named<T>(where: string, read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (error instanceof RunFormatError) throw new RunFormatError(`${where}: ${error.message}; nothing of this run was applied`);
    throw error;
  }
}

/** Why a path is no file to read: missing, a folder, unreadable, or (unless `empty` is fine) empty. */
export function fileProblem(path: string, { empty = false } = {}): string | undefined {
  try {
    const stat = statSync(path);
    if (stat.isDirectory()) return `${path} is a folder, not a file`;
    // A pipe (`<(…)`, /dev/stdin) reads as empty, and could not be read twice (its first line, then its profiles; a JSON run twice over).
    if (!stat.isFile() && !empty) return `${path} is not a regular file (a pipe or a device): a run is read from a file, more than once; save it to a file first`;
    if (stat.size === 0 && !empty) return `${path} is empty: a run file holds a header at least`;
    accessSync(path, constants.R_OK);
    // Of a regular file alone: a pipe `ingest` reads (`<(zcat calls.gz)`) would lose the bytes looked at, or wait for them.
    const packed = stat.isFile() ? compression(path) : undefined;
    if (packed) return `${path} is ${packed.what}, not text: decompress it first (\`${packed.undo} ${path}\`)`;
    return undefined;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? `${path}: no such file` : code === 'EACCES' ? `${path} cannot be read (permission denied)` : `${path} cannot be read: ${(error as Error).message}`;
  }
}

/** The signatures of compressed files, as their first bytes, and the command that undoes each. */
const COMPRESSIONS: { magic: number[]; what: string; undo: string }[] = [
  { magic: [0x1f, 0x8b], what: 'gzip-compressed', undo: 'gunzip -k' },
  { magic: [0x28, 0xb5, 0x2f, 0xfd], what: 'zstd-compressed', undo: 'zstd -d' },
  { magic: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], what: 'xz-compressed', undo: 'xz -dk' },
  { magic: [0x42, 0x5a, 0x68], what: 'bzip2-compressed', undo: 'bunzip2 -k' },
  { magic: [0x50, 0x4b, 0x03, 0x04], what: 'a zip archive', undo: 'unzip' },
];

/**
 * The compression a file begins with, if any: read as text, a `.ndjson.gz` export was refused as
 * "not valid UTF-8 … Save the file as UTF-8" (a run), or as every line of it (`ingest`), which
 * sent its reader looking for an encoding. No JSON text begins with these bytes.
 */
function compression(path: string): { what: string; undo: string } | undefined {
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(6);
    const got = readSync(fd, head, 0, head.length, 0);
    return COMPRESSIONS.find(({ magic }) => got >= magic.length && magic.every((byte, i) => head[i] === byte));
  } finally {
    closeSync(fd);
  }
}

/**
 * A line's text, or the run refused naming the line: past what one JavaScript string holds
 * (~512 MB), the decode threw a bare "Cannot create a string longer than …".
 */
function decoded(bytes: Buffer, where: () => string): string {
  try {
    return bytes.toString('utf8');
  } catch (error) {
    throw new RunFormatError(`${where()}: the line is ${bytes.length} bytes, more than one string of this process holds (about 512 MB: ${(error as Error).message}); a value that size cannot be read; nothing of this run was applied`);
  }
}

async function* ndjsonProfiles(path: string): AsyncIterable<RunProfile[]> {
  let n = 0;
  let chunk: RunProfile[] = [];
  for await (const bytes of byteLines(createReadStream(path))) {
    n++;
    if (n === 1) continue;
    const problem = utf8Problem(bytes);
    if (problem) throw new RunFormatError(`${path}:${n}: ${problem}; nothing of this run was applied`);
    const line = decoded(bytes, () => `${path}:${n}`);
    if (line.trim() === '') continue;
    let parsed: unknown;
    try {
      parsed = parseProfileText(line);
    } catch (error) {
      // A profile's key written twice.
      if (error instanceof RunFormatError) throw new RunFormatError(`${path}:${n}: ${error.message}; nothing of this run was applied`);
      throw new RunFormatError(`${path}:${n}: not valid JSON (${jsonErrorMessage(error)}); nothing of this run was applied`);
    }
    const p = parseRunProfile(parsed);
    if (typeof p === 'string') throw new RunFormatError(`${path}:${n}: ${p}; nothing of this run was applied`);
    chunk.push(p);
    if (chunk.length >= CHUNK) {
      yield chunk;
      chunk = [];
    }
  }
  if (chunk.length) yield chunk;
}
