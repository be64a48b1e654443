import { appendFileSync, closeSync, existsSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { dirname } from 'node:path';
import { randomUUID } from 'node:crypto';
import { ownerGone } from '../process/alive.js';
import { makeFolder } from '../process/make-folder.js';

/**
 * Records this process started: Running while it runs. Any other Running record whose pid is gone,
 * or now names a process started after it (a container's PID 1, reused by every start), was
 * interrupted.
 */
const startedHere = new Set<string>();

export type SyncStatus = 'Running' | 'Success' | 'Partial' | 'Failure';

/** One sync as `stowage history` shows it. */
export interface SyncRecord {
  id: string;
  warehouse: string;
  /** Classic: a scheduled or manual sync of the log. Storage Actions: the write after a run (trigger `run <id>`). */
  path: 'classic' | 'storage-actions';
  trigger: string;
  startedAt: string;
  endedAt?: string;
  status: SyncStatus;
  calls: number;
  rows: Record<string, number>;
  casts: number;
  rejects: number;
  duplicates: number;
  notices: string[];
  error?: string;
  pid?: number;
}


/**
 * Sync history: an append-only NDJSON file of start and end records, folded by sync id. A sync
 * whose process died (kill -9) shows as a Failure, "interrupted", never as forever Running.
 */
export class History {
  /** Whether the file's folder is there: made with the first record, so that a command that records nothing (`check`) makes no state folder. */
  private folderMade = false;

  constructor(private readonly file: string) {}

  private append(line: string): void {
    if (!this.folderMade) makeFolder(dirname(this.file));
    this.folderMade = true;
    // A line cut short (a write that ran out of disk) would swallow this record whole: it starts
    // a line of its own (at worst, beside another process's append, a blank line, which is skipped).
    appendFileSync(this.file, endsCut(this.file) ? `\n${line}\n` : `${line}\n`);
  }

  /** Records the start of a sync or a write (status Running, with this process's pid) and returns it. */
  start(warehouse: string, path: SyncRecord['path'], trigger: string): SyncRecord {
    const record = this.draft(warehouse, path, trigger);
    this.record(record);
    return record;
  }

  /** A new sync's record, not written yet: `record` writes it. */
  draft(warehouse: string, path: SyncRecord['path'], trigger: string): SyncRecord {
    const prefix = path === 'classic' ? 'sync' : 'write';
    const record: SyncRecord = {
      id: `${prefix}_${new Date().toISOString().replace(/[-:.TZ]/g, '').slice(0, 14)}_${randomUUID().slice(0, 8)}`,
      warehouse,
      path,
      trigger,
      startedAt: new Date().toISOString(),
      status: 'Running',
      calls: 0,
      rows: {},
      casts: 0,
      rejects: 0,
      duplicates: 0,
      notices: [],
      pid: process.pid,
    };
    startedHere.add(record.id);
    return record;
  }

  record(entry: SyncRecord): void {
    this.append(JSON.stringify(entry));
  }

  /**
   * What a running sync or write has committed so far: a sync killed later shows what it loaded,
   * not none of it (the next one loads only the rest). Written after each commit; with `notices`,
   * its notices too (one the next sync would not give again: a state sent again).
   */
  progress(entry: SyncRecord, { notices = false } = {}): void {
    const { id, calls, rows, casts, rejects, duplicates } = entry;
    this.append(JSON.stringify({ id, calls, rows, casts, rejects, duplicates, ...(notices ? { notices: entry.notices } : {}) }));
  }

  list(): SyncRecord[] {
    if (!existsSync(this.file)) return [];
    const byId = new Map<string, SyncRecord>();
    for (const line of readFileSync(this.file, 'utf8').split('\n')) {
      if (!line.trim()) continue;
      try {
        const entry = JSON.parse(line) as SyncRecord;
        byId.set(entry.id, { ...byId.get(entry.id), ...entry });
      } catch {
        // A torn last line from a crash mid-write: the sync it belongs to shows as interrupted.
      }
    }
    return [...byId.values()].map((r) =>
      r.status === 'Running' && !(r.pid === process.pid && startedHere.has(r.id)) && ownerGone(r.pid ?? 0, Date.parse(r.startedAt)) ? { ...r, status: 'Failure' as const, error: r.error ?? `interrupted: the process running this ${r.path === 'classic' ? 'sync' : 'write'} stopped before it finished${r.calls > 0 ? ' (what it had committed is counted)' : ''}` } : r,
    );
  }
}

/** Whether the file's last line has no line break: a write cut short. */
function endsCut(file: string): boolean {
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    const size = fstatSync(fd).size;
    if (size === 0) return false;
    const last = Buffer.alloc(1);
    readSync(fd, last, 0, 1, size - 1);
    return last[0] !== 10;
  } catch {
    // No file yet.
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
