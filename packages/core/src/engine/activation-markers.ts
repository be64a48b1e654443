import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ActivationConfig, SpaceConfig } from '../config/config.js';
import { isReplacement, replaceFile } from '../process/replace-file.js';

/**
 * What an activation's marker (`<stateDir>/activated/<space>/<activation>`) says of it, for the
 * computation and target the activation names now.
 */
export interface ActivationMark {
  /** It started with its current members for this computation and target. */
  begun: boolean;
  /** Rows were written to its table: the warehouse held it. */
  held: boolean;
  /** A write made its table again since, for other events: the warehouse had lost it. */
  madeAgain: boolean;
  /** Written by an earlier version, naming less than the target: to be written again. */
  outdated: boolean;
  /**
   * The first run of its computation applied while the activation was not configured (removed
   * from the configuration, or pointed at another computation): its table got no row of that run
   * or of any later one until it was configured again.
   */
  missed?: string;
}

/**
 * The markers of the activations that started with their current members: what for (an
 * activation pointed at another computation, warehouse, schema or table starts again there:
 * the new table would otherwise get exits of members it never saw enter, and never the members
 * who stay), whether the warehouse held the table, and whether it was made again since.
 */
export class ActivationMarkers {
  constructor(private readonly stateDir: string) {}

  read(space: string, activation: ActivationConfig): ActivationMark {
    const started = readMarker(this.path(space, activation.name));
    if (started === undefined) return { begun: false, held: false, madeAgain: false, outdated: false };
    // A marker of an earlier version names no computation, or no target: it stands for the ones
    // the activation names now.
    if (started === LEGACY_MARKER) return { begun: true, held: false, madeAgain: false, outdated: true };
    if (!sameStart(started, targetOf(activation))) return { begun: false, held: false, madeAgain: false, outdated: false };
    return { begun: true, held: started.held === true, madeAgain: started.held === true && started.lost === true, outdated: started.warehouse === undefined, missed: started.missed };
  }

  /**
   * A run of `computation` was applied: the activations of the space that started with its
   * members, and are no longer configured for it, missed it. Each one's marker keeps the first run
   * it missed (`ActivationMark.missed`), so that, configured again, it starts over with its
   * current members. A few file reads a run, for the names no longer configured alone.
   */
  missedBy(space: SpaceConfig, computation: string, runId: string): void {
    const dir = join(this.stateDir, 'activated', space.name);
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return;
    }
    for (const name of names) {
      if (isReplacement(name)) continue;
      const configured = Object.hasOwn(space.activations, name) ? space.activations[name] : undefined;
      if (configured?.computation === computation) continue;
      const path = join(dir, name);
      const started = readMarker(path);
      // A marker of an earlier version names no computation: whose runs it misses is not known.
      if (started === undefined || started === LEGACY_MARKER || started.computation !== computation || started.missed !== undefined) continue;
      const { held, lost, ...target } = started;
      replaceFile(path, JSON.stringify({ ...target, ...(held ? { held } : {}), ...(lost ? { lost } : {}), missed: runId, at: new Date().toISOString() }));
    }
  }

  /** Started (again) with the current members: not yet held, until rows are written to its table. */
  start(space: string, activation: ActivationConfig): void {
    this.write(space, activation, {});
  }

  /** The activations of the space whose table rows were written to, as their markers say now. */
  heldOf(space: SpaceConfig): Set<string> {
    return new Set(Object.values(space.activations).filter((a) => this.read(space.name, a).held).map((a) => a.name));
  }

  /** Rows were written to the activation's table (`ensureActivated`: one the warehouse then loses is told). */
  held(space: SpaceConfig, activation: ActivationConfig | undefined): void {
    if (!activation) return;
    const mark = this.read(space.name, activation);
    // The runs it missed stay noted: a flush of its queued rows is no start over with its members.
    if (mark.begun && !mark.held) this.write(space.name, activation, { held: true, ...missedOf(mark) });
  }

  /**
   * A write made these activations' table again, though rows were written to it before: a flush,
   * or another activation of the table, wrote first into the table the warehouse lost. Their next
   * run writes their current members again, as it does for a table it finds missing itself.
   */
  madeAgain(space: SpaceConfig, names: Iterable<string>): void {
    for (const name of names) {
      const activation = Object.hasOwn(space.activations, name) ? space.activations[name] : undefined;
      if (!activation) continue;
      const mark = this.read(space.name, activation);
      if (mark.held && !mark.madeAgain) this.write(space.name, activation, { held: true, lost: true, ...missedOf(mark) });
    }
  }

  private path(space: string, activation: string): string {
    return join(this.stateDir, 'activated', space, activation);
  }

  private write(space: string, activation: ActivationConfig, flags: { held?: true; lost?: true; missed?: string }): void {
    replaceFile(this.path(space, activation.name), JSON.stringify({ ...targetOf(activation), ...flags, at: new Date().toISOString() }));
  }
}

/** The run a marker says its activation missed, to be written again with it (`start` alone forgets it). */
const missedOf = (mark: ActivationMark): { missed?: string } => (mark.missed === undefined ? {} : { missed: mark.missed });

/** What `readMarker` gives for a marker written before markers named their computation. */
const LEGACY_MARKER = '\u0000legacy';

/** What an activation started with its current members for: its computation, and where it writes. */
interface ActivationStart {
  computation: string;
  /** Undefined in a marker written before markers named the target. */
  warehouse?: string;
  /** The schema an activation names; '' for the space's own. */
  schema?: string;
  table?: string;
  held?: boolean;
  lost?: boolean;
  /** See `ActivationMark.missed`. */
  missed?: string;
}

/** What an activation names: its computation, and where it writes. */
type Target = Required<Omit<ActivationStart, 'held' | 'lost' | 'missed'>>;

const targetOf = (a: ActivationConfig): Target => ({ computation: a.computation, warehouse: a.warehouse, schema: a.schema ?? '', table: a.table });

/** Whether a marker stands for the target: a marker without one stands for any target of its computation. */
function sameStart(started: ActivationStart, target: Target): boolean {
  if (started.computation !== target.computation) return false;
  return started.warehouse === undefined || (started.warehouse === target.warehouse && (started.schema ?? '') === target.schema && started.table === target.table);
}

/**
 * What an activation started with, or undefined. A marker written before markers named the
 * computation holds a time alone: it stands for the computation and target the activation names.
 */
function readMarker(path: string): ActivationStart | typeof LEGACY_MARKER | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const parsed = JSON.parse(text) as Record<string, unknown>;
    if (typeof parsed === 'object' && parsed !== null && typeof parsed.computation === 'string') {
      const field = (key: string) => (typeof parsed[key] === 'string' ? (parsed[key] as string) : undefined);
      return { computation: parsed.computation, warehouse: field('warehouse'), schema: field('schema'), table: field('table'), held: parsed.held === true, lost: parsed.lost === true, missed: field('missed') };
    }
  } catch {
    // A time alone.
  }
  return LEGACY_MARKER;
}
