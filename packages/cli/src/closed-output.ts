/**
 * Keeps a command working when whoever reads its output stops (`stowage demo | head -1`,
 * `stowage sync | grep -m1 Success`): the next line printed fails with EPIPE, and that stream
 * error, listened to by nobody, ended the process with a stack trace, in the middle of a sync or
 * a run. The command goes on to its end and its exit code; what it would have printed is dropped.
 */
let installed = false;

/** Once per process: `main` may be called more than once by a program that embeds the CLI. */
export function keepWorkingWhenOutputCloses(): void {
  if (installed) return;
  installed = true;
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      // Lines printed after the pipe closed find the stream destroyed: dropped too.
      if (error.code === 'EPIPE' || error.code === 'ERR_STREAM_DESTROYED') return;
      throw error;
    });
  }
}
