import { fullDiskAdvice } from '@stowage/core';
import { sep } from 'node:path';
/** Exit codes: what a script calling stowage can rely on. */
export const EXIT = { ok: 0, failure: 1, usage: 2, partial: 3 } as const;

export const fmt = (n: number) => n.toLocaleString('en-US');

/** A size for people: kB below a tenth of a megabyte (a slow pipe's first second read `0.0 MB`), else MB to a tenth. */
export const byteSize = (bytes: number) => (bytes < 100_000 ? `${Math.max(bytes > 0 ? 1 : 0, Math.round(bytes / 1000))} kB` : `${(bytes / 1_000_000).toFixed(1)} MB`);

export function duration(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

/** A progress line on stderr, rewritten in place on a terminal and throttled elsewhere. */
export function progressPrinter(): (text: string) => void {
  let last = 0;
  return (text) => {
    const now = Date.now();
    if (process.stderr.isTTY) process.stderr.write(`\r\x1b[K${text}`);
    else if (now - last > 2000) {
      process.stderr.write(`${text}\n`);
      last = now;
    }
  };
}

/** A plain-text table for the terminal. */
export function table(headers: string[], rows: Array<Array<string | number>>): string {
  const cells = [headers, ...rows.map((r) => r.map(String))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(cells[0]!), line(widths.map((w) => '-'.repeat(w))), ...cells.slice(1).map(line)].join('\n');
}

/** Errors of a folder or file that cannot be written or made: the state folder's, most often. */
const FOLDER_ERRORS = new Set(['ENOTDIR', 'EROFS', 'EACCES', 'EPERM', 'ENOSPC', 'EDQUOT', 'EEXIST']);

/** An error's message, with what to do where the system refused a file or folder of the state folder (`stateDirs`). */
export function errorMessage(error: unknown, stateDirs: Iterable<string>): string {
  const message = (error as Error)?.message ?? String(error);
  const { code, path, syscall } = (error ?? {}) as NodeJS.ErrnoException;
  // A write that ran out of room names no file (`ENOSPC: no space left on device, write`): where it may have been.
  const full = path === undefined ? fullDiskAdvice(error, stateDirs) : undefined;
  if (full) return `${message} (${full})`;
  // A folder the file system refuses to make though its parent is there (/proc) says ENOENT.
  const refusedFolder = code === 'ENOENT' && syscall === 'mkdir';
  if (code === undefined || path === undefined || !(FOLDER_ERRORS.has(code) || code === 'ENAMETOOLONG' || refusedFolder)) return message;
  const inState = [...stateDirs].some((dir) => path === dir || path.startsWith(`${dir}${sep}`) || dir.startsWith(`${path}${sep}`));
  if (!inState) return message;
  // The files Stowage names under the state folder are short: the folder's own path is what is too long.
  if (code === 'ENAMETOOLONG') return `${message} (the state folder's path, \`stateDir\`, is too long for the file system: give it a shorter one; \`stowage check\` tests it)`;
  return `${message} (\`stowage check\` tests the state folder, \`stateDir\`, which Stowage must be able to write)`;
}
