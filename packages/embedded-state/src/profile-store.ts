import { randomUUID } from 'node:crypto';
import { createWriteStream, mkdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { failpoint, type Change, ComputationKind, ProfileStore, RunHeader, RunOutcome, RunProfile } from '@stowage/core';
import { diffQuery } from './diff.js';
import { STATE_SCHEMA } from './schema.js';

const CHUNK = 5_000;
const lit = (s: string) => `'${s.replace(/'/g, "''")}'`;

interface ChangeRow {
  computation: string;
  profile_id: string;
  kind: string;
  value: string | null;
  version: bigint | number;
  run_id: string;
  at: string;
  user_id: string | null;
  anonymous_ids: string | null;
  emails: string | null;
  mobile_ids: string | null;
}

function toChange(space: string, r: ChangeRow): Change {
  return {
    space,
    computation: r.computation,
    kind: r.kind as Change['kind'],
    value: r.value === null ? null : JSON.parse(r.value),
    version: Number(r.version),
    runId: r.run_id,
    at: r.at,
    profile: {
      profileId: r.profile_id,
      userId: r.user_id,
      anonymousIds: r.anonymous_ids ? JSON.parse(r.anonymous_ids) : [],
      emails: r.emails ? JSON.parse(r.emails) : [],
      mobileIds: r.mobile_ids ? JSON.parse(r.mobile_ids) : [],
    },
  };
}

/**
 * Profile state in a DuckDB file (`<stateDir>/state.duckdb`). A run is staged in bulk and diffed
 * against the state in SQL, so memory stays flat however large the snapshot; changes are streamed
 * to the caller before the state commits, so a crash in between replays the same changes.
 */
export class EmbeddedProfileStore implements ProfileStore {
  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly db: DuckDBConnection,
    private readonly tmpDir: string,
  ) {}

  static async open(stateDir: string, timeoutMs = 30_000): Promise<EmbeddedProfileStore> {
    mkdirSync(stateDir, { recursive: true });
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        const instance = await DuckDBInstance.create(join(stateDir, 'state.duckdb'), { memory_limit: '512MB' });
        const db = await instance.connect();
        for (const sql of STATE_SCHEMA) await db.run(sql);
        return new EmbeddedProfileStore(instance, db, stateDir);
      } catch (error) {
        // Another stowage process holds the file; it is released when that command ends.
        if (!/lock/i.test((error as Error).message) || Date.now() > deadline) {
          throw new Error(`Cannot open the profile state in ${stateDir}: ${(error as Error).message}`);
        }
        await sleep(200);
      }
    }
  }

  async applyRun(header: RunHeader, kind: ComputationKind, profiles: AsyncIterable<RunProfile[]>, emit: (changes: Change[]) => Promise<void>): Promise<RunOutcome> {
    const { space, computation } = header;
    await this.db.run('BEGIN TRANSACTION');
    try {
      const seen = await this.db.runAndReadAll('SELECT 1 FROM runs WHERE space = $1 AND computation = $2 AND run_id = $3', [space, computation, header.id]);
      if (seen.currentRowCount > 0) {
        await this.db.run('ROLLBACK');
        return { applied: false, profiles: 0, changes: 0 };
      }
      const count = await this.stageRun(profiles);
      await this.db.run(
        `INSERT INTO profiles SELECT $1, profile_id, user_id, anonymous_ids, emails, mobile_ids FROM run_rows
         ON CONFLICT (space, profile_id) DO UPDATE SET user_id = excluded.user_id, anonymous_ids = excluded.anonymous_ids,
           emails = excluded.emails, mobile_ids = excluded.mobile_ids`,
        [space],
      );
      await this.db.run(`CREATE OR REPLACE TEMP TABLE run_changes AS ${diffQuery(kind, header.kind)}`, [space, computation]);
      const changes = await this.streamChanges(
        `SELECT $2 AS computation, c.profile_id, c.kind, c.value, c.version, $3 AS run_id, $4 AS at,
                p.user_id, p.anonymous_ids, p.emails, p.mobile_ids
         FROM run_changes c JOIN profiles p ON p.space = $1 AND p.profile_id = c.profile_id
         WHERE c.kind <> 'removed' ORDER BY c.profile_id`,
        [space, computation, header.id, header.completedAt],
        space,
        emit,
      );
      // A removed trait keeps its row (value NULL) so that its version keeps counting: a later
      // value gets a new version, hence a new message id, and is never mistaken for a duplicate.
      await this.db.run(
        `INSERT INTO memberships SELECT $1, $2, profile_id, $3, value, version, $4, $5 FROM run_changes
         ON CONFLICT (space, computation, profile_id) DO UPDATE SET value = excluded.value, version = excluded.version,
           run_id = excluded.run_id, updated_at = excluded.updated_at`,
        [space, computation, kind, header.id, header.completedAt],
      );
      await this.db.run('INSERT INTO runs VALUES ($1, $2, $3, $4, $5, $6, $7, $8)', [space, computation, header.id, header.kind, header.completedAt, new Date().toISOString(), count, changes]);
      failpoint('state:before-commit');
      await this.db.run('COMMIT');
      return { applied: true, profiles: count, changes };
    } catch (error) {
      await this.db.run('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      await this.db.run('DROP TABLE IF EXISTS run_rows').catch(() => undefined);
      await this.db.run('DROP TABLE IF EXISTS run_changes').catch(() => undefined);
    }
  }

  async currentState(space: string, emit: (changes: Change[]) => Promise<void>): Promise<number> {
    return this.streamChanges(
      `SELECT m.computation, m.profile_id,
              CASE WHEN m.kind = 'trait' THEN 'changed' WHEN m.value = 'true' THEN 'entered' ELSE 'exited' END AS kind,
              m.value, m.version, m.run_id, m.updated_at AS at, p.user_id, p.anonymous_ids, p.emails, p.mobile_ids
       FROM memberships m JOIN profiles p ON p.space = m.space AND p.profile_id = m.profile_id
       WHERE m.space = $1 AND m.value IS NOT NULL ORDER BY m.computation, m.profile_id`,
      [space],
      space,
      emit,
    );
  }

  /** Bulk-loads the run's profiles into `run_rows` (last entry wins for a repeated profile). */
  private async stageRun(profiles: AsyncIterable<RunProfile[]>): Promise<number> {
    const file = join(this.tmpDir, `run-${process.pid}-${randomUUID()}.ndjson`);
    let count = 0;
    try {
      const out = createWriteStream(file);
      for await (const chunk of profiles) {
        let text = '';
        for (const p of chunk) {
          text += JSON.stringify({
            seq: count++,
            profile_id: p.profileId,
            user_id: p.userId,
            anonymous_ids: JSON.stringify(p.anonymousIds),
            emails: JSON.stringify(p.emails),
            mobile_ids: JSON.stringify(p.mobileIds),
            value: p.value === undefined || p.value === null ? (p.value === null ? null : undefined) : JSON.stringify(p.value),
            op: p.op ?? null,
          }) + '\n';
        }
        if (!out.write(text)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
      }
      out.end();
      await finished(out);
      await this.db.run(
        `CREATE OR REPLACE TEMP TABLE run_rows AS SELECT * FROM read_json(${lit(file)}, format = 'newline_delimited',
           columns = {seq: 'BIGINT', profile_id: 'VARCHAR', user_id: 'VARCHAR', anonymous_ids: 'VARCHAR', emails: 'VARCHAR',
                      mobile_ids: 'VARCHAR', value: 'VARCHAR', op: 'VARCHAR'})
         QUALIFY row_number() OVER (PARTITION BY profile_id ORDER BY seq DESC) = 1`,
      );
      return count;
    } finally {
      await rm(file, { force: true });
    }
  }

  private async streamChanges(sql: string, params: Array<string | number>, space: string, emit: (changes: Change[]) => Promise<void>): Promise<number> {
    const result = await this.db.stream(sql, params);
    let total = 0;
    let pending: Change[] = [];
    for await (const rows of result.yieldRowObjectJs()) {
      for (const row of rows) pending.push(toChange(space, row as unknown as ChangeRow));
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
    this.db.closeSync();
    this.instance.closeSync();
  }
}
