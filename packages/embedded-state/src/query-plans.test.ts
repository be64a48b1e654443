import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBConnection } from '@duckdb/node-api';
import { afterAll, describe, expect, it } from 'vitest';
import type { ComputationKind, RunProfile } from '@stowage/core';
import { EmbeddedProfileStore } from './profile-store.js';

const dir = mkdtempSync(join(tmpdir(), 'query-plans-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Join operators whose work grows with the product of their inputs' sizes. */
const QUADRATIC = /\b[A-Z_]*(NL_JOIN|NESTED_LOOP_JOIN|PIECEWISE_MERGE_JOIN)\b/g;

/**
 * Runs `work` with every statement the store runs or streams also planned (EXPLAIN, not run);
 * returns the quadratic joins of those plans, each with its statement's first words.
 */
async function quadraticJoins(work: () => Promise<void>): Promise<string[]> {
  const proto = DuckDBConnection.prototype as unknown as Record<'run' | 'stream', (this: DuckDBConnection, sql: string, ...rest: unknown[]) => Promise<unknown>>;
  const originals = { run: proto.run, stream: proto.stream };
  const found: string[] = [];
  let planning = false;
  const plan = async (db: DuckDBConnection, sql: string, rest: unknown[]) => {
    // Statements that read or write rows; a temp table made from a query is planned as that query.
    const query = sql.replace(/^\s*CREATE OR REPLACE TEMP TABLE \w+ AS/i, '');
    if (planning || !/^\s*(INSERT|DELETE|UPDATE|SELECT|WITH)\b/i.test(query)) return;
    planning = true;
    try {
      const reader = await db.runAndReadAll(`EXPLAIN ${query}`, ...(rest as []));
      const text = reader.getRows().map((row) => row.join('\n')).join('\n');
      for (const join of text.match(QUADRATIC) ?? []) found.push(`${join} in: ${sql.replace(/\s+/g, ' ').trim().slice(0, 100)}`);
    } finally {
      planning = false;
    }
  };
  for (const name of ['run', 'stream'] as const) {
    proto[name] = async function (this: DuckDBConnection, sql: string, ...rest: unknown[]) {
      await plan(this, sql, rest);
      return originals[name].call(this, sql, ...rest);
    };
  }
  try {
    await work();
  } finally {
    Object.assign(proto, originals);
  }
  return [...new Set(found)];
}

describe("the profile state's statements", () => {
  // DuckDB plans a join whose condition it cannot hash as nested loops: a rewrite of the rows a
  // run restated joined them back with the kind in its condition, and 200,000 restated members
  // took 45.6 s (3.7 s by hash). Plans depend on the statements' shapes, not on the rows' number.
  it('join by hash in every run of every kind, first and again: no join grows with the square of the run', async () => {
    const store = await EmbeddedProfileStore.open(dir);
    const sink = { emit: async () => undefined, settle: async () => undefined };
    const profiles = (round: number): RunProfile[] =>
      Array.from({ length: 20 }, (_, i) => ({
        profileId: `p${i}`, userId: `u${i}`, anonymousIds: [`a${i + round}`], emails: [], mobileIds: [],
        value: i % 3 === 0 ? null : i + round, entityContext: { round }, entities: [{ id: 'x', context: { round } }, { id: `y${round}`, context: {} }],
        journeyContext: { round }, journeyMetadata: { step: 1 },
      }));
    const kinds: ComputationKind[] = ['linked_audience', 'audience', 'trait', 'journey_step'];
    const joins = await quadraticJoins(async () => {
      for (const kind of kinds) {
        for (const [round, runKind] of [[1, 'snapshot'], [2, 'snapshot'], [3, 'delta']] as const) {
          const listed = profiles(round).slice(0, runKind === 'delta' ? 10 : round === 2 ? 15 : 20);
          await store.applyRun({ space: 's', computation: kind, id: `r${round}`, kind: runKind, completedAt: `2026-12-06T0${round}:00:00.000Z` }, kind, (async function* () { yield listed; })(), { ...sink, restate: async () => undefined });
        }
        await store.members('s', kind, async () => undefined);
      }
      await store.currentState('s', async () => undefined);
    });
    await store.close();
    expect(joins).toEqual([]);
  });
});
