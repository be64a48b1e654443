import { realpathSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { DuckDBInstance, listValue, type DuckDBConnection } from '@duckdb/node-api';
import { engineThreads, failpoint, makeFolder, HeldTooLongError, kindChangedMessage, kindsOtherThan, openDuckDBFile, removeSpillLeftoversOf, STATE_FILE, type WaitWhileHeldOptions, StowageError, type ApplyOptions, type Change, type ChangeSink, ComputationKind, ProfileStore, RunHeader, RunOutcome, RunProfile } from '@stowage/core';
import { changesQuery, toChange, type ChangeRow, type RunOfChanges } from './changes.js';
import { ContextStore } from './context-store.js';
import { placedDiffQuery } from './diff.js';
import { ENTITY_CHANGES, entityDiffQuery } from './entity-diff.js';
import { STATE_SCHEMA } from './schema.js';
import { stateEpoch } from './state-epoch.js';
import { compareContent, markedKind, markedProfiles, runContentMark } from './run-content.js';
import { rowObjects } from './row-objects.js';
import { contextHash, stageRun } from './staging.js';
import { TextFile } from './text-file.js';

const CHUNK = 5_000;

/**
 * Other runs' unapplied attempts whose times a run's look for its message ids reads besides its
 * own (`ChangeSink.alsoAt`); past that many, it reads every row.
 */
const NAMED_ATTEMPTS = 16;

/** The hash of the context a member is given when the run states none. */
const EMPTY_CONTEXT_HASH = contextHash('{}');

/** Runs' texts files of this process, numbered: a library may apply runs of several state files at once. */
let runTexts = 0;

/**
 * The state database's settings: bounded memory (it spills to disk past it); no ordering
 * guarantee, which lets DuckDB stream a large run instead of buffering it in order; and a core
 * left to the JS thread, which stages the run and maps and writes the changes meanwhile.
 * A run's COMMIT appends to the WAL (fsynced: as durable) and checkpoints only past 256 MB of
 * it, or when the store closes, as the DuckDB warehouse does: at DuckDB's 16 MB default, a run
 * of 100,000 members with kilobyte contexts wrote its rows twice before it could return (its
 * COMMIT took 0.78 s, against 0.18 s).
 */
const STATE_OPTIONS = { memory_limit: '512MB', preserve_insertion_order: 'false', threads: String(engineThreads()), checkpoint_threshold: '256MB' };

/**
 * Profile state in a DuckDB file (`<stateDir>/state.duckdb`), linked audiences' entity contexts
 * in a texts file beside it (ContextStore). A run is staged in bulk and diffed against the state
 * in SQL, so the JS heap stays flat however large the snapshot; changes are streamed to the caller
 * before the state commits, so a crash in between replays the same changes.
 */
export class EmbeddedProfileStore implements ProfileStore {
  private closed = false;

  private constructor(
    private readonly file: StateFile,
    private readonly db: DuckDBConnection,
    /** Commits a run's completion time while the run's own transaction is open (`run_attempts`). */
    private readonly pins: DuckDBConnection,
  ) {}

  /** `options.compactContextsFrom`: the texts file's size past which it may be compacted (ContextStore); for tests. */
  /** `options.arrivedAt`: the caller's place in line for the file, when not the call (WaitWhileHeldOptions). */
  static async open(stateDir: string, timeoutMs = 30_000, options: { compactContextsFrom?: number; onWait?: (holder: string | undefined, ahead?: number) => void; waitInAllMs?: number; arrivedAt?: number } = {}): Promise<EmbeddedProfileStore> {
    makeFolder(stateDir);
    // By its real path: a folder reached through a symlink is the same file, and must be the same engine.
    const file = await openStateFile(join(realpathSync(resolve(stateDir)), STATE_FILE), timeoutMs, options).catch((error: unknown) => {
      // One process kept the file past the wait (a long run, a sync's backfill, a shell): say that, not DuckDB's read-only hint.
      if (error instanceof HeldTooLongError && error.ahead > 0) {
        throw new StowageError(`The profile state in ${stateDir} is held by other commands: ${error.ahead} ${error.ahead === 1 ? 'command waited' : 'commands waited'} ahead of this one, in the order they started, and the line did not move for ${Math.round(error.heldMs / 1000)} s (${Math.round(error.waitedMs / 1000)} s of waiting in all; the command at its front waits for the process that holds ${STATE_FILE}: another Stowage command, a long run or a sync's backfill, or a program that opened it). Nothing was applied or changed: run this command again once they are done`);
      }
      if (error instanceof HeldTooLongError) {
        const held =
          error.heldMs > timeoutMs
            ? `it kept it ${Math.round(error.heldMs / 1000)} s without letting go${error.waitedMs - error.heldMs >= 1_000 ? `, after ${Math.round(error.waitedMs / 1000)} s of waiting in all for the commands ahead of this one` : ''}`
            : `processes took it in turn for ${Math.round(error.waitedMs / 1000)} s, the longest a command waits for it`;
        // A StowageError: a library caller tells "try again later" from a fault by it (library.md).
        throw new StowageError(`The profile state in ${stateDir} is held by another process (${error.holder ?? 'unknown'}: another Stowage command, a long run or a sync's backfill, or a program that opened ${STATE_FILE}); ${held}. Nothing was applied or changed: run this command again once that process lets go of it`);
      }
      throw new Error(`Cannot open the profile state in ${stateDir}: ${(error as Error).message}`);
    });
    try {
      return new EmbeddedProfileStore(file, await file.instance.connect(), await file.instance.connect());
    } catch (error) {
      file.release();
      throw new Error(`Cannot open the profile state in ${stateDir}: ${(error as Error).message}`);
    }
  }

  /** One run at a time on the file in this process, whichever store of it applies it (`StateFile.turn`). */
  applyRun(given: RunHeader, kind: ComputationKind, profiles: AsyncIterable<RunProfile[]>, sink: ChangeSink, options: ApplyOptions = {}): Promise<RunOutcome> {
    const turn = this.file.turn.then(() => this.applyRunNow(given, kind, profiles, sink, options));
    this.file.turn = turn.catch(() => undefined);
    return turn;
  }

  private async applyRunNow(given: RunHeader, kind: ComputationKind, profiles: AsyncIterable<RunProfile[]>, sink: ChangeSink, options: ApplyOptions): Promise<RunOutcome> {
    const attempt = await this.earlierAttempt(given);
    const pinned = attempt?.completedAt;
    const header = pinned === undefined ? given : { ...given, completedAt: pinned };
    const { space, computation } = header;
    const contexts = this.file.contexts;
    const linked = kind === 'linked_audience';
    // Where the run's contexts are staged: a file of the run's own, whose texts new to the state
    // are then copied to the state's, or the state's itself (`inPlace`, below).
    let runFile: TextFile | undefined;
    let abandoned: string[] | undefined;
    /** Whether a run of the space that completed later was applied first: only then is `run_newer_ids` made (and dropped). */
    let later = false;
    try {
      await this.db.run('BEGIN TRANSACTION');
      const seen = await this.db.runAndReadAll('SELECT applied_at, content FROM runs WHERE space = $1 AND computation = $2 AND run_id = $3', [space, computation, header.id]);
      if (seen.currentRowCount > 0) {
        const [appliedAt, applied] = seen.getRowsJS()[0]!;
        // Sent again, the run changes nothing; what is sent under its id is staged (apart from
        // the state's texts) to be sure it is that run: another run's content under an id used
        // before (a fixed id, an export done again) was taken for it, and dropped without a word.
        if (typeof applied === 'string') {
          runFile = new TextFile(join(this.file.dir, `run-${process.pid}-${++runTexts}.texts`), 0);
          await stageRun(this.db, profiles, runFile);
          const content = await runContentMark(this.db, header.kind);
          if (compareContent(applied, content) === 'other') throw new StowageError(appliedOtherMessage(header, String(appliedAt), applied, content));
        }
        await this.db.run('ROLLBACK');
        return { applied: false, profiles: 0, changes: 0, ...(typeof appliedAt === 'string' ? { appliedAt } : {}) };
      }
      const held = await this.kindsOf(space, computation);
      const other = kindsOtherThan(kind, held);
      if (other) throw new StowageError(`${kindChangedMessage(space, computation, kind, other)}; nothing of this run was applied`);
      await this.db.run('INSERT INTO computation_kinds SELECT $1, $2, $3 WHERE NOT EXISTS (SELECT 1 FROM computation_kinds WHERE space = $1 AND computation = $2)', [space, computation, kind]);
      ({ later } = await this.checkOrder(header));
      abandoned = await this.checkInterrupted(header, options);
      // A linked audience's first run (the state holds nothing of it): every context it lists is
      // new to the state, so its texts are staged straight into the state's file, where they
      // stay, rather than into the run's own and copied over: half the writing (a million
      // kilobyte contexts: a gigabyte). Whatever of them the state does not keep (a profile's
      // earlier listing, a context of a profile listed as no member) is dead there, cut when the
      // attempt rolls back or left to compaction. Any other run's texts are mostly the state's
      // already: staged apart, so that the file takes only the new ones.
      const inPlace = linked && held.length === 0;
      const texts = inPlace ? contexts.texts : (runFile = new TextFile(join(this.file.dir, `run-${process.pid}-${++runTexts}.texts`), 0));
      const { profiles: count, repeats } = await stageRun(this.db, profiles, texts);
      texts.flush();
      const content = await runContentMark(this.db, header.kind);
      const compared = attempt ? compareContent(attempt.content, content) : 'none';
      if (compared === 'other') throw new StowageError(otherContentMessage(header, attempt!.content!, content));
      // Profiles whose identifiers a run that completed after this one stated (of another
      // computation, applied before it): they keep theirs. Taken back to what this older run
      // lists (a userId not known yet), every later change of every computation would go to the
      // older ids: an exit sent to nobody, the user left `true` in `users` for good.
      // Only after a run of the space that completed later (a profile's ids are stated by a run's
      // completion time): runs that come in order, the common case, spare the scan of the profiles.
      if (later) {
        await this.db.run(
          'CREATE OR REPLACE TEMP TABLE run_newer_ids AS SELECT p.profile_id FROM profiles p WHERE p.space = $1 AND p.ids_at > $2 AND p.profile_id IN (SELECT profile_id FROM run_rows)',
          [space, header.completedAt],
        );
      }
      const notNewer = later ? ' AND profile_id NOT IN (SELECT profile_id FROM run_newer_ids)' : '';
      // Profiles that gain identifiers (emails get no calls), before their rows are replaced.
      if (sink.restate) await this.db.run(gainedIds(sink.restateIds ?? { anonymous: true, mobile: true }, later), [space]);
      // Replace, not upsert: an upsert holds an index of every key in memory, which a run of a
      // million profiles with kilobyte contexts cannot afford; a delete and an append spill to disk.
      const taken = `profile_id IN (SELECT profile_id FROM run_rows)${notNewer}`;
      await this.db.run(`DELETE FROM profiles WHERE space = $1 AND ${taken}`, [space]);
      await this.db.run(
        `INSERT INTO profiles (space, profile_id, user_id, anonymous_ids, emails, mobile_ids, ids_at) SELECT $1, profile_id, user_id, anonymous_ids, emails, mobile_ids, $2 FROM run_rows WHERE ${taken}`,
        [space, header.completedAt],
      );
      const diffParams = !linked ? [space, computation] : inPlace ? [space, computation, EMPTY_CONTEXT_HASH] : [space, computation, EMPTY_CONTEXT_HASH, contexts.end];
      await this.db.run(`CREATE OR REPLACE TEMP TABLE run_changes AS ${placedDiffQuery(kind, header.kind, inPlace)}`, diffParams);
      // Entities are diffed against the memberships as they were before the run.
      if (linked) await this.db.run(`CREATE OR REPLACE TEMP TABLE run_entity_changes AS ${entityDiffQuery(header.kind, inPlace)}`, inPlace ? [space, computation] : [space, computation, contexts.end]);
      // From the first change handed on, the run's time is fixed: whatever this attempt writes
      // is stamped with it, and so is every later attempt's. Another run's attempt that handed
      // changes on and was never applied made the same message ids with its own time.
      const others = await this.othersAttemptedAt(header);
      sink.alsoAt?.(others, pinned === undefined && others?.length === 0, await this.knownUntil());
      if (pinned === undefined) await this.pins.run('INSERT INTO run_attempts (space, computation, run_id, completed_at, content) VALUES ($1, $2, $3, $4, $5)', [space, computation, header.id, header.completedAt, content]);
      const run = { computation, run_id: header.id, at: header.completedAt };
      let changes = await this.streamChanges(changesQuery(linked, kind === 'journey_step'), [space], space, (c) => sink.emit(c), run, texts);
      // Their new texts placed after the members' (entityDiffQuery).
      if (linked) changes += await this.streamChanges(ENTITY_CHANGES, [space], space, (c) => sink.emit(c), run, texts);
      // A users row is keyed by the userId: profiles that share one send their calls to one row.
      const shared = kind === 'audience' || kind === 'trait' ? await this.sharedUserIds(space) : undefined;
      // Read before this run's memberships are written: the run's own computation only where it changed nothing for the profile.
      // Most runs give no profile a new identifier: the look is skipped then, and DuckDB's plan
      // for it joined every membership of a large state to its profile first (280 ms a run at
      // 1,600,000 profiles, where the state of 400,000 took 5 ms).
      if (sink.restate && (await this.anyGainedIds())) {
        const restated = `${CLASSIC_STATE} AND m.profile_id IN (SELECT profile_id FROM run_new_ids) AND NOT (m.computation = $2 AND m.profile_id IN (SELECT profile_id FROM run_changes))`;
        await this.streamChanges(`${restated} ORDER BY m.computation, m.profile_id`, [space, computation], space, (c) => sink.restate!(c));
      }
      // The state's rows are written while the warehouses commit the run's last chunks (each
      // engine on its own thread); the state commits only once they have, so that a crash in
      // between replays the same changes. Its failure is told after theirs has been waited for.
      const settled = sink.settle();
      settled.catch(() => undefined);
      try {
        await this.writeMemberships(header, kind, linked);
      } catch (error) {
        await settled.catch(() => undefined);
        throw error;
      }
      await settled;
      await this.db.run('INSERT INTO runs (space, computation, run_id, kind, completed_at, applied_at, profiles, changes, content) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)', [
        space,
        computation,
        header.id,
        header.kind,
        header.completedAt,
        new Date().toISOString(),
        count,
        changes,
        content,
      ]);
      await contexts.prepareCommit(this.db);
      failpoint('state:before-commit');
      await this.db.run('COMMIT');
      contexts.committedNow();
      failpoint('state:after-commit');
      // Applied: the run is in `runs` for good, and its time with it: its own pin goes. Another
      // run's pin stays: that attempt diffed against a state of which this run may have moved
      // only some profiles (a delta), and a later run can make its ids again for the others.
      // (Not in the transaction, whose snapshot is older than the pin.) A pin left by a failure
      // here only widens later runs' looks by its time.
      await this.pins.run('DELETE FROM run_attempts WHERE space = $1 AND computation = $2 AND run_id = $3', [space, computation, header.id]).catch(() => undefined);
      // The run is applied whatever this does: a compaction that fails leaves the file as it was,
      // and the next run tries again; the user is told (a full disk would fail the runs next).
      const notices: string[] = [];
      if (compared === 'not comparable') notices.push(`run ${header.id} was interrupted before, under an earlier version of Stowage (or of DuckDB), after handing changes on: whether what was sent now holds what that attempt held could not be checked. Rows that attempt wrote are kept (their message ids are this run's): if the run was sent with other content, its activations' tables hold the interrupted attempt's rows for the profiles it changed`);
      if (shared) notices.push(shared);
      // A snapshot exported twice over, or a delta of a profile's moves: said, since "N profiles" counts each once.
      if (repeats > 0) notices.push(`${repeats} ${repeats === 1 ? 'listing' : 'listings'} of the run repeated a profile listed before: the last listing of each profile counts`);
      if (linked) {
        await contexts.compactIfWasteful(this.db).catch((error: unknown) => {
          notices.push(`the run is applied, but the entity contexts' file of the profile state could not be compacted (${(error as Error).message}); it keeps its dead texts, and the next run of a linked audience tries again: give the state folder room for a copy of the live contexts`);
        });
      }
      return { applied: true, profiles: count, changes, ...(abandoned?.length ? { abandoned } : {}), ...(notices.length ? { notices } : {}) };
    } catch (error) {
      await this.db.run('ROLLBACK').catch(() => undefined);
      contexts.rollback();
      throw diskError(error, this.file.dir) ?? outOfMemory(error) ?? error;
    } finally {
      if (runFile) {
        runFile.close();
        rmSync(runFile.path, { force: true });
      }
      await this.db.run('DROP TABLE IF EXISTS run_rows').catch(() => undefined);
      await this.db.run('DROP TABLE IF EXISTS run_entities').catch(() => undefined);
      await this.db.run('DROP TABLE IF EXISTS run_changes').catch(() => undefined);
      for (const table of ['run_entity_changes', 'run_kept', 'run_entities_kept', 'run_new_ids', ...(later ? ['run_newer_ids'] : [])]) await this.db.run(`DROP TABLE IF EXISTS ${table}`).catch(() => undefined);
    }
  }

  /**
   * The run's diff written into the state: memberships (and a linked audience's entities)
   * replaced by their rows after the run.
   */
  private async writeMemberships(header: RunHeader, kind: ComputationKind, linked: boolean): Promise<void> {
    const { space, computation } = header;
    // A removed trait keeps its row (value NULL) so that its version keeps counting: a later
    // value gets a new version, hence a new message id, and is never mistaken for a duplicate.
    // A row rewritten for its context alone (`kept`) keeps the run and time that made it what it
    // is: those two narrow columns are set aside, the old rows deleted, and the new ones inserted
    // straight from the diff (a copy of them would move every member's context once more).
    // Joined back by key alone (only kept rows are set aside): with the kind in the join's
    // condition too, DuckDB joined in nested loops, and a run that rewrote 80,000 entities'
    // contexts spent 7 s in it (quadratic: 100,000 members' contexts, minutes).
    await this.db.run(
      `CREATE OR REPLACE TEMP TABLE run_kept AS
       SELECT m.profile_id, m.run_id, m.updated_at FROM memberships m
       WHERE m.space = $1 AND m.computation = $2 AND m.profile_id IN (SELECT profile_id FROM run_changes WHERE kind = 'kept')`,
      [space, computation],
    );
    await this.db.run('DELETE FROM memberships WHERE space = $1 AND computation = $2 AND profile_id IN (SELECT profile_id FROM run_changes)', [space, computation]);
    // A member who exits keeps no context: its exit carried it, and nothing reads it again (a
    // return states its own), so that its text is dead in the file and goes at its compaction.
    await this.db.run(
      `INSERT INTO memberships (space, computation, profile_id, kind, value, version, run_id, updated_at, context, context_hash, context_at, context_len)
       SELECT $1, $2, c.profile_id, $3, c.value, c.version,
              CASE WHEN c.kind <> 'kept' THEN $4 ELSE k.run_id END, CASE WHEN c.kind <> 'kept' THEN $5 ELSE k.updated_at END,
              CASE WHEN c.kind <> 'exited' THEN c.context END, CASE WHEN c.kind <> 'exited' THEN c.context_hash END,
              CASE WHEN c.kind = 'exited' THEN NULL WHEN c.context_from = 'run' THEN c.store_at ELSE c.context_at END,
              CASE WHEN c.kind <> 'exited' THEN c.context_len END
       FROM run_changes c LEFT JOIN run_kept k ON k.profile_id = c.profile_id`,
      [space, computation, kind, header.id, header.completedAt],
    );
    if (linked) {
      // As for memberships: the kept rows' run and time set aside, old rows deleted, new ones inserted from the diff.
      await this.db.run(
        `CREATE OR REPLACE TEMP TABLE run_entities_kept AS
         SELECT e.profile_id, e.entity_id, e.run_id, e.updated_at FROM entity_memberships e
         WHERE e.space = $1 AND e.computation = $2
           AND (e.profile_id, e.entity_id) IN (SELECT (profile_id, entity_id) FROM run_entity_changes WHERE kind = 'entity_kept')`,
        [space, computation],
      );
      await this.db.run(
        `DELETE FROM entity_memberships WHERE space = $1 AND computation = $2
           AND (profile_id, entity_id) IN (SELECT (profile_id, entity_id) FROM run_entity_changes)`,
        [space, computation],
      );
      await this.db.run(
        `INSERT INTO entity_memberships (space, computation, profile_id, entity_id, present, context, context_hash, context_at, context_len, version, run_id, updated_at)
         SELECT $1, $2, c.profile_id, c.entity_id, c.present, NULL,
                CASE WHEN c.present THEN c.context_hash END, CASE WHEN c.present THEN c.store_at END, CASE WHEN c.present THEN c.context_len END,
                c.version, CASE WHEN c.kind <> 'entity_kept' THEN $3 ELSE k.run_id END, CASE WHEN c.kind <> 'entity_kept' THEN $4 ELSE k.updated_at END
         FROM run_entity_changes c
         LEFT JOIN run_entities_kept k ON k.profile_id = c.profile_id AND k.entity_id = c.entity_id`,
        [space, computation, header.id, header.completedAt],
      );
    }
  }

  /**
   * What to say of the run's changed profiles whose userId another profile of the space holds, or
   * undefined where none does. Their Classic calls go to one `users` row, each profile's values
   * overwriting the other's: the latest by time, and between calls of one run (an exit of one
   * profile, an entry of the other) the larger message id, a hash, so either profile's.
   */
  private async sharedUserIds(space: string): Promise<string | undefined> {
    const reader = await this.db.runAndReadAll(
      `SELECT count(DISTINCT p.user_id), min(p.user_id) FROM run_changes c
         JOIN profiles p ON p.space = $1 AND p.profile_id = c.profile_id
         JOIN profiles o ON o.space = $1 AND o.user_id = p.user_id AND o.profile_id <> p.profile_id
       WHERE p.user_id IS NOT NULL`,
      [space],
    );
    const [count, example] = reader.getRowsJS()[0] ?? [];
    const n = Number(count ?? 0);
    if (n === 0) return undefined;
    const ids = n === 1 ? `the userId ${JSON.stringify(example)}` : `${n.toLocaleString('en-US')} userIds (${JSON.stringify(example)}…)`;
    return (
      `${ids} of profiles this run changed ${n === 1 ? 'is' : 'are'} held by another profile of the space too: ` +
      `their calls go to one users row, where each profile's values overwrite the other's (between calls of one run, the one of the larger message id wins, either profile's); ` +
      `give each userId to one profile (its profileId)`
    );
  }

  /** Whether the run gives any profile an identifier a call goes to (`run_new_ids`, gainedIds). */
  private async anyGainedIds(): Promise<boolean> {
    const reader = await this.db.runAndReadAll('SELECT EXISTS (SELECT 1 FROM run_new_ids)');
    return reader.getRowsJS()[0]?.[0] === true;
  }

  /**
   * Refuses a run that completed before the latest applied run of its computation: applied after
   * it, an older state would take the profiles back, and every later run would be diffed against it.
   */
  private async checkOrder(header: RunHeader): Promise<{ later: boolean }> {
    // In the same statement (each costs a few milliseconds of a run's latency): whether a run of
    // another computation of the space completed after this one (its profiles' ids are newer).
    const latest = await this.db.runAndReadAll(
      'SELECT arg_max(run_id, completed_at) FILTER (WHERE computation = $2), max(completed_at) FILTER (WHERE computation = $2), count(*) FILTER (WHERE completed_at > $3) > 0 FROM runs WHERE space = $1',
      [header.space, header.computation, header.completedAt],
    );
    const [row] = latest.getRowsJS();
    if (row?.[1] === null || row?.[1] === undefined || String(row[1]) <= header.completedAt) return { later: row?.[2] === true };
    throw new StowageError(
      `run ${header.id} of ${header.space}/${header.computation} completed at ${header.completedAt}, before run ${String(row[0])}, which completed at ${String(row[1])} and is applied: a computation's runs are applied in the order they completed (an older state would take the profiles back); nothing of this run was applied`,
    );
  }

  /**
   * Other runs of the computation that were interrupted after they handed changes on (into the
   * Classic log, into activations' tables) and were never applied. This run, diffed against the
   * state they never moved, would make changes with their message ids, skipped as duplicates
   * where the warehouse has theirs, and their changes would stay in the warehouses against the
   * state: it is refused until they are applied again, unless the user gives them up
   * (`abandonInterrupted`), which is recorded so that it is asked once. Returns those given up.
   */
  private async checkInterrupted(header: RunHeader, options: ApplyOptions): Promise<string[] | undefined> {
    // An attempt whose run is applied (killed after its commit, before its pin went) is done.
    const reader = await this.db.runAndReadAll(
      `SELECT DISTINCT a.run_id FROM run_attempts a
        WHERE a.space = $1 AND a.computation = $2 AND a.run_id <> $3 AND a.abandoned IS NOT TRUE
          AND NOT EXISTS (SELECT 1 FROM runs r WHERE r.space = a.space AND r.computation = a.computation AND r.run_id = a.run_id)
        ORDER BY a.run_id`,
      [header.space, header.computation, header.id],
    );
    const interrupted = reader.getRowsJS().map((row) => String(row[0]));
    if (interrupted.length === 0) return undefined;
    if (!options.abandonInterrupted) {
      const named = interrupted.length === 1 ? `run ${interrupted[0]} of ${header.space}/${header.computation} was` : `runs ${interrupted.join(', ')} of ${header.space}/${header.computation} were`;
      throw new StowageError(
        `${named} interrupted after handing changes on (to the Classic log, or to activations' tables) and never applied: apply ${interrupted.length === 1 ? 'it' : 'them'} again first (\`stowage run <file>\`; nothing loads twice), then run ${header.id}. Applied over ${interrupted.length === 1 ? 'it' : 'them'}, run ${header.id}'s changes would share message ids with those changes and be skipped as duplicates, and those changes would stay in the warehouses though the state never took them (--abandon-interrupted applies it anyway); nothing of run ${header.id} was applied`,
      );
    }
    // Kept (their times still widen the look for message ids), marked as given up.
    await this.pins.run('UPDATE run_attempts SET abandoned = true WHERE space = $1 AND computation = $2 AND run_id <> $3', [header.space, header.computation, header.id]);
    return interrupted;
  }

  /**
   * The completion times of other runs' attempts of the computation that handed changes on and
   * were never applied (`ChangeSink.alsoAt`); undefined past `NAMED_ATTEMPTS` of them.
   */
  private async othersAttemptedAt(header: RunHeader): Promise<string[] | undefined> {
    const others = await this.pins.runAndReadAll(
      'SELECT DISTINCT completed_at FROM run_attempts WHERE space = $1 AND computation = $2 AND run_id <> $3 ORDER BY completed_at LIMIT $4',
      [header.space, header.computation, header.id, NAMED_ATTEMPTS + 1],
    );
    const times = others.getRowsJS().map((row) => String(row[0]));
    return times.length > NAMED_ATTEMPTS ? undefined : times;
  }

  /**
   * The latest time a run applied or attempted stamped its changes with (`ChangeSink.alsoAt`'s
   * `knownUntil`), of every space (an activation may write a schema of the user's that
   * activations of other spaces write too): an attempt killed before the state committed, or
   * given up, wrote its rows with its time. Null for none.
   */
  private async knownUntil(): Promise<string | null> {
    const reader = await this.db.runAndReadAll('SELECT max(t) FROM (SELECT completed_at AS t FROM runs UNION ALL SELECT completed_at FROM run_attempts)');
    const latest = reader.getRowsJS()[0]?.[0];
    return typeof latest === 'string' ? latest : null;
  }

  /** The completion time and content mark of an earlier attempt of the run that handed changes on, if one did. */
  private async earlierAttempt(header: RunHeader): Promise<{ completedAt: string; content: string | null } | undefined> {
    const reader = await this.db.runAndReadAll('SELECT completed_at, content FROM run_attempts WHERE space = $1 AND computation = $2 AND run_id = $3', [header.space, header.computation, header.id]);
    const [row] = reader.getRowsJS();
    return row ? { completedAt: String(row[0]), content: row[1] === null ? null : String(row[1]) } : undefined;
  }

  get epoch(): string {
    return this.file.epoch;
  }

  storedKinds(space: string): Promise<ReadonlyMap<string, readonly ComputationKind[]>> {
    const turn = this.file.turn.then(async () => {
      // Recorded, or (a computation no run recorded yet) as its memberships hold it.
      const reader = await this.db.runAndReadAll(
        `SELECT computation, kind FROM computation_kinds WHERE space = $1
         UNION
         SELECT DISTINCT computation, kind FROM memberships WHERE space = $1 AND computation NOT IN (SELECT computation FROM computation_kinds WHERE space = $1)
         ORDER BY computation, kind`,
        [space],
      );
      const kinds = new Map<string, ComputationKind[]>();
      for (const [computation, kind] of reader.getRowsJS() as Array<[string, ComputationKind]>) kinds.set(computation, [...(kinds.get(computation) ?? []), kind]);
      return kinds;
    });
    this.file.turn = turn.catch(() => undefined);
    return turn;
  }

  /** The kinds the state holds one computation as: recorded, else as its memberships hold it. */
  private async kindsOf(space: string, computation: string): Promise<ComputationKind[]> {
    const recorded = await this.db.runAndReadAll('SELECT kind FROM computation_kinds WHERE space = $1 AND computation = $2', [space, computation]);
    const reader = recorded.currentRowCount > 0 ? recorded : await this.db.runAndReadAll('SELECT DISTINCT kind FROM memberships WHERE space = $1 AND computation = $2 ORDER BY kind', [space, computation]);
    return reader.getRowsJS().map((row) => row[0] as ComputationKind);
  }

  /** On the runs' turn: a run's end may rewrite the texts file its contexts are read from (ContextStore). */
  members(space: string, computation: string, emit: (changes: Change[]) => Promise<void>): Promise<number> {
    const turn = this.file.turn.then(() => this.membersNow(space, computation, emit));
    this.file.turn = turn.catch(() => undefined);
    return turn;
  }

  private membersNow(space: string, computation: string, emit: (changes: Change[]) => Promise<void>): Promise<number> {
    return this.streamChanges(
      `SELECT m.computation, m.profile_id, 'entered' AS kind, m.value, m.version, m.run_id, m.updated_at AS at,
              m.context AS entity_context, m.context_hash, m.context_at, m.context_len, p.user_id, p.anonymous_ids, p.emails, p.mobile_ids
       FROM memberships m JOIN profiles p ON p.space = m.space AND p.profile_id = m.profile_id
       WHERE m.space = $1 AND m.computation = $2 AND m.kind IN ('audience', 'linked_audience') AND m.value = 'true'`,
      [space, computation],
      space,
      emit,
    );
  }

  /** In turn with runs: a run's transaction is open on the same connection while it applies. */
  applied(space: string, runs: Readonly<Record<string, string>>): Promise<Record<string, boolean>> {
    const turn = this.file.turn.then(async () => {
      const marked = Object.entries(runs);
      // One query for them all: a query each made every run of a space of 1,700 computations
      // take 1.2 s more (each run asks this of every computation's latest run).
      const reader = await this.db.runAndReadAll(
        `SELECT r.computation FROM runs r
         JOIN (SELECT unnest($2::VARCHAR[]) AS computation, unnest($3::VARCHAR[]) AS run_id) m ON m.computation = r.computation AND m.run_id = r.run_id
         WHERE r.space = $1`,
        [space, listValue(marked.map(([computation]) => computation)), listValue(marked.map(([, run]) => run))],
      );
      const found = new Set(reader.getRowsJS().map((row) => String(row[0])));
      return Object.fromEntries(marked.map(([computation]) => [computation, found.has(computation)]));
    });
    this.file.turn = turn.catch(() => undefined);
    return turn;
  }

  /** In turn with runs, as `applied`. Compared as moments: a time is written one way by the header, but read as one. */
  runsCompletedAt(space: string, computation: string, at: string): Promise<Array<{ run: string; appliedAt: string }>> {
    const turn = this.file.turn.then(async () => {
      const reader = await this.db.runAndReadAll('SELECT run_id, completed_at, applied_at FROM runs WHERE space = $1 AND computation = $2', [space, computation]);
      const moment = Date.parse(at);
      return reader
        .getRowsJS()
        .filter((row) => Date.parse(String(row[1])) === moment)
        .map((row) => ({ run: String(row[0]), appliedAt: String(row[2]) }));
    });
    this.file.turn = turn.catch(() => undefined);
    return turn;
  }

  /** Classic Storage carries audiences and traits only, so linked audiences and journey steps are left out. */
  async currentState(space: string, emit: (changes: Change[]) => Promise<void>): Promise<number> {
    return this.streamChanges(`${CLASSIC_STATE} ORDER BY m.computation, m.profile_id`, [space], space, emit);
  }

  /**
   * Streams changes out in chunks. A row's entity context is read from the run's texts (`texts`)
   * or the state's, and a context new to the state is appended to the state's texts file where
   * the diff placed it; a row streamed only for that (`emitted` false) is not emitted. A run
   * staged in place (`texts` the state's own file) has its new contexts there already.
   */
  private async streamChanges(sql: string, params: Array<string | number>, space: string, emit: (changes: Change[]) => Promise<void>, run?: RunOfChanges, texts?: TextFile): Promise<number> {
    const stored = this.file.contexts.texts;
    const result = await this.db.stream(sql, params);
    let total = 0;
    let pending: Change[] = [];
    for await (const rows of rowObjects<ChangeRow>(result)) {
      for (const row of rows) {
        if (row.context_from === 'run' && texts === stored) {
          // Staged in place (a first run): the text is where the diff leaves it, nothing to copy.
          if (row.emitted === false) continue;
          row.entity_context = stored.readText({ at: Number(row.context_at), len: Number(row.context_len) });
        } else if (row.context_from === 'run') {
          const bytes = texts!.readBytes({ at: Number(row.context_at), len: Number(row.context_len) });
          const placed = stored.appendBytes(bytes);
          if (placed.at !== Number(row.store_at)) throw new Error(`a context of profile ${JSON.stringify(row.profile_id)} went to ${placed.at} in ${stored.path}, where the run placed it at ${Number(row.store_at)}; nothing of this run was applied`);
          if (row.emitted === false) continue;
          row.entity_context = bytes.toString('utf8');
        } else if (row.entity_context == null && row.context_at != null) {
          const text = stored.readText({ at: Number(row.context_at), len: Number(row.context_len) });
          // A file changed in place would otherwise hand on another member's context, or broken JSON.
          if (row.context_hash && contextHash(text) !== row.context_hash) {
            throw new Error(`the entity context of profile ${JSON.stringify(row.profile_id)} read from ${stored.path} (${Number(row.context_len)} bytes at ${Number(row.context_at)}) is not the one the profile state stored: the file was changed outside Stowage. Restore it from a backup taken together with state.duckdb beside it; nothing of this run was applied`);
          }
          row.entity_context = text;
        }
        pending.push(toChange(space, row, this.file.epoch, run));
      }
      if (pending.length >= CHUNK) {
        total += pending.length;
        await emit(pending);
        pending = [];
      }
    }
    if (pending.length) {
      total += pending.length;
      await emit(pending);
    }
    return total;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // After this store's runs: its connections are theirs until they end.
    await this.file.turn;
    this.db.closeSync();
    this.pins.closeSync();
    this.file.release();
  }
}

/** The ids of a JSON array of mobile ids (`{ id, type }`): calls are told apart by the id alone. */
const mobileIds = (column: string) => `list_transform(from_json(coalesce(${column}, '[]'), '[{"id":"VARCHAR"}]'), m -> m.id)`;

/**
 * The profiles of the run (`run_rows`) that gain an identifier a call goes to: a userId; where
 * calls go to them (`to`), an anonymous id they did not have while they have no userId (calls go
 * to the userId where there is one), or a mobile id they did not have. Ids only reordered gain
 * nothing; the JSON is read only where the text differs. Not those whose ids a later run stated
 * (`run_newer_ids`, where `newerIds`): they keep them.
 */
function gainedIds(to: { anonymous: boolean; mobile: boolean }, newerIds: boolean): string {
  const anonymous = `(r.user_id IS NULL AND r.anonymous_ids IS DISTINCT FROM p.anonymous_ids AND NOT coalesce(list_has_all(from_json(coalesce(p.anonymous_ids, '[]'), '["VARCHAR"]'), from_json(coalesce(r.anonymous_ids, '[]'), '["VARCHAR"]')), true))`;
  const mobile = `(r.mobile_ids IS DISTINCT FROM p.mobile_ids AND NOT coalesce(list_has_all(${mobileIds('p.mobile_ids')}, ${mobileIds('r.mobile_ids')}), true))`;
  return `CREATE OR REPLACE TEMP TABLE run_new_ids AS SELECT r.profile_id FROM run_rows r JOIN profiles p ON p.space = $1 AND p.profile_id = r.profile_id
  WHERE ${newerIds ? 'r.profile_id NOT IN (SELECT profile_id FROM run_newer_ids) AND ' : ''}((r.user_id IS NOT NULL AND r.user_id IS DISTINCT FROM p.user_id)${to.anonymous ? ` OR ${anonymous}` : ''}${to.mobile ? ` OR ${mobile}` : ''})`;
}

/** The current value of each audience and computed trait of a space (`$1`), as changes from nothing, with each profile's identifiers as they are. */
const CLASSIC_STATE = `SELECT m.computation, m.profile_id,
       CASE WHEN m.kind = 'trait' THEN 'changed' WHEN m.value = 'true' THEN 'entered' ELSE 'exited' END AS kind,
       m.value, m.version, m.run_id, m.updated_at AS at, p.user_id, p.anonymous_ids, p.emails, p.mobile_ids
  FROM memberships m JOIN profiles p ON p.space = m.space AND p.profile_id = m.profile_id
  WHERE m.space = $1 AND m.kind IN ('audience', 'trait') AND m.value IS NOT NULL`;

/**
 * The state's engine out of its memory (STATE_OPTIONS' 512MB) as it applied a run, said as such:
 * DuckDB's own words name neither the database nor anything a user of Stowage can set. Linked
 * audiences' contexts, the widest of a run's fields, are kept out of it (ContextStore); what is
 * left in it is each profile's identifiers, values and journey fields.
 */
function outOfMemory(error: unknown): Error | undefined {
  const message = (error as Error)?.message ?? '';
  if (!/Out of Memory Error/i.test(message)) return undefined;
  return new Error(`the profile state ran out of its memory (512MB) as it applied the run: its profiles' identifiers, values and journey contexts come to more than it holds in one run. Nothing of this run was applied (${message.split('\n')[0]})`, { cause: error });
}

/** A full or read-only disk under the state, said as such: which folder, and that the run can be sent again. */
function diskError(error: unknown, dir: string): Error | undefined {
  const message = (error as Error)?.message ?? String(error);
  const code = (error as { code?: string })?.code;
  const full = code === 'ENOSPC' || code === 'EDQUOT' || /no space left on device|disk quota exceeded/i.test(message);
  const readOnly = code === 'EROFS' || /read-only file system/i.test(message);
  if (!full && !readOnly) return undefined;
  const what = full ? 'its disk is full' : 'its disk is read-only';
  return new Error(`the profile state in ${dir} could not be written: ${what} (${message.split('\n')[0]}). Nothing of this run was applied; what it wrote to activations' tables is kept, and is not written again: free room there, then run it again`, { cause: error });
}

/**
 * The process's engine on a state file, shared by every store opened on it. Two engines on one
 * file in one process each believe they own it: each commits over the other's runs, which are
 * lost. Runs of all its stores take turns: each is one transaction over the same tables.
 */
interface StateFile {
  instance: DuckDBInstance;
  /** The folder of the state: its database and texts files. */
  dir: string;
  /** The linked audiences' entity contexts (ContextStore), one per file: runs append to it in turn. */
  contexts: ContextStore;
  /** The state's epoch (stateEpoch): in every change's message ids; '' for a state from before epochs. */
  epoch: string;
  /** The end of the last run handed a turn. */
  turn: Promise<unknown>;
  /** Lets go of the file: the last store to close closes the engine. */
  release(): void;
}

const stateFiles = new Map<string, { file: Promise<StateFile>; stores: number }>();

async function openStateFile(path: string, timeoutMs: number, { compactContextsFrom, onWait, waitInAllMs, arrivedAt }: { compactContextsFrom?: number; onWait?: (holder: string | undefined, ahead?: number) => void; waitInAllMs?: number; arrivedAt?: number }): Promise<StateFile> {
  let entry = stateFiles.get(path);
  if (!entry) {
    const wait = { timeoutMs, ...(onWait ? { onWait } : {}), ...(waitInAllMs !== undefined ? { inAllMs: waitInAllMs } : {}), ...(arrivedAt !== undefined ? { arrivedAt } : {}) };
    const made = { file: createWaitingForLock(path, wait).then((instance) => stateFile(path, instance, compactContextsFrom)), stores: 0 };
    // The tables made once per file, not by each store: two at once would conflict on the catalog.
    stateFiles.set(path, made);
    made.file.catch(() => {
      if (stateFiles.get(path) === made) stateFiles.delete(path);
    });
    entry = made;
  }
  entry.stores++;
  try {
    return await entry.file;
  } catch (error) {
    entry.stores--;
    throw error;
  }
}

async function stateFile(path: string, instance: DuckDBInstance, compactContextsFrom?: number): Promise<StateFile> {
  let contexts: ContextStore;
  let epoch: string;
  try {
    const setup = await instance.connect();
    try {
      // A process killed while the state spilled past its memory limit (a run of a million profiles
      // spills as it stages them) left its spill files in `state.duckdb.tmp/`.
      await removeSpillLeftoversOf(async (sql) => (await setup.runAndReadAll(sql)).getRowsJS()[0]);
      for (const sql of STATE_SCHEMA) await setup.run(sql);
      epoch = await stateEpoch(setup);
      contexts = await ContextStore.open(dirname(path), setup, compactContextsFrom);
    } finally {
      setup.closeSync();
    }
  } catch (error) {
    instance.closeSync();
    throw error;
  }
  const file: StateFile = {
    instance,
    dir: dirname(path),
    contexts,
    epoch,
    turn: Promise.resolve(),
    release: () => {
      const entry = stateFiles.get(path);
      if (!entry || --entry.stores > 0) return;
      stateFiles.delete(path);
      contexts.close();
      instance.closeSync();
    },
  };
  return file;
}

/** Opens the file, waiting while other processes hold it in turn: each lets go of it when its command ends. */
/**
 * Processes waiting for the state take it in the order they came (`waiting/`, a ticket each): a
 * computation's runs started in the order they completed are applied in that order.
 */
function createWaitingForLock(path: string, wait: WaitWhileHeldOptions): Promise<DuckDBInstance> {
  return openDuckDBFile(path, () => DuckDBInstance.create(path, STATE_OPTIONS), { ...wait, queue: join(dirname(path), WAITING_DIR), release: (instance) => instance.closeSync() });
}

/** The folder of the state's waiters' tickets (WaitQueue). */
const WAITING_DIR = 'waiting';

/**
 * How the run sent now differs from `earlier` (`the run applied`, `the interrupted attempt`), as
 * their marks tell: by its kind first, since the same profiles sent as a delta under a snapshot's
 * id were said to be other profiles ("as many profiles, but not the same").
 */
function howOther(who: string, earlier: string, now: string): string {
  const [earlierKind, nowKind] = [markedKind(earlier), markedKind(now)];
  if (earlierKind !== nowKind) return `${who} was a ${earlierKind}, this one a ${nowKind}`;
  return markedProfiles(earlier) === markedProfiles(now) ? `${who} held as many profiles, ${markedProfiles(now)}, but not the same` : `${who} held ${markedProfiles(earlier)} profiles, this one ${markedProfiles(now)}`;
}

/** Another run's content sent under the id of a run applied before. */
function appliedOtherMessage(header: RunHeader, appliedAt: string, earlier: string, now: string): string {
  const run = `run ${header.id} of ${header.space}/${header.computation}`;
  return `${run} was applied at ${appliedAt}, and what is sent now under its id is another run (${howOther('the run applied', earlier, now)}): a run id names one run's content. Send this run under an id of its own; nothing of it was applied`;
}

/**
 * A run sent again under the id of an attempt that handed changes on, with other content: its
 * changes would have other message ids, and the attempt's would stay in the warehouses against
 * the state for good (entered rows no exit ever follows).
 */
function otherContentMessage(header: RunHeader, earlier: string, now: string): string {
  const run = `run ${header.id} of ${header.space}/${header.computation}`;
  return `${run} was interrupted after handing changes on (to the Classic log, or to activations' tables), and what is sent now under its id is another run (${howOther('the interrupted attempt', earlier, now)}): a run id names one run's content. Send the run as it was then (\`stowage run <file>\`; nothing loads twice). If it cannot be sent again, give this run another id and apply it with --abandon-interrupted (the library's abandonInterrupted): the interrupted attempt's changes then stay in the warehouses as they are; nothing of ${run} was applied`;
}
