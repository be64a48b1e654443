import { accessSync, closeSync, constants, createReadStream, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { jsonErrorMessage, parseJsonExactly, parseRunHeader, parseRunProfile, RunFormatError, UsageError, utf8Problem, type RunHeader, type RunProfile } from '@stowage/core';
import { byteLines, withoutByteOrderMark } from './text-lines.js';

const CHUNK = 5_000;

/** The file's first line, as far as its first 64 KiB go (enough to tell a header line from a whole JSON run). */
function firstLine(path: string): string {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(64 * 1024);
    const n = readSync(fd, buf, 0, buf.length, 0);
    // A line ends at LF, CRLF or CR, as `byteLines` reads the rest of the file.
    const read = buf.subarray(0, n);
    const lf = read.indexOf(0x0a);
    const cr = read.indexOf(0x0d);
    const nl = lf === -1 ? cr : cr === -1 ? lf : Math.min(lf, cr);
    const bytes = buf.subarray(0, nl === -1 ? n : nl);
    // Checked where the line ends within them (or the file does): a cut may fall inside a character.
    const problem = nl !== -1 || n < buf.length ? utf8Problem(bytes) : undefined;
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
  const problem = fileProblem(path);
  if (problem) throw new UsageError(problem);
  const first = firstLine(path);
  let head: unknown;
  try {
    head = JSON.parse(first);
  } catch {
    head = undefined;
  }
  if (head && typeof head === 'object' && !Array.isArray(head) && !('profiles' in head)) {
    return { header: named(`${path}:1`, () => parseRunHeader(head)), profiles: ndjsonProfiles(path) };
  }
  const bytes = readFileSync(path);
  // Said as it is: not behind "neither a JSON run nor NDJSON", which it may well be.
  const notText = utf8Problem(bytes);
  if (notText) throw new RunFormatError(`${path}: ${notText}; nothing of this run was applied`);
  let whole: any;
  try {
    whole = parseJsonExactly(withoutByteOrderMark(bytes.toString('utf8')));
  } catch (error) {
    throw new RunFormatError(`${path} is neither a JSON run nor NDJSON with a header line: ${(error as Error).message}`);
  }
  const header = named(path, () => parseRunHeader(whole, { profiles: true }));
  if (!Array.isArray(whole.profiles)) throw new RunFormatError(`${path}: "profiles" must be an array`);
  return { header, profiles: arrayProfiles(path, whole.profiles as unknown[]) };
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
    if (stat.size === 0 && !empty) return `${path} is empty: a run file holds a header at least`;
    accessSync(path, constants.R_OK);
    return undefined;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? `${path}: no such file` : code === 'EACCES' ? `${path} cannot be read (permission denied)` : `${path} cannot be read: ${(error as Error).message}`;
  }
}

async function* arrayProfiles(path: string, items: unknown[]): AsyncIterable<RunProfile[]> {
  for (let i = 0; i < items.length; i += CHUNK) {
    yield items.slice(i, i + CHUNK).map((item, j) => {
      const p = parseRunProfile(item);
      if (typeof p === 'string') throw new RunFormatError(`${path}: profiles[${i + j}]: ${p}; nothing of this run was applied`);
      return p;
    });
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
    const line = bytes.toString('utf8');
    if (line.trim() === '') continue;
    let parsed: unknown;
    try {
      parsed = parseJsonExactly(line);
    } catch (error) {
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
