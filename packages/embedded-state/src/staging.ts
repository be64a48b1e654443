import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { EntityRecord, RunProfile } from '@stowage/core';

const lit = (s: string) => `'${s.replace(/'/g, "''")}'`;
/** JSON text, or NULL (a missing key) when the run left the field out. */
const jsonText = (value: unknown) => (value === undefined ? undefined : JSON.stringify(value));

/** A profile's entities, contexts as JSON text; the last entry wins for a repeated entity, as for a repeated profile. */
function stagedEntities(entities: EntityRecord[] | undefined) {
  if (!entities) return null;
  const contexts = new Map(entities.map((e) => [e.id, JSON.stringify(e.context ?? {})]));
  return [...contexts].map(([id, context]) => ({ id, context }));
}

function stagedRow(seq: number, p: RunProfile) {
  return {
    seq,
    profile_id: p.profileId,
    user_id: p.userId,
    anonymous_ids: JSON.stringify(p.anonymousIds),
    emails: JSON.stringify(p.emails),
    mobile_ids: JSON.stringify(p.mobileIds),
    value: p.value === null ? null : jsonText(p.value),
    op: p.op ?? null,
    entity_context: p.entityContext ? JSON.stringify(p.entityContext) : null,
    entities: stagedEntities(p.entities),
    journey_context: jsonText(p.journeyContext),
    journey_metadata: jsonText(p.journeyMetadata),
  };
}

/**
 * Bulk-loads a run's profiles into the temp table `run_rows` through an NDJSON file in `dir`
 * (last entry wins for a repeated profile); returns how many profiles the run listed.
 */
export async function stageRun(db: DuckDBConnection, dir: string, profiles: AsyncIterable<RunProfile[]>): Promise<number> {
  const file = join(dir, `run-${process.pid}-${randomUUID()}.ndjson`);
  let count = 0;
  try {
    const out = createWriteStream(file);
    // Repeats are rare: spotted here, so that the common run needs no dedupe pass over wide rows.
    const seen = new Set<string>();
    let repeated = false;
    for await (const chunk of profiles) {
      let text = '';
      for (const p of chunk) {
        if (!repeated) repeated = seen.size === seen.add(p.profileId).size;
        text += JSON.stringify(stagedRow(count++, p)) + '\n';
      }
      if (!out.write(text)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
    }
    out.end();
    await finished(out);
    await db.run(
      `CREATE OR REPLACE TEMP TABLE run_rows AS SELECT * FROM read_json(${lit(file)}, format = 'newline_delimited',
         columns = {seq: 'BIGINT', profile_id: 'VARCHAR', user_id: 'VARCHAR', anonymous_ids: 'VARCHAR', emails: 'VARCHAR',
                    mobile_ids: 'VARCHAR', value: 'VARCHAR', op: 'VARCHAR', entity_context: 'VARCHAR',
                    entities: 'STRUCT(id VARCHAR, context VARCHAR)[]', journey_context: 'VARCHAR', journey_metadata: 'VARCHAR'})`,
    );
    // The last entry of a repeated profile wins. A window over the whole rows would sort their
    // contexts too (an entity context can be kilobytes): only the narrow key columns are ranked.
    if (repeated) await db.run('DELETE FROM run_rows WHERE seq NOT IN (SELECT max(seq) FROM run_rows GROUP BY profile_id)');
    return count;
  } finally {
    await rm(file, { force: true });
  }
}
