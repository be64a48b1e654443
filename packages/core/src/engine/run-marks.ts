import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { replaceFile } from '../process/replace-file.js';

/** Computation key → the id of a run of it. */
export type RunsByComputation = Record<string, string>;

/**
 * A computation's latest run applied (or received by a warehouse), as kept: its id, with the
 * epoch of the profile state that applied it and its completion time (marks from before these
 * were kept: the id alone).
 */
type Mark = string | { run: string; epoch?: string; at?: string };

/** The last run of a computation a warehouse received, and its completion time (`RunMarks.receivedUpTo`). */
export interface ReceivedRun {
  run: string;
  at: string;
}

/** A latest run applied, with the epoch of the state that applied it and its completion time where they were kept. */
export interface LatestRun {
  computation: string;
  run: string;
  epoch?: string;
  at?: string;
}

/**
 * Which run of each computation is the latest applied, and which each warehouse has received
 * (its calls logged for it). A warehouse that was out of the configuration while runs were
 * applied, or that a computation was not connected to, is behind; it is sent the computation's
 * current state when it is next met, as a new warehouse is (`Stowage.ensureBackfilled`).
 * A mark lost in a crash only makes a warehouse look behind: the current state sent again
 * carries the message ids of the calls that made it, and loads nothing twice.
 */
export class RunMarks {
  constructor(private readonly stateDir: string) {}

  /** The latest run applied of each computation of the space. */
  latest(space: string): RunsByComputation {
    return Object.fromEntries(this.latestRuns(space).map(({ computation, run }) => [computation, run]));
  }

  /** The latest run applied of each computation of the space, with the epoch of the state that applied it where kept. */
  latestRuns(space: string): LatestRun[] {
    const marks = (read(this.latestPath(space)) ?? {}) as Record<string, Mark>;
    return Object.entries(marks).map(([computation, mark]) => (typeof mark === 'string' ? { computation, run: mark } : { computation, ...mark }));
  }

  /** Whether any run of the space was marked: an install from before run marks has none. */
  recorded(space: string): boolean {
    return existsSync(this.latestPath(space));
  }

  /** Sets the latest runs of the space as given (`Stowage.ensureBackfilled`, for an install from before run marks). */
  seed(space: string, runs: RunsByComputation): void {
    write(this.latestPath(space), runs);
  }

  /** The run of each computation the warehouse has received; undefined before any was recorded. */
  sent(warehouse: string, space: string): RunsByComputation | undefined {
    const marks = read(this.sentPath(warehouse, space));
    // Kept as ids alone until completion times were kept beside them.
    return marks && Object.fromEntries(Object.entries(marks).map(([c, mark]) => [c, typeof mark === 'string' ? mark : mark.run]));
  }

  /**
   * A run applied by the profile state of `epoch`, its calls logged for `warehouses`: the latest
   * first, so that a crash between the two writes errs towards sending again.
   */
  applied(space: string, computation: string, run: string, epoch: string, warehouses: readonly string[], at?: string): void {
    write(this.latestPath(space), { ...read(this.latestPath(space)), [computation]: { run, epoch, ...(at !== undefined ? { at } : {}) } });
    for (const warehouse of warehouses) this.received(warehouse, space, { [computation]: at !== undefined ? { run, at } : run });
  }

  /** The latest runs of these computations of the space, to mark as received (`received`), with their completion times where kept. */
  latestMarks(space: string, computations: readonly string[]): Record<string, Mark> {
    const marks = read(this.latestPath(space)) ?? {};
    return Object.fromEntries(computations.filter((c) => marks[c] !== undefined).map((c) => {
      const mark = marks[c]!;
      return [c, typeof mark === 'string' || mark.at === undefined ? (typeof mark === 'string' ? mark : mark.run) : { run: mark.run, at: mark.at }];
    }));
  }

  /** The warehouse has received these runs (a backfill, or a run's calls), with their completion times where known. */
  received(warehouse: string, space: string, runs: Record<string, Mark>): void {
    write(this.sentPath(warehouse, space), { ...read(this.sentPath(warehouse, space)), ...runs });
  }

  /**
   * The completion time of the latest run of each computation the warehouse has received, where
   * it was kept: its changes up to then, and the state's before them, reached the warehouse.
   */
  receivedUpTo(warehouse: string, space: string): Record<string, ReceivedRun> {
    const marks = read(this.sentPath(warehouse, space)) ?? {};
    return Object.fromEntries(Object.entries(marks).flatMap(([c, mark]) => (typeof mark === 'object' && mark.at !== undefined ? [[c, { run: mark.run, at: mark.at }]] : [])));
  }

  /** The file of a space whose runs were marked as applied, of any space: a state folder that has applied runs. */
  anyApplied(): string | undefined {
    const dir = join(this.stateDir, 'runs', 'latest');
    if (!existsSync(dir)) return undefined;
    const file = readdirSync(dir).find((name) => name.endsWith('.json') && Object.keys(read(join(dir, name)) ?? {}).length > 0);
    return file === undefined ? undefined : join('runs', 'latest', file);
  }

  private latestPath(space: string): string {
    return join(this.stateDir, 'runs', 'latest', `${encodeURIComponent(space)}.json`);
  }

  private sentPath(warehouse: string, space: string): string {
    return join(this.stateDir, 'runs', 'sent', encodeURIComponent(warehouse), `${encodeURIComponent(space)}.json`);
  }
}

function read(path: string): Record<string, Mark> | undefined {
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Record<string, Mark>;
  } catch {
    // A torn file (a crash mid-write on a file system that does not rename atomically): read as
    // no mark, which sends the current state again, at worst.
    return {};
  }
}

function write(path: string, runs: Record<string, Mark>): void {
  replaceFile(path, JSON.stringify(runs));
}
