import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { project, stowage, tempDir } from './support/cli.js';

const HOOK = pathToFileURL(resolve(import.meta.dirname, 'support/module-log.mjs')).href;

/** actions-core's files that load nothing heavy: what every command may load of it (see packages/core/src/actions/actions-core.ts). */
const ACTIONS_CORE_PARTS = /\/@segment\/actions-core\/dist\/cjs\/(destination-kit\/fields-to-jsonschema|defaults|errors|remove-empty-values|real-type-of|arrify)\.js$/;

/**
 * The packages a command loaded, by name (`@duckdb/node-api`, `pg`, …), from the module log: what
 * ES modules resolved to, and what CommonJS had loaded when the process exited. actions-core's
 * light files count as `@segment/actions-core (parts)`; any other file of it as the package.
 */
async function packagesLoaded(args: string[], cwd: string): Promise<Set<string>> {
  const log = join(tempDir('stowage-modules-'), 'modules.log');
  const r = await stowage(args, { cwd, env: { NODE_OPTIONS: `--import ${JSON.stringify(HOOK)}`, STOWAGE_MODULE_LOG: log } });
  expect(r.code, r.stderr).toBe(0);
  const names = new Set<string>();
  for (const line of readFileSync(log, 'utf8').split('\n')) {
    const match = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(line);
    if (!match) continue;
    names.add(ACTIONS_CORE_PARTS.test(line) ? '@segment/actions-core (parts)' : match[1]!);
  }
  return names;
}

/** Loaded by a warehouse's client or by the Storage Actions path alone: ~90 MB and ~0.5 s in all. */
const HEAVY = ['@duckdb/node-api', 'pg', 'pg-copy-streams', '@aws-sdk/client-s3', '@segment/actions-core', 'liquidjs', '@segment/fql-ts'];

/** An activation with no columns of its own: its configuration needs no mapping kit to check. */
const withActivation = {
  spaces: { shop: { id: 'spa_shop', computations: { carts: { type: 'linked_audience' } }, activations: { carts_out: { computation: 'carts', warehouse: 'local', table: 'carts' } } } },
};

describe('what a command loads', () => {
  it('loads no warehouse client for --help or history, and only DuckDB for a Classic sync into DuckDB', async () => {
    for (const dir of [project(), project(withActivation)]) {
      for (const args of [['--help'], ['history']]) {
        const loaded = await packagesLoaded(args, dir);
        // Both halves of the log were written: ES modules (commander) and CommonJS (actions-core's parts).
        expect(loaded.has('commander'), args.join(' ')).toBe(true);
        expect(loaded.has('@segment/actions-core (parts)'), args.join(' ')).toBe(true);
        for (const name of HEAVY) expect(loaded.has(name), `${args.join(' ')} loaded ${name}`).toBe(false);
      }
      const sync = await packagesLoaded(['sync'], dir);
      expect(sync.has('@duckdb/node-api')).toBe(true);
      expect(sync.has('@segment/actions-core (parts)')).toBe(true);
      for (const name of HEAVY.filter((n) => n !== '@duckdb/node-api')) expect(sync.has(name), `sync loaded ${name}`).toBe(false);
    }
  });

  it('loads actions-core whole once a run writes through an activation', async () => {
    const dir = project(withActivation);
    const run = join(dir, 'run.ndjson');
    writeFileSync(run, `${JSON.stringify({ space: 'shop', computation: 'carts', id: 'r1', completedAt: '2026-11-23T10:00:00Z' })}\n${JSON.stringify({ userId: 'u1', entityContext: { cart_id: 'c1' } })}\n`);
    const loaded = await packagesLoaded(['run', run], dir);
    expect(loaded.has('@segment/actions-core')).toBe(true);
    expect(loaded.has('pg')).toBe(false);
  });
});
