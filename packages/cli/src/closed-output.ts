import { writeSync } from 'node:fs';

let installed = false;

/**
 * What the command's work left besides its output, said where the output was lost: where to see
 * it (`stowage history` for a sync or a run), that it is done (an ingest), or nothing where the
 * output was the work (`check`, `history`: lost, it is the failure).
 */
const WORK_SEEN: Record<string, string | null> = {
  demo: 'the work itself was done: the sample is in its folder, and `stowage history` shows its syncs',
  run: 'the work itself was done: `stowage history` shows it',
  flush: 'the work itself was done: `stowage history` shows it',
  sync: 'the work itself was done: `stowage history` shows it',
  serve: 'the work itself was done: `stowage history` shows it',
  ingest: 'the work itself was done: the calls are logged for the next sync',
  'rebuild-keys': 'the work itself was done',
  claim: 'the work itself was done',
  check: null,
  history: null,
  refused: null,
};

let command: string | undefined;

/** The command under way (`program`'s preAction): what its lost output leaves is said by it. */
export function outputOf(name: string): void {
  command = name;
}

/**
 * Keeps a command working when its output cannot be written: its reader stopped reading
 * (`stowage demo | head -1`: EPIPE), or the disk it goes to is full (`stowage serve >>
 * /var/log/stowage.log`: ENOSPC). That stream error, listened to by nobody, ended the process
 * with a stack trace, in the middle of a sync or a run, and ended `stowage serve`. The command
 * goes on to its end; what it would have printed is dropped. A reader that left is no failure
 * (whoever asked stopped listening); output lost otherwise is said on the way out, where it may
 * still be read, and a command that did its work exits 1 then. Once per process: `main` may be
 * called more than once by a program that embeds the CLI.
 */
export function keepWorkingWhenOutputCloses(): void {
  if (installed) return;
  installed = true;
  let failed: NodeJS.ErrnoException | undefined;
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      // Lines printed after the pipe closed find the stream destroyed: dropped too.
      if (error.code === 'EPIPE' || error.code === 'ERR_STREAM_DESTROYED') return;
      failed ??= error;
    });
  }
  // At exit: a write to a file fails as the stream's error on the next tick, after the command has returned.
  process.once('exit', () => {
    if (!failed) return;
    // Whether the work was done, the exit code already says: only a command that ended well is said so.
    const done = !process.exitCode;
    // No command ran (`stowage --help`, a usage error): no work to tell of.
    const seen = command === undefined ? undefined : WORK_SEEN[command];
    try {
      writeSync(2, `stowage: its output could not be written (${failed.message})${done && seen ? `; ${seen}` : ''}\n`);
    } catch {
      // stderr is where the output failed: the exit code alone tells it.
    }
    if (done) process.exitCode = 1;
  });
}
