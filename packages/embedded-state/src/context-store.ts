import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { TextFile } from './text-file.js';

/** A texts file is rewritten with its live texts alone once it is past this size and at least half of it is dead. */
export const COMPACT_FROM_BYTES = 64 * 1024 * 1024;

/**
 * Every text the state refers to: members' contexts and present entities'. A member who exited
 * keeps none; rows an earlier version wrote still place one, which nothing reads (FORGET_EXITED_PLACES).
 */
const REFERENCES = `SELECT context_at, context_len FROM memberships WHERE context_at IS NOT NULL AND value = 'true'
  UNION ALL SELECT context_at, context_len FROM entity_memberships WHERE context_at IS NOT NULL`;

/**
 * Places of exited members' contexts, which versions before 2026-12-06 kept: their texts were
 * counted live, and a linked audience whose members had all exited kept every context they ever
 * had. Forgotten as the file is rewritten, where the texts they place are left behind.
 */
const FORGET_EXITED_PLACES = `UPDATE memberships SET context_hash = NULL, context_at = NULL, context_len = NULL WHERE context_at IS NOT NULL AND value IS DISTINCT FROM 'true'`;

const fileName = (generation: number) => `contexts-${generation}.texts`;
const STALE = /^(contexts-\d+|run-\d+-\d+)\.texts$/;

/**
 * The linked audiences' entity contexts (members' and their entities'), kept once, by
 * reference: the text in an append-only file beside the state database, the state's rows
 * holding its place and hash. A run moves only hashes and places through DuckDB; each context's
 * text is written once, as it is read, and never copied from table to table. Measured on a run of 1,000,000 members with kilobyte
 * contexts, when the texts went through the state's tables: staging ~16 s, the diff 2.2 s,
 * `memberships` 7.7 s and a checkpoint of 4.7 s; by reference, ~12 s, 1.7 s and 1.7 s.
 *
 * Durable with the state: the texts a commit refers to are fsynced before it, and the file's
 * committed length is a row of the commit (`context_file`). Whatever lies past that length was
 * written by an attempt that did not commit, and is cut when the file is opened or the attempt
 * rolls back. When the dead texts (contexts since replaced) outweigh the live ones, the live
 * ones are copied into a file of the next generation, and the state switches to it in one commit.
 */
export class ContextStore {
  private constructor(
    private readonly dir: string,
    private generation: number,
    private committed: number,
    private file: TextFile,
    private readonly compactFromBytes: number,
  ) {}

  /** Opens the current generation's file, cut to its committed length; files of other generations and runs' leftovers go. */
  static async open(dir: string, db: DuckDBConnection, compactFromBytes = COMPACT_FROM_BYTES): Promise<ContextStore> {
    const reader = await db.runAndReadAll('SELECT generation, length FROM context_file');
    let [row] = reader.getRowsJS();
    if (!row) {
      await db.run('INSERT INTO context_file VALUES (0, 0)');
      row = [0n, 0n];
    }
    const generation = Number(row[0]);
    const committed = Number(row[1]);
    const path = join(dir, fileName(generation));
    // Missing, it is not made again empty: the state and its texts must be restored together.
    if (committed > 0 && !existsSync(path)) {
      throw new Error(`the file ${path} is missing, which holds the entity contexts of linked audience members the profile state refers to (${committed} bytes), kept nowhere else: restore it from a backup taken together with state.duckdb beside it; nothing was applied or changed`);
    }
    const file = new TextFile(path, committed);
    // Only once the state and its file agree are other files taken for leftovers (a compaction's
    // or a run's, cut short): with a state.duckdb from elsewhere they may be the only copy.
    // One process has the state at a time (DuckDB's lock on its file), and it has just opened it.
    for (const name of readdirSync(dir)) {
      if (!STALE.test(name) || name === fileName(generation)) continue;
      try {
        rmSync(join(dir, name), { force: true });
      } catch {
        // A leftover that cannot be removed (not a file) only takes room: it never stops the state.
      }
    }
    return new ContextStore(dir, generation, committed, file, compactFromBytes);
  }

  get texts(): TextFile {
    return this.file;
  }

  /** Where the next text goes: a run's new contexts are placed from here, in the order the run lists them. */
  get end(): number {
    return this.file.length;
  }

  /** The texts of the open transaction made durable, and their length recorded in it: call just before COMMIT. */
  async prepareCommit(db: DuckDBConnection): Promise<void> {
    if (this.file.length === this.committed) return;
    this.file.sync();
    await db.run('UPDATE context_file SET length = $1', [this.file.length]);
  }

  committedNow(): void {
    this.committed = this.file.length;
  }

  /** The attempt rolled back: its texts go. */
  rollback(): void {
    this.file.truncate(this.committed);
  }

  /**
   * Rewrites the file with its live texts alone when the dead ones (contexts since replaced)
   * make up half of it or more. Called after a run's commit, on its turn.
   */
  async compactIfWasteful(db: DuckDBConnection): Promise<{ from: number; to: number } | undefined> {
    const reader = await db.runAndReadAll(`SELECT coalesce(sum(context_len), 0) FROM (${REFERENCES})`);
    const live = Number(reader.getRowsJS()[0]![0]);
    const from = this.file.length;
    if (from < this.compactFromBytes || live * 2 > from) return undefined;
    const nextGeneration = this.generation + 1;
    const nextPath = join(this.dir, fileName(nextGeneration));
    rmSync(nextPath, { force: true });
    const next = new TextFile(nextPath, 0);
    try {
      // Each live text moves to the sum of the lengths before it, in the order they lie: one pass over each file.
      await db.run(
        `CREATE OR REPLACE TEMP TABLE context_moves AS
         SELECT old_at, len, sum(len) OVER (ORDER BY old_at ROWS UNBOUNDED PRECEDING) - len AS new_at
         FROM (SELECT DISTINCT context_at AS old_at, context_len AS len FROM (${REFERENCES}))`,
      );
      const moves = await db.stream('SELECT old_at, len, new_at FROM context_moves ORDER BY old_at');
      for await (const rows of moves.yieldRows()) {
        for (const [oldAt, len, newAt] of rows as unknown as Array<[bigint, bigint, bigint]>) {
          if (next.length !== Number(newAt)) throw new Error(`compacting ${this.file.path}: a text landed at ${next.length}, not ${Number(newAt)}`);
          next.appendBytes(this.file.readBytes({ at: Number(oldAt), len: Number(len) }));
        }
      }
      next.sync();
      await db.run('BEGIN TRANSACTION');
      try {
        await db.run(FORGET_EXITED_PLACES);
        for (const table of ['memberships', 'entity_memberships']) await db.run(`UPDATE ${table} SET context_at = m.new_at FROM context_moves m WHERE ${table}.context_at = m.old_at`);
        await db.run('UPDATE context_file SET generation = $1, length = $2', [nextGeneration, next.length]);
        await db.run('COMMIT');
      } catch (error) {
        await db.run('ROLLBACK').catch(() => undefined);
        throw error;
      }
    } catch (error) {
      next.close();
      rmSync(nextPath, { force: true });
      throw error;
    } finally {
      await db.run('DROP TABLE IF EXISTS context_moves').catch(() => undefined);
    }
    const old = this.file;
    this.file = next;
    this.generation = nextGeneration;
    this.committed = next.length;
    old.close();
    rmSync(old.path, { force: true });
    return { from, to: next.length };
  }

  close(): void {
    this.file.close();
  }
}
