import type { RunHeader, RunProfile } from '../runs/run.js';

/** Where a run is: its profiles read and staged, the diff, its changes logged and written, the state committing. */
export interface RunProgress {
  space: string;
  computation: string;
  run: string;
  phase: 'staging' | 'diffing' | 'writing' | 'committing';
  /** Profiles of the run read so far. */
  profiles: number;
  /** Changes handed on so far (logged as calls, turned into events). */
  changes: number;
  /** Storage Actions events written so far (refused ones included; queued ones are not). */
  events: number;
  elapsedMs: number;
}

/** Progress reports of a run come at most this often (and at each change of phase). */
const RUN_PROGRESS_MS = 500;

/** Counts a run's progress and reports it: at each change of phase, and at most every RUN_PROGRESS_MS between. */
export function runProgress(header: RunHeader, onProgress: ((p: RunProgress) => void) | undefined) {
  const started = Date.now();
  const state: RunProgress = { space: header.space, computation: header.computation, run: header.id, phase: 'staging', profiles: 0, changes: 0, events: 0, elapsedMs: 0 };
  let last = 0;
  const report = (force: boolean) => {
    if (!onProgress) return;
    const now = Date.now();
    if (!force && now - last < RUN_PROGRESS_MS) return;
    last = now;
    onProgress({ ...state, elapsedMs: now - started });
  };
  const phase = (p: RunProgress['phase']) => {
    if (state.phase === p) return;
    state.phase = p;
    report(true);
  };
  return {
    phase,
    changes(n: number) {
      state.changes += n;
      if (state.phase !== 'writing') phase('writing');
      else report(false);
    },
    events(n: number) {
      state.events += n;
      report(false);
    },
    /** The run's profiles, counted as the store reads them; the diff starts when they end. */
    async *counting(profiles: AsyncIterable<RunProfile[]> | Iterable<RunProfile[]>): AsyncGenerator<RunProfile[]> {
      for await (const chunk of profiles) {
        // A chunk that is no array is the store's to refuse, saying what it is.
        if (Array.isArray(chunk)) state.profiles += chunk.length;
        report(false);
        yield chunk;
      }
      phase('diffing');
    },
  };
}
