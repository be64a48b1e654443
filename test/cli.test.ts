import { spawn, spawnSync } from 'node:child_process';
import { closeSync, copyFileSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, realpathSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { DuckDBInstance } from '@duckdb/node-api';
import { BIN, project, stowage, tempDir } from './support/cli.js';

/** A command run with its standard output on a full disk (`/dev/full`): its exit code and standard error. */
/**
 * `stowage sync <warehouse>` while this process holds the profile state, as a run in another
 * process would: after 3 s the warehouse's DuckDB file must be free (the test opens it, and fails
 * where the sync holds it), and the sync must say it waited for the state (so the file was free
 * because the sync let go of it, not because it had yet to open it). Then the state is let go of.
 */
async function syncWhileStateHeld(dir: string, warehouse: string, file: string) {
  const state = await DuckDBInstance.create(join(dir, '.stowage', 'state.duckdb'));
  // Held until the sync says it waits for it, however long a busy machine takes to get there.
  let waiting!: () => void;
  const waits = new Promise<void>((done) => (waiting = done));
  const sync = stowage(['sync', warehouse], { cwd: dir, onStderr: (soFar) => soFar.includes('waiting for the profile state') && waiting() });
  try {
    await Promise.race([waits, sync]);
    (await DuckDBInstance.create(join(dir, file))).closeSync();
  } finally {
    state.closeSync();
  }
  const synced = await sync;
  expect(synced.stderr).toContain('waiting for the profile state');
  return synced;
}

async function withOutputOnFullDisk(args: string[], cwd: string): Promise<{ code: number | null; stderr: string }> {
  const full = openSync('/dev/full', 'w');
  const child = spawn(process.execPath, [BIN, ...args], { cwd, stdio: ['ignore', full, 'pipe'] });
  closeSync(full);
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const code = await new Promise<number | null>((done) => child.on('close', (c) => done(c)));
  return { code, stderr };
}

/** Statements run on the project's DuckDB warehouse file, as a user would in their own session. */
async function inWarehouse(dir: string, ...statements: string[]): Promise<void> {
  const warehouse = await DuckDBInstance.create(join(dir, 'warehouse.duckdb'));
  const connection = await warehouse.connect();
  try {
    for (const statement of statements) await connection.run(statement);
  } finally {
    connection.closeSync();
    warehouse.closeSync();
  }
}


/** Runs the command while this process holds the warehouse's DuckDB file, let go once the command says it waits for it. */
async function whileFileHeld(dir: string, args: string[]) {
  const held = await DuckDBInstance.create(join(dir, 'warehouse.duckdb'));
  let waiting!: () => void;
  const waits = new Promise<void>((done) => (waiting = done));
  const command = stowage(args, { cwd: dir, onStderr: (soFar) => soFar.includes('waiting for warehouse') && waiting() });
  try {
    await Promise.race([waits, command]);
  } finally {
    held.closeSync();
  }
  return command;
}
describe('the stowage command', () => {
  it('says it waits for a warehouse file another process holds, and goes on once that process lets go of it', async () => {
    const dir = project();
    writeFileSync(join(dir, 'r1.ndjson'), [{ space: 'shop', computation: 'vip', id: 'r1' }, { userId: 'u1' }].map((x) => JSON.stringify(x)).join('\n'));
    expect((await stowage(['run', 'r1.ndjson'], { cwd: dir })).code).toBe(0);
    // Held by this process, as a sync or another run's write would hold it, until the sync says it waits.
    const synced = await whileFileHeld(dir, ['sync', 'local']);
    expect(synced.code, synced.stdout + synced.stderr).toBe(0);
    expect(synced.stderr).toContain(`waiting for warehouse "local": process ${process.pid} holds its file (a sync, or another command's write: one process writes a DuckDB file at a time); it is opened once that process lets go of it`);
  });

  it('says in check too that it waits for a warehouse file another process holds, rather than stalling without a word', async () => {
    const dir = project();
    expect((await stowage(['check'], { cwd: dir })).code).toBe(0);
    const result = await whileFileHeld(dir, ['check']);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stderr).toContain(`waiting for warehouse "local": process ${process.pid} holds its file`);
    expect(result.stdout).toContain('warehouse local (duckdb): connected');
  });

  it('prints its version, and in a git checkout the commit and its date, which upgrading.md names changes by', async () => {
    const { code, stdout } = await stowage(['--version'], { cwd: project() });
    expect(code).toBe(0);
    const inCheckout = existsSync(join(fileURLToPath(new URL('..', import.meta.url)), '.git'));
    expect(stdout.trim()).toMatch(inCheckout ? /^0\.1\.0 \(commit [0-9a-f]{7,} of \d{4}-\d{2}-\d{2}\)$/ : /^0\.1\.0$/);
  });

  it('documents every command with --help', async () => {
    const dir = project();
    const top = await stowage(['--help'], { cwd: dir });
    for (const command of ['demo', 'run', 'flush', 'ingest', 'sync', 'serve', 'history', 'refused', 'claim', 'rebuild-keys', 'check', 'schema']) {
      expect(top.stdout).toContain(command);
      const help = await stowage([command, '--help'], { cwd: dir });
      expect(help.code, command).toBe(0);
      expect(help.stdout).toContain(`Usage: stowage ${command}`);
    }
  });

  it('has every command and option its --help lists described in docs/cli.md, with the same default', async () => {
    const dir = project();
    const doc = readFileSync(fileURLToPath(new URL('../docs/cli.md', import.meta.url)), 'utf8');
    for (const command of ['demo', 'run', 'flush', 'ingest', 'sync', 'serve', 'history', 'refused', 'claim', 'rebuild-keys', 'check', 'schema']) {
      expect(doc, command).toContain(`\n## ${command}\n`);
      const section = doc.slice(doc.indexOf(`\n## ${command}\n`) + 1).split(/\n## /)[0]!;
      // The section opens with the command's usage: every option --help lists, with its argument.
      const usage = /```text\n(stowage [^\n]*)\n```/.exec(section)?.[1] ?? '';
      expect(usage, command).toContain(`stowage ${command}`);
      const help = (await stowage([command, '--help'], { cwd: dir })).stdout;
      const options = [...help.matchAll(/^ {2}(-\S*(?:, --\S+)?(?: <[^>]+>)?) {2,}(.*(?:\n {10,}.*)*)/gm)].filter(([, flag]) => !flag!.startsWith('-h,'));
      expect(options.length + (command === 'schema' ? 1 : 0), command).toBeGreaterThan(0);
      for (const [, flag, description] of options) {
        expect(usage, `${command}: ${flag}`).toContain(flag);
        // A default --help gives is the one the option's row of the section gives.
        const fallback = /\(default: "?([^")]+)"?\)/.exec(description!.replace(/\s+/g, ' '))?.[1];
        const row = section.split('\n').find((line) => line.startsWith(`| \`${flag}\``));
        if (fallback && row) expect(row, `${command}: ${flag}`).toMatch(new RegExp(`[ \`]${fallback.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}[\` |]`));
      }
    }
  });

  it('prints the configuration\'s JSON Schema, each warehouse type\'s settings included, that an editor checks a configuration with', async () => {
    const dir = project();
    const printed = await stowage(['schema'], { cwd: dir });
    expect(printed.code).toBe(0);
    const { default: Ajv } = await import('ajv');
    // Draft-07 as it is: a validator in its strict mode compiles it (actions-core's `format: "password"`,
    // which draft-07 has no such format, made Ajv's default refuse the whole schema).
    expect(() => new Ajv({ logger: false }).compile(JSON.parse(printed.stdout))).not.toThrow();
    const validate = new Ajv({ strict: false, logger: false }).compile(JSON.parse(printed.stdout));
    const config = JSON.parse(readFileSync(join(dir, 'stowage.config.json'), 'utf8'));
    expect(validate({ ...config, $schema: './stowage.schema.json' }), JSON.stringify(validate.errors)).toBe(true);
    // A settings key of another warehouse type, and a port that is no number, as check refuses them.
    expect(validate({ ...config, warehouses: { local: { type: 'duckdb', settings: { path: 'w.duckdb', url: 'postgres://x' } } } })).toBe(false);
    expect(validate({ ...config, warehouses: { pg: { type: 'postgres', settings: { host: 'db', port: 'five' } } } })).toBe(false);
    expect(validate({ ...config, warehouses: { pg: { type: 'postgres', settings: { host: 'db', port: 5432 } } } })).toBe(true);
    // A number or a yes/no written as an environment variable, as configuration.md shows and check reads it.
    expect(validate({ ...config, warehouses: { pg: { type: 'postgres', settings: { host: 'db', port: '${PGPORT}' } } } }), JSON.stringify(validate.errors)).toBe(true);
    expect(validate({ ...config, warehouses: { local: { type: 'duckdb', settings: { path: 'w.duckdb', threads: '${THREADS}' } } } })).toBe(true);
    expect(validate({ ...config, warehouses: { pg: { type: 'postgres', settings: { host: 'db', port: '$PGPORT' } } } })).toBe(false);
    // So is a setting of a few values (check reads the variable's value against them); a value not among them is still wrong.
    expect(validate({ ...config, warehouses: { pg: { type: 'postgres', settings: { host: 'db', sslmode: '${PGSSLMODE}', bulkLoad: '${BULK_LOAD}' } } } }), JSON.stringify(validate.errors)).toBe(true);
    expect(validate({ ...config, warehouses: { rs: { type: 'redshift', settings: { host: 'rs', sslmode: '${RS_SSLMODE}' } } } }), JSON.stringify(validate.errors)).toBe(true);
    expect(validate({ ...config, warehouses: { pg: { type: 'postgres', settings: { host: 'db', sslmode: 'prefer' } } } })).toBe(false);
  });

  it('has every key of the configuration\'s JSON Schema described in the docs, each warehouse type\'s settings in its page', async () => {
    const read = (page: string) => readFileSync(fileURLToPath(new URL(`../docs/${page}`, import.meta.url)), 'utf8');
    const pages: Record<string, string> = { duckdb: read('configuration.md'), postgres: read('warehouses/postgres.md'), redshift: read('warehouses/redshift.md') };
    const configuration = read('configuration.md');
    type Node = { properties?: Record<string, Node>; additionalProperties?: Node | boolean; allOf?: Array<{ if: { properties: { type: { const: string } } }; then: { properties: { settings: Node } } }> };
    const schema = JSON.parse((await stowage(['schema'], { cwd: project() })).stdout) as Node;
    // Each key is a row of a table (`| \`key\` |`, a nested one by its last part or its dotted path; an object by its keys' rows).
    const keys = (node: Node, path: string[] = []): string[][] => [
      ...Object.entries(node.properties ?? {}).flatMap(([key, child]) => [[...path, key], ...keys(child, [...path, key])]),
      ...(typeof node.additionalProperties === 'object' ? keys(node.additionalProperties, path) : []),
    ];
    const documented = (page: string, path: string[]) => [path.at(-1)!, path.slice(-2).join('.')].some((name) => new RegExp(`^\\| [^|]*\`${name.replace('$', '\\$')}[\`.]`, 'm').test(page));
    for (const path of keys(schema).filter((p) => p[0] !== 'warehouses' || p.length > 1)) expect(documented(configuration, path), path.join('.')).toBe(true);
    for (const typed of (schema.properties!.warehouses!.additionalProperties as Node).allOf!) {
      const type = typed.if.properties.type.const;
      for (const path of keys(typed.then.properties.settings)) expect(documented(pages[type]!, path), `${type}: ${path.join('.')}`).toBe(true);
    }
  });

  it('exits 2 on bad usage, saying what is wrong', async () => {
    const dir = project();
    for (const args of [['sync', 'nowhere'], ['ingest', '-', '--space', 'nope'], ['history', '-n', 'abc'], ['history', '-n', '1e2'], ['history', '-n', '0x10'], ['history', '-w', 'nowhere'], ['frobnicate']]) {
      const r = await stowage(args, { cwd: dir, input: '' });
      expect(r.code, args.join(' ')).toBe(2);
    }
    expect((await stowage(['sync', 'nowhere'], { cwd: dir })).stderr).toContain('No warehouse named "nowhere"; configured: local');
    expect((await stowage(['history', '-n', 'abc'], { cwd: dir })).stderr).toContain('expected a whole number');
    // A count past what a number holds exactly is said with the range, not as "of at least 1".
    expect((await stowage(['history', '-n', '99999999999999999999'], { cwd: dir })).stderr).toContain('expected a whole number from 1 to 9007199254740991');
    const help = await stowage(['help', 'bogus'], { cwd: dir });
    expect(help.code).toBe(2);
    expect(help.stderr).toContain("unknown command 'bogus'");
    // Help about help is the main help, not an unknown command '--help'.
    const helpHelp = await stowage(['help', '--help'], { cwd: dir });
    expect(helpHelp.code, helpHelp.stderr).toBe(0);
    expect(helpHelp.stdout).toContain('Usage: stowage [options] [command]');
    // A flush with nothing to write says so, rather than nothing at all.
    const flushed = await stowage(['flush', 'local'], { cwd: dir });
    expect(flushed.code).toBe(0);
    expect(flushed.stdout.trim()).toBe('Nothing to flush: no activation writes to warehouse local, and no events are queued for it');
    // A file STOWAGE_CONFIG names that is not there: the variable is named, not --config alone.
    const missing = await stowage(['history'], { cwd: dir, env: { STOWAGE_CONFIG: join(dir, 'nowhere.json') } });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(`${join(dir, 'nowhere.json')} does not exist: it is the file the environment variable STOWAGE_CONFIG names`);
    // STOWAGE_CONFIG set but empty counts as unset: the default file is read.
    const empty = await stowage(['history'], { cwd: dir, env: { STOWAGE_CONFIG: '' } });
    expect(empty.code, empty.stderr).toBe(0);
    expect(empty.stdout).toContain('No syncs yet');
  });

  it('refuses a wrong configuration before anything runs, naming the bad key and what is expected', async () => {
    const dir = project({
      warehouses: { local: { type: 'duckdb', settings: { path: 1 }, schedule: 'every hour', colour: 'red' } },
    });
    const r = await stowage(['sync'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('/warehouses/local: unknown key "colour"');
    const fixed = project({ warehouses: { local: { type: 'duckdb', settings: { path: 1 }, schedule: 'every hour' } } });
    const r2 = await stowage(['sync'], { cwd: fixed });
    expect(r2.code).toBe(2);
    expect(r2.stderr).toContain('/warehouses/local/settings/path: must be string');
    expect(r2.stderr).toContain('/warehouses/local/schedule: "every hour" is not a cron expression');
    expect(existsSync(join(fixed, '.stowage'))).toBe(false);
  });

  it('says which computation is unknown, and applies nothing of a run with a bad profile line', async () => {
    const dir = project();
    writeFileSync(join(dir, 'bad.json'), JSON.stringify({ space: 'shop', computation: 'nope', id: 'r1', profiles: [] }));
    const r = await stowage(['run', 'bad.json'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Unknown computation "nope" in space "shop"; configured: vip, ltv');
    writeFileSync(join(dir, 'r.ndjson'), ['{"space":"shop","computation":"vip","id":"r2"}', '{"userId":"u1"}', '{"userId":', '{"userId":"u3"}'].join('\n'));
    const r2 = await stowage(['run', 'r.ndjson'], { cwd: dir });
    expect(r2.code).toBe(1);
    expect(r2.stderr).toContain('r.ndjson:3: not valid JSON');
    const sync = await stowage(['sync'], { cwd: dir });
    expect(sync.stdout).toContain('0 calls');
  });

  it("refuses a computation's runs and the backfill of its state once its configured type no longer is the one its state holds", async () => {
    const dir = project();
    writeFileSync(join(dir, 'r1.json'), JSON.stringify({ space: 'shop', computation: 'ltv', id: 'r1', profiles: [{ userId: 'u1', value: 7 }, { userId: 'u2', value: 9 }] }));
    expect((await stowage(['run', 'r1.json'], { cwd: dir })).code).toBe(0);
    // The trait made an audience: its values would be read as members' exits.
    const config = JSON.parse(readFileSync(join(dir, 'stowage.config.json'), 'utf8'));
    config.spaces.shop.computations.ltv.type = 'audience';
    writeFileSync(join(dir, 'stowage.config.json'), JSON.stringify(config));
    const refusal = 'computation "ltv" of space "shop" is configured as an audience, but its profile state holds it as a trait (runs applied before its type was changed): a computation\'s type cannot change';
    writeFileSync(join(dir, 'r2.json'), JSON.stringify({ space: 'shop', computation: 'ltv', id: 'r2', profiles: [{ userId: 'u1' }] }));
    const run = await stowage(['run', 'r2.json'], { cwd: dir });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(refusal);
    expect(run.stderr).toContain('nothing of this run was applied');
    const check = await stowage(['check'], { cwd: dir });
    expect(check.code).toBe(1);
    expect(check.stdout + check.stderr).toContain(refusal);
    // And a second warehouse added: its backfill would have sent those values as exits.
    config.warehouses.second = { type: 'duckdb', settings: { path: 'second.duckdb' } };
    writeFileSync(join(dir, 'stowage.config.json'), JSON.stringify(config));
    const sync = await stowage(['sync', 'second'], { cwd: dir });
    expect(sync.code).toBe(1);
    expect(sync.stdout + sync.stderr).toContain(`the current state of space "shop" was not sent to warehouse "second": ${refusal}`);
    // The type set back: both go on, nothing of the refused attempts left behind.
    config.spaces.shop.computations.ltv.type = 'trait';
    writeFileSync(join(dir, 'stowage.config.json'), JSON.stringify(config));
    const again = await stowage(['sync', 'second'], { cwd: dir });
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(again.stdout).toContain('trait_computed 2');
  });

  it("sends a new warehouse no computation it is not connected to whose key names another's column (VIP and vip, each connected elsewhere)", async () => {
    const dir = project({
      spaces: { shop: { computations: { VIP: { type: 'audience', warehouses: { local: {} } }, vip: { type: 'audience', warehouses: { other: {} } }, ltv: { type: 'trait', warehouses: { local: {} } } } } },
      warehouses: { local: { type: 'duckdb', settings: { path: 'warehouse.duckdb' } }, other: { type: 'duckdb', settings: { path: 'other.duckdb' } } },
    });
    writeFileSync(join(dir, 'a.json'), JSON.stringify({ space: 'shop', computation: 'VIP', id: 'a', completedAt: '2026-11-01T00:00:00Z', profiles: [{ userId: 'u1' }, { userId: 'u3' }] }));
    writeFileSync(join(dir, 'b1.json'), JSON.stringify({ space: 'shop', computation: 'vip', id: 'b1', completedAt: '2026-11-01T00:00:00Z', profiles: [{ userId: 'u2' }, { userId: 'u3' }] }));
    writeFileSync(join(dir, 'b2.json'), JSON.stringify({ space: 'shop', computation: 'vip', id: 'b2', completedAt: '2026-11-02T00:00:00Z', profiles: [{ userId: 'u2' }] }));
    writeFileSync(join(dir, 'l.json'), JSON.stringify({ space: 'shop', computation: 'ltv', id: 'l', completedAt: '2026-11-01T00:00:00Z', profiles: [{ userId: 'u1', value: 5 }] }));
    expect((await stowage(['run', 'a.json', 'b1.json', 'b2.json', 'l.json'], { cwd: dir })).code).toBe(0);
    const config = JSON.parse(readFileSync(join(dir, 'stowage.config.json'), 'utf8'));
    config.warehouses.third = { type: 'duckdb', settings: { path: 'third.duckdb' } };
    writeFileSync(join(dir, 'stowage.config.json'), JSON.stringify(config));
    const sync = await stowage(['sync', 'third'], { cwd: dir });
    expect(sync.code, sync.stdout + sync.stderr).toBe(0);
    const db = await DuckDBInstance.create(join(dir, 'third.duckdb'));
    try {
      const c = await db.connect();
      // Only ltv, which names a column of its own: vip would hold VIP's u1 and vip's u2, and u3 in both.
      const rows = (await c.runAndReadAll('SELECT user_id, ltv FROM engage_shop.users ORDER BY user_id')).getRowObjectsJson();
      expect(rows).toEqual([{ user_id: 'u1', ltv: '5' }]);
      const columns = (await c.runAndReadAll("SELECT column_name FROM information_schema.columns WHERE table_schema = 'engage_shop' AND table_name = 'identifies' AND column_name = 'vip'")).getRowObjectsJson();
      expect(columns).toEqual([]);
    } finally {
      db.closeSync();
    }
  });

  it('sends a warehouse named like an object\'s own member (`constructor`) the state of a computation not connected to it as identify calls only', async () => {
    const dir = project({ spaces: { shop: { computations: { vip: { type: 'audience', warehouses: { a: {} } } } } }, warehouses: { a: { type: 'duckdb', settings: { path: 'a.duckdb' } } } });
    writeFileSync(join(dir, 'v1.json'), JSON.stringify({ space: 'shop', computation: 'vip', id: 'v1', profiles: [{ userId: 'u1' }] }));
    expect((await stowage(['run', 'v1.json'], { cwd: dir })).code).toBe(0);
    // Added once the state holds u1: its first sync is sent the state.
    const config = JSON.parse(readFileSync(join(dir, 'stowage.config.json'), 'utf8'));
    config.warehouses.constructor = { type: 'duckdb', settings: { path: 'c.duckdb' } };
    writeFileSync(join(dir, 'stowage.config.json'), JSON.stringify(config));
    const sync = await stowage(['sync', 'constructor'], { cwd: dir });
    expect(sync.code, sync.stdout + sync.stderr).toBe(0);
    expect(sync.stdout).toMatch(/identifies 1, users 1\n/);
    expect(sync.stdout).not.toContain('tracks');
  });

  it('sends a warehouse connected again no event it received before, though the event names changed meanwhile; the changes it missed come under the new names', async () => {
    const warehouses = { a: { type: 'duckdb', settings: { path: 'a.duckdb' } }, b: { type: 'duckdb', settings: { path: 'b.duckdb' } } };
    const configure = (vip: Record<string, unknown>) => writeFileSync(join(dir, 'stowage.config.json'), JSON.stringify({ spaces: { shop: { computations: { vip: { type: 'audience', warehouses: vip } } } }, warehouses }));
    const dir = project();
    configure({ a: {}, b: {} });
    const run = async (id: string, at: string, members: string[]) => {
      writeFileSync(join(dir, `${id}.json`), JSON.stringify({ space: 'shop', computation: 'vip', id, completedAt: at, profiles: members.map((userId) => ({ userId })) }));
      expect((await stowage(['run', `${id}.json`], { cwd: dir })).code).toBe(0);
      expect((await stowage(['sync', '-q'], { cwd: dir })).code).toBe(0);
    };
    await run('v1', '2026-11-01T00:00:00Z', ['u1', 'u3']);
    await run('v2', '2026-11-02T00:00:00Z', ['u1']);
    // b disconnected: it misses u4's entry; then connected again, its events renamed.
    configure({ a: {} });
    await run('v3', '2026-11-03T00:00:00Z', ['u1', 'u4']);
    configure({ a: {}, b: { enteredEvent: 'VIP Entered', exitedEvent: 'VIP Exited' } });
    const sync = await stowage(['sync', 'b'], { cwd: dir });
    expect(sync.code, sync.stdout + sync.stderr).toBe(0);
    const db = await DuckDBInstance.create(join(dir, 'b.duckdb'));
    try {
      const c = await db.connect();
      const read = async (sql: string) => (await c.runAndReadAll(sql)).getRowObjectsJson();
      const tables = (await read("SELECT table_name FROM information_schema.tables WHERE table_schema = 'engage_shop' AND table_name NOT LIKE '\\_stowage%' ESCAPE '\\' ORDER BY 1")).map((r) => r.table_name);
      // No vip_exited: u3's exit reached b as Audience Exited, before the rename.
      expect(tables).toEqual(['audience_entered', 'audience_exited', 'identifies', 'tracks', 'users', 'vip_entered']);
      expect(await read('SELECT user_id FROM engage_shop.audience_entered ORDER BY 1')).toEqual([{ user_id: 'u1' }, { user_id: 'u3' }]);
      expect(await read('SELECT user_id FROM engage_shop.audience_exited')).toEqual([{ user_id: 'u3' }]);
      expect(await read('SELECT user_id FROM engage_shop.vip_entered')).toEqual([{ user_id: 'u4' }]);
      // Each event once, in one event table, as in tracks.
      expect(await read('SELECT event, count(*) AS n FROM engage_shop.tracks GROUP BY event ORDER BY event')).toEqual([{ event: 'audience_entered', n: '2' }, { event: 'audience_exited', n: '1' }, { event: 'vip_entered', n: '1' }]);
      expect(await read('SELECT user_id, vip FROM engage_shop.users ORDER BY 1')).toEqual([{ user_id: 'u1', vip: true }, { user_id: 'u3', vip: false }, { user_id: 'u4', vip: true }]);
    } finally {
      db.closeSync();
    }
  });

  it("keeps a new warehouse's backfill of the space going where a changed computation sends no state to it (a linked audience's), and check tells it", async () => {
    const dir = project();
    const config = JSON.parse(readFileSync(join(dir, 'stowage.config.json'), 'utf8'));
    config.spaces.shop.computations.carts = { type: 'linked_audience' };
    writeFileSync(join(dir, 'stowage.config.json'), JSON.stringify(config));
    writeFileSync(join(dir, 'c1.json'), JSON.stringify({ space: 'shop', computation: 'carts', id: 'c1', profiles: [{ userId: 'u1', entityContext: { cart_id: 'x' } }] }));
    writeFileSync(join(dir, 'v1.json'), JSON.stringify({ space: 'shop', computation: 'vip', id: 'v1', profiles: [{ userId: 'u2' }] }));
    expect((await stowage(['run', 'c1.json', 'v1.json'], { cwd: dir })).code).toBe(0);
    config.spaces.shop.computations.carts.type = 'journey_step';
    config.warehouses.second = { type: 'duckdb', settings: { path: 'second.duckdb' } };
    writeFileSync(join(dir, 'stowage.config.json'), JSON.stringify(config));
    const sync = await stowage(['sync', 'second'], { cwd: dir });
    expect(sync.code, sync.stdout + sync.stderr).toBe(0);
    expect(sync.stdout).toContain('audience_entered 1');
    const check = await stowage(['check'], { cwd: dir });
    expect(check.stdout + check.stderr).toContain('computation "carts" of space "shop" is configured as a journey_step, but its profile state holds it as a linked_audience');
  });

  it('names in check a view standing where a table a sync or an activation writes is, and no other view', async () => {
    const dir = project({
      spaces: { shop: { id: 'spa_shop', computations: { vip: { type: 'audience' }, carts: { type: 'linked_audience' } }, activations: { a: { computation: 'carts', warehouse: 'local', table: 'carts' } } } },
    });
    const db = await DuckDBInstance.create(join(dir, 'warehouse.duckdb'));
    const c = await db.connect();
    for (const sql of [
      'CREATE SCHEMA engage_shop',
      'CREATE SCHEMA shop',
      'CREATE TABLE engage_shop.seen (id VARCHAR)',
      // The table of vip's entries, users, and an activation's table; a report of the user's own.
      'CREATE VIEW engage_shop.audience_entered AS SELECT * FROM engage_shop.seen',
      'CREATE VIEW engage_shop."Users" AS SELECT * FROM engage_shop.seen',
      'CREATE VIEW engage_shop.vip_report AS SELECT * FROM engage_shop.seen',
      'CREATE VIEW shop.carts AS SELECT 1 AS x',
    ]) await c.run(sql);
    c.closeSync();
    db.closeSync();
    const check = await stowage(['check'], { cwd: dir });
    expect(check.code, check.stdout + check.stderr).toBe(1);
    const named = check.stdout.split('\n').filter((line) => line.includes('not a table'));
    expect(named).toEqual([
      'warehouse local (duckdb): engage_shop.users is a view, not a table: Stowage recomputes its rows at every sync, so every sync fails on it; move it aside (ALTER … RENAME TO another name): the next sync makes the table again, whole, from identifies',
      'warehouse local (duckdb): engage_shop.audience_entered is a view, not a table: Stowage adds the columns and rows of calls to it, so every sync fails on it; move it aside (ALTER … RENAME TO another name) and put the table back under its name (ALTER TABLE … RENAME TO audience_entered), or let the next sync make it anew, holding the rows loaded from then on',
      'warehouse local (duckdb): shop.carts, which activation "a" writes, is a view, not a table: the activation\'s events would stay queued at every write; move it aside (ALTER … RENAME), so that a table is made there, or point the activation at another table',
    ]);
  });

  // Declared after the trait's first values made its columns, a valueType changed nothing, and no command said so.
  it("names in check a trait's column whose type is not the valueType declared after the column was made", async () => {
    const dir = project();
    writeFileSync(join(dir, 'r1.json'), JSON.stringify({ space: 'shop', computation: 'ltv', id: 'r1', profiles: [{ userId: 'u1', value: 450 }] }));
    expect((await stowage(['run', 'r1.json'], { cwd: dir })).code).toBe(0);
    expect((await stowage(['sync'], { cwd: dir })).code).toBe(0);
    const config = JSON.parse(readFileSync(join(dir, 'stowage.config.json'), 'utf8'));
    config.spaces.shop.computations.ltv.valueType = 'bigint';
    writeFileSync(join(dir, 'stowage.config.json'), JSON.stringify(config));
    const same = await stowage(['check'], { cwd: dir });
    expect(same.code, same.stdout + same.stderr).toBe(0);
    expect(same.stdout).not.toContain('valueType');
    config.spaces.shop.computations.ltv.valueType = 'string';
    writeFileSync(join(dir, 'stowage.config.json'), JSON.stringify(config));
    const check = await stowage(['check'], { cwd: dir });
    // Told, not failed: no sync fails on it.
    expect(check.code, check.stdout + check.stderr).toBe(0);
    const told = check.stdout.split('\n').filter((line) => line.includes('declares valueType'));
    expect(told.map((line) => line.slice(0, line.indexOf(' is bigint')))).toEqual([
      'warehouse local (duckdb): engage_shop.identifies.ltv',
      'warehouse local (duckdb): engage_shop.users.ltv',
      'warehouse local (duckdb): engage_shop.trait_computed.ltv',
    ]);
    expect(told[0]).toContain('is bigint, though computed trait "ltv" declares valueType "string": a column keeps the type it was made with');
  });

  // Told to run `stowage claim local`, a user of `-c prod.json` ran it on the default configuration, or on none.
  it('gives the commands its messages name the -c the command was given', async () => {
    const dir = project();
    const config = JSON.parse(readFileSync(join(dir, 'stowage.config.json'), 'utf8'));
    writeFileSync(join(dir, 'a.json'), JSON.stringify({ ...config, stateDir: '.a' }));
    writeFileSync(join(dir, 'my b.json'), JSON.stringify(config));
    writeFileSync(join(dir, 'r1.json'), JSON.stringify({ space: 'shop', computation: 'vip', id: 'r1', profiles: [{ userId: 'u1' }] }));
    for (const args of [['run', 'r1.json'], ['sync', 'local']]) expect((await stowage([...args, '-c', 'a.json'], { cwd: dir })).code).toBe(0);
    expect((await stowage(['run', 'r1.json'], { cwd: dir })).code).toBe(0);
    const plain = await stowage(['sync', 'local'], { cwd: dir });
    expect(plain.code).toBe(1);
    expect(plain.stdout + plain.stderr).toContain('run `stowage claim local` first');
    const flagged = await stowage(['sync', 'local', '--config', 'my b.json'], { cwd: dir });
    expect(flagged.code).toBe(1);
    expect(flagged.stdout + flagged.stderr).toContain("run `stowage claim local -c 'my b.json'` first");
    // JSON is data: left as the history holds it.
    const history = await stowage(['history', '--json', '-c', 'my b.json'], { cwd: dir });
    expect(JSON.parse(history.stdout).syncs[0].error).toContain('run `stowage claim local` first');
  });

  it('names in check no view standing where a table selective sync disables is: no sync writes it', async () => {
    const dir = project({
      warehouses: { local: { type: 'duckdb', settings: { path: 'warehouse.duckdb' }, disabled: { tables: ['audience_exited', 'tracks'] } } },
    });
    await inWarehouse(
      dir,
      'CREATE SCHEMA engage_shop',
      'CREATE TABLE engage_shop.seen (id VARCHAR)',
      'CREATE VIEW engage_shop.audience_exited AS SELECT * FROM engage_shop.seen',
      'CREATE VIEW engage_shop.tracks AS SELECT * FROM engage_shop.seen',
    );
    const check = await stowage(['check'], { cwd: dir });
    expect(check.stdout + check.stderr).not.toContain('not a table');
    expect(check.code, check.stdout + check.stderr).toBe(0);
    writeFileSync(join(dir, 'v1.json'), JSON.stringify({ space: 'shop', computation: 'vip', id: 'v1', completedAt: '2026-11-22T10:00:00Z', profiles: [{ userId: 'u1' }] }));
    writeFileSync(join(dir, 'v2.json'), JSON.stringify({ space: 'shop', computation: 'vip', id: 'v2', completedAt: '2026-11-23T10:00:00Z', profiles: [] }));
    expect((await stowage(['run', 'v1.json', 'v2.json'], { cwd: dir })).code).toBe(0);
    const sync = await stowage(['sync'], { cwd: dir });
    expect(sync.code, sync.stdout + sync.stderr).toBe(0);
  });

  it('tells the progress of an ingest that takes a while on stderr, and nothing of a quick one', async () => {
    const dir = project();
    const lines = (from: number, n: number) => Array.from({ length: n }, (_, i) => `{"type":"identify","userId":"u${from + i}","messageId":"m${from + i}","traits":{"a":1}}\n`).join('');
    // A slow producer: 20,000 calls, a pause, 20,000 more.
    async function* slowly() {
      yield lines(0, 20_000);
      await new Promise((resumed) => setTimeout(resumed, 1200));
      yield lines(20_000, 20_000);
    }
    const slow = await stowage(['ingest', '-', '--space', 'shop'], { cwd: dir, input: slowly() });
    expect(slow.code, slow.stderr).toBe(0);
    expect(slow.stdout).toBe('accepted 40,000 calls for space shop\n');
    expect(slow.stderr).toMatch(/^ingest: \d+\.\d MB read, \d+\.\d MB\/s\n/);
    const quick = await stowage(['ingest', '-', '--space', 'shop'], { cwd: dir, input: lines(40_000, 10) });
    expect(quick.stderr).toBe('');
  });

  it('tells a run whose changes no warehouse loads and no activation writes', async () => {
    const dir = project({ warehouses: { local: { type: 'duckdb', settings: { path: 'warehouse.duckdb' }, spaces: [] } } });
    writeFileSync(join(dir, 'r1.json'), JSON.stringify({ space: 'shop', computation: 'vip', id: 'r1', profiles: [{ userId: 'u1' }] }));
    const r = await stowage(['run', 'r1.json'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('no warehouse loads space "shop" (none lists it in its "spaces") and no activation writes computation "vip": the run\'s changes are kept in the profile state only; a warehouse that loads the space later is sent its current state first');
    // Allowed, but check says what it means: most often "every space" was meant, which is the key left out.
    const checked = await stowage(['check'], { cwd: dir });
    expect(checked.stdout).toContain('warehouse local (duckdb): loads no space ("spaces": []): no sync loads anything into it, and no activation may write to it; leave "spaces" out for every space, or list the spaces it loads');
    const refused = await stowage(['refused', 'local', '--space', 'shop'], { cwd: dir });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('Warehouse "local" does not serve space "shop"; it serves none ("spaces": [])');
  });

  it('refuses a run file with a misspelt key, naming the file and line, rather than reading it as absent', async () => {
    const dir = project();
    // One line, "profile" for "profiles": read as an NDJSON header with no profiles, a snapshot that exits every member.
    writeFileSync(join(dir, 'typo.json'), JSON.stringify({ space: 'shop', computation: 'vip', id: 'r1', profile: [{ userId: 'u1' }] }));
    const r = await stowage(['run', 'typo.json'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('typo.json:1: the run header has an unknown key "profile"');
    expect(r.stderr).toContain('a run of one JSON object lists its profiles under "profiles"');
    writeFileSync(join(dir, 'valeu.ndjson'), ['{"space":"shop","computation":"ltv","id":"r2"}', '{"userId":"u1","valeu":3}'].join('\n'));
    const r2 = await stowage(['run', 'valeu.ndjson'], { cwd: dir });
    expect(r2.code).toBe(1);
    expect(r2.stderr).toContain('valeu.ndjson:2: the profile has an unknown key "valeu"');
    // A JSON run's profile is named by its index, after the file's name (several files may be given).
    writeFileSync(join(dir, 'valeu.json'), JSON.stringify({ space: 'shop', computation: 'ltv', id: 'r3', profiles: [{ userId: 'u1', value: 1 }, { userId: 'u2', valeu: 3 }] }));
    expect((await stowage(['run', 'valeu.json'], { cwd: dir })).stderr).toContain('valeu.json: profiles[1]: the profile has an unknown key "valeu"');
    writeFileSync(join(dir, 'noid.ndjson'), '{"space":"shop","computation":"vip"}\n');
    expect((await stowage(['run', 'noid.ndjson'], { cwd: dir })).stderr).toContain('noid.ndjson:1: the run header needs id');
    const sync = await stowage(['sync'], { cwd: dir });
    expect(sync.stdout).toContain('0 calls');
  });

  it('says plainly when a file to read is missing, a folder, or an empty run', async () => {
    const dir = project();
    writeFileSync(join(dir, 'empty.ndjson'), '');
    // An export left compressed: its bytes were told as text that is not UTF-8, line by line.
    writeFileSync(join(dir, 'calls.ndjson.gz'), gzipSync('{"type":"identify","userId":"u1"}\n'));
    for (const [args, message] of [
      [['run', 'nofile.json'], 'nofile.json: no such file'],
      [['run', '.'], '. is a folder, not a file'],
      [['run', 'empty.ndjson'], 'empty.ndjson is empty'],
      [['ingest', 'nofile.ndjson', '-s', 'shop'], 'nofile.ndjson: no such file'],
      [['ingest', 'calls.ndjson.gz', '-s', 'shop'], 'calls.ndjson.gz is gzip-compressed, not text: decompress it first (`gunzip -k calls.ndjson.gz`)'],
      [['run', 'calls.ndjson.gz'], 'calls.ndjson.gz is gzip-compressed'],
      // Both mistakes at once.
      [['ingest', 'nofile.ndjson', '-s', 'nospace'], 'nofile.ndjson: no such file; Unknown space "nospace"; configured: shop'],
      [['ingest', 'empty.ndjson', '-s', 'constructor'], 'Unknown space "constructor"; configured: shop'],
    ] as const) {
      const r = await stowage([...args], { cwd: dir });
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toContain(message);
      expect(r.stderr).not.toMatch(/ENOENT|EISDIR|Unexpected end/);
    }
    // An empty calls file is no calls.
    expect((await stowage(['ingest', 'empty.ndjson', '-s', 'shop'], { cwd: dir })).code).toBe(0);
  });

  it('keeps every digit of a run file\'s integer ids and values that a double cannot hold', async () => {
    const dir = project();
    const lines = ['{"space":"shop","computation":"ltv","id":"r1","completedAt":"2026-11-23T10:00:00Z"}', '{"userId":12345678901234567891,"value":98765432109876543210}', '{"userId":"u2","value":9007199254740992}'];
    writeFileSync(join(dir, 'big.ndjson'), lines.join('\n'));
    const run = await stowage(['run', 'big.ndjson'], { cwd: dir });
    expect(run.code, run.stderr).toBe(0);
    expect((await stowage(['sync'], { cwd: dir })).code).toBe(0);
    const db = await DuckDBInstance.create(join(dir, 'warehouse.duckdb'));
    const connection = await db.connect();
    const reader = await connection.runAndReadAll('SELECT user_id, CAST(ltv AS VARCHAR) AS ltv FROM engage_shop.identifies ORDER BY user_id');
    expect(reader.getRowObjectsJS()).toEqual([
      { user_id: '12345678901234567891', ltv: '98765432109876543210' },
      { user_id: 'u2', ltv: '9007199254740992' },
    ]);
    connection.closeSync();
    db.closeSync();
  });

  it('reads files that begin with a byte-order mark, as Windows editors write them', async () => {
    const dir = project();
    const BOM = '\uFEFF';
    writeFileSync(join(dir, 'run.json'), BOM + JSON.stringify({ space: 'shop', computation: 'ltv', id: 'r1', completedAt: '2026-11-23T10:00:00Z', profiles: [{ userId: 'u1', value: 10 }] }));
    writeFileSync(join(dir, 'run.ndjson'), BOM + '{"space":"shop","computation":"vip","id":"r2","completedAt":"2026-11-23T10:00:00Z"}\r\n{"userId":"u1"}\r\n');
    writeFileSync(join(dir, 'calls.ndjson'), BOM + '{"type":"identify","messageId":"m1","userId":"u2","traits":{"ltv":3}}\r\n');
    // Lines ended by CR alone, as old Mac editors write them.
    writeFileSync(join(dir, 'run-cr.ndjson'), '{"space":"shop","computation":"vip","id":"r3","kind":"delta","completedAt":"2026-11-23T11:00:00Z"}\r{"userId":"u1"}\r');
    for (const args of [['run', 'run.json', 'run.ndjson', 'run-cr.ndjson'], ['ingest', 'calls.ndjson', '--space', 'shop']]) {
      const r = await stowage(args, { cwd: dir });
      expect(r.code, `${args.join(' ')}: ${r.stdout}${r.stderr}`).toBe(0);
    }
    const sync = await stowage(['sync'], { cwd: dir });
    expect(sync.code, sync.stdout + sync.stderr).toBe(0);
    expect(sync.stdout).toMatch(/users 2/);
  });

  it('refuses a line that is not UTF-8, which read anyway would make two ids or two users one', async () => {
    const dir = project();
    const call = (id: string, user: string, plan: string) => Buffer.concat([Buffer.from(`{"type":"identify","messageId":"m`), Buffer.from(id, 'latin1'), Buffer.from(`","userId":"alice`), Buffer.from(user, 'latin1'), Buffer.from(`","traits":{"plan":"${plan}"}}\n`)]);
    // Bytes 0xFF and 0xFE are no UTF-8 character's: both would read as U+FFFD.
    writeFileSync(join(dir, 'calls.ndjson'), Buffer.concat([call('\xff', '\xff', 'gold'), call('\xfe', '\xfe', 'silver'), call('3', '3', 'team'), Buffer.from('\u0000\n')]));
    const ingest = await stowage(['ingest', 'calls.ndjson', '--space', 'shop'], { cwd: dir });
    expect(ingest.code).toBe(3);
    expect(ingest.stdout).toContain('accepted 1 calls for space shop; rejected 3:');
    expect(ingest.stdout).toMatch(/line 1: not valid UTF-8: byte 34 \(0xFF\) begins no character; .*U\+FFFD/);
    expect(ingest.stdout).toMatch(/line 2: not valid UTF-8: byte 34 \(0xFE\)/);
    // A NUL outside a string is named as such, not printed as a blank.
    expect(ingest.stdout).toContain('line 4: not valid JSON (');
    expect(ingest.stdout).toContain('\\u0000');
    expect(ingest.stdout).not.toContain('\u0000');

    const header = '{"space":"shop","computation":"vip","id":"r1","completedAt":"2026-11-23T10:00:00Z"}\n';
    writeFileSync(join(dir, 'run.ndjson'), Buffer.concat([Buffer.from(header), Buffer.from('{"userId":"bob\xff"}\n{"userId":"bob\xfe"}\n', 'latin1')]));
    const run = await stowage(['run', 'run.ndjson'], { cwd: dir });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/run\.ndjson:2: not valid UTF-8: byte 15 \(0xFF\).*; nothing of this run was applied/);
    writeFileSync(join(dir, 'run.json'), Buffer.from(JSON.stringify({ space: 'shop', computation: 'vip', id: 'r2', completedAt: '2026-11-23T10:00:00Z', profiles: [{ userId: 'bob\xff' }] }), 'latin1'));
    const whole = await stowage(['run', 'run.json'], { cwd: dir });
    expect(whole.code).toBe(1);
    expect(whole.stderr).toMatch(/^stowage: run\.json(:1)?: not valid UTF-8: byte \d+ \(0xFF\) begins no character; .*; nothing of this run was applied$/m);
  });

  it('runs, syncs and shows the history, with exit codes that say how it went', async () => {
    const dir = project();
    writeFileSync(join(dir, 'run.json'), JSON.stringify({ space: 'shop', computation: 'ltv', id: 'r1', completedAt: '2026-11-23T10:00:00Z', profiles: [{ userId: 'u1', value: 10 }, { userId: 'u2', value: 2.5 }] }));
    expect((await stowage(['run', 'run.json'], { cwd: dir })).stdout).toContain('2 changes, 4 calls logged');
    expect((await stowage(['run', 'run.json'], { cwd: dir })).stdout).toContain('was applied before');
    const sync = await stowage(['sync', 'local'], { cwd: dir });
    expect(sync.code).toBe(0);
    expect(sync.stdout).toMatch(/Success: warehouse local, 4 calls .* users 2/);
    writeFileSync(join(dir, 'calls.ndjson'), '{"type":"identify","userId":"u1","traits":{"ltv":"much"}}\nnot json\n');
    const ingest = await stowage(['ingest', 'calls.ndjson', '--space', 'shop'], { cwd: dir });
    expect(ingest.code).toBe(3);
    expect(ingest.stdout).toContain('line 2: not valid JSON');
    const partial = await stowage(['sync'], { cwd: dir });
    expect(partial.code).toBe(3);
    const history = JSON.parse((await stowage(['history', '--json'], { cwd: dir })).stdout);
    expect(history.syncs.map((s: { status: string }) => s.status)).toEqual(['Partial', 'Success']);
    expect(history.syncs[1].rows).toMatchObject({ identifies: 2, users: 2, trait_computed: 2 });
    expect(history.nextSync.local).toMatch(/:00:00\.000Z$/);
    const text = await stowage(['history'], { cwd: dir });
    expect(text.stdout).toContain('next sync of local');
  });

  it('says a sync refused for another process is refused for `stowage serve` when that is what holds it', async () => {
    const dir = project();
    // A process that runs a `stowage serve` as its command line says, holding local's sync.
    writeFileSync(join(dir, 'stowage.js'), 'setTimeout(() => {}, 20_000);');
    const serve = spawn(process.execPath, [join(dir, 'stowage.js'), 'serve'], { stdio: 'ignore' });
    try {
      mkdirSync(join(dir, '.stowage', 'locks'), { recursive: true });
      writeFileSync(join(dir, '.stowage', 'locks', 'sync-local.lock'), String(serve.pid));
      const refused = await stowage(['sync', 'local', '-q'], { cwd: dir });
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain(`A sync of warehouse "local" is held by process ${serve.pid} (\`stowage serve\`, syncing on its schedule: try again once that sync ends)`);
    } finally {
      serve.kill('SIGKILL');
    }
  });

  it('syncs every warehouse it can when all are asked for, and fails saying which one is held', async () => {
    const dir = project({ warehouses: { local: { type: 'duckdb', settings: { path: 'warehouse.duckdb' } }, second: { type: 'duckdb', settings: { path: 'second.duckdb' } } } });
    writeFileSync(join(dir, 'calls.ndjson'), '{"type":"identify","messageId":"m1","userId":"u1","traits":{"plan":"pro"}}\n');
    await stowage(['ingest', 'calls.ndjson', '--space', 'shop'], { cwd: dir });
    // local's sync held by a live process (this one).
    mkdirSync(join(dir, '.stowage', 'locks'), { recursive: true });
    writeFileSync(join(dir, '.stowage', 'locks', 'sync-local.lock'), String(process.pid));
    const all = await stowage(['sync', '-q'], { cwd: dir });
    expect(all.code).toBe(1);
    expect(all.stderr).toMatch(/^stowage: warehouse local not synced: A sync of warehouse "local" is held by process \d+/);
    expect(all.stdout).toMatch(/^Success: warehouse second, 1 calls/m);
    const named = await stowage(['sync', 'local', '-q'], { cwd: dir });
    expect(named.code).toBe(1);
    expect(named.stdout).toBe('');
  });

  it('shows, with --warehouse, that warehouse alone: its syncs and its next one', async () => {
    const dir = project({ warehouses: { local: { type: 'duckdb', settings: { path: 'warehouse.duckdb' } }, second: { type: 'duckdb', settings: { path: 'second.duckdb' }, schedule: '30 2 * * *' } } });
    expect((await stowage(['sync', 'local'], { cwd: dir })).code).toBe(0);
    const text = await stowage(['history', '-w', 'local'], { cwd: dir });
    expect(text.stdout).toContain('next sync of local');
    expect(text.stdout).not.toContain('second');
    expect(Object.keys(JSON.parse((await stowage(['history', '-w', 'second', '--json'], { cwd: dir })).stdout).nextSync)).toEqual(['second']);
  });

  it("prints a sync's notices under its summary", async () => {
    const dir = project();
    writeFileSync(join(dir, 'a.ndjson'), '{"type":"identify","userId":"u1","traits":{"visits":1}}\n');
    writeFileSync(join(dir, 'b.ndjson'), '{"type":"identify","userId":"u1","traits":{"visits":1.5}}\n');
    await stowage(['ingest', 'a.ndjson', '--space', 'shop'], { cwd: dir });
    expect((await stowage(['sync'], { cwd: dir })).code).toBe(0);
    await stowage(['ingest', 'b.ndjson', '--space', 'shop'], { cwd: dir });
    const sync = await stowage(['sync'], { cwd: dir });
    expect(sync.stdout).toMatch(/^Success: warehouse local, 1 calls .*\n  identifies\.visits widened from bigint to double\n  users\.visits widened from bigint to double\n$/);
  });

  it('prints the calls a warehouse refused, to ingest again once the table is fixed', async () => {
    const dir = project();
    // The user's own identifies, whose email may not be null: the second call has none.
    await inWarehouse(dir, 'CREATE SCHEMA engage_shop', 'CREATE TABLE engage_shop.identifies (id VARCHAR, email VARCHAR NOT NULL)');
    const calls = [
      { type: 'identify', messageId: 'ok-1', userId: 'u1', traits: { email: 'u1@example.com' } },
      { type: 'identify', messageId: 'no-email', userId: 'u2', traits: { plan: 'pro' } },
    ];
    writeFileSync(join(dir, 'calls.ndjson'), calls.map((c) => JSON.stringify(c)).join('\n'));
    await stowage(['ingest', 'calls.ndjson', '--space', 'shop'], { cwd: dir });
    expect((await stowage(['sync', '-q'], { cwd: dir })).code).toBe(3);
    expect((await stowage(['refused', 'local'], { cwd: dir })).code).toBe(2);

    const refused = await stowage(['refused', 'local', '--space', 'shop'], { cwd: dir });
    expect(refused.code).toBe(0);
    const lines = refused.stdout.trim().split('\n');
    expect(lines.map((l) => JSON.parse(l))).toEqual([expect.objectContaining({ type: 'identify', messageId: 'no-email', userId: 'u2', traits: { plan: 'pro' } })]);
    expect(refused.stderr).toContain('1 calls refused by warehouse local in engage_shop; once what refused them is fixed: stowage refused local --space shop | stowage ingest - --space shop, then stowage sync');

    await inWarehouse(dir, 'ALTER TABLE engage_shop.identifies ALTER COLUMN email DROP NOT NULL');
    expect((await stowage(['ingest', '-', '--space', 'shop'], { cwd: dir, input: refused.stdout })).stdout).toContain('accepted 1 calls');
    const sync = await stowage(['sync', '-q'], { cwd: dir });
    expect(sync.stdout).toMatch(/^Success: warehouse local, 1 calls .*identifies 1, users 1/);
  });

  it('gives back a refused call made from a run larger than ingest takes, with the limit that takes it', async () => {
    const dir = project();
    await inWarehouse(dir, 'CREATE SCHEMA engage_shop', 'CREATE TABLE engage_shop.identifies (id VARCHAR, email VARCHAR NOT NULL)');
    // A run has no limit per call: its 600 KB trait makes an identify call past ingest's 512 KiB.
    writeFileSync(join(dir, 'r1.ndjson'), [{ space: 'shop', computation: 'ltv', id: 'r1' }, { userId: 'u3', value: 'x'.repeat(600_000) }].map((x) => JSON.stringify(x)).join('\n'));
    expect((await stowage(['run', 'r1.ndjson'], { cwd: dir })).code).toBe(0);
    expect((await stowage(['sync', '-q'], { cwd: dir })).code).toBe(3);
    const refused = await stowage(['refused', 'local', '--space', 'shop'], { cwd: dir });
    const size = Buffer.byteLength(refused.stdout.trim());
    expect(size).toBeGreaterThan(600_000);
    expect(refused.stderr).toContain(`1 calls refused by warehouse local in engage_shop; once what refused them is fixed: stowage refused local --space shop | stowage ingest - --space shop --max-call-bytes ${size}, then stowage sync`);

    await inWarehouse(dir, 'ALTER TABLE engage_shop.identifies ALTER COLUMN email DROP NOT NULL');
    const refusedAgain = await stowage(['ingest', '-', '--space', 'shop'], { cwd: dir, input: refused.stdout });
    expect(refusedAgain.stdout).toContain(`line 1: the call is ${size} bytes; the limit is 524288`);
    const taken = await stowage(['ingest', '-', '--space', 'shop', '--max-call-bytes', String(size)], { cwd: dir, input: refused.stdout });
    expect(taken.stdout).toContain('accepted 1 calls');
    expect((await stowage(['sync', '-q'], { cwd: dir })).stdout).toMatch(/^Success: warehouse local, 1 calls .*identifies 1, users 1/);
    expect((await stowage(['ingest', 'r1.ndjson', '--space', 'shop', '--max-call-bytes', '0'], { cwd: dir })).code).toBe(2);
  });

  it('rebuilds the index of loaded message ids from the tables, after rows were added to them by hand', async () => {
    const dir = project();
    // Before any sync: no table, no id (it failed on a temporary table it never made).
    const empty = await stowage(['rebuild-keys', 'local'], { cwd: dir });
    expect(empty.code, empty.stderr).toBe(0);
    expect(empty.stdout).toBe('engage_shop: 0 message ids\n');
    writeFileSync(join(dir, 'calls.ndjson'), '{"type":"identify","messageId":"m1","userId":"u1","traits":{"plan":"pro"}}\n');
    await stowage(['ingest', 'calls.ndjson', '--space', 'shop'], { cwd: dir });
    expect((await stowage(['sync', '-q'], { cwd: dir })).code).toBe(0);
    // A row with a message id the index has not seen, written by something other than a sync.
    const warehouse = await DuckDBInstance.create(join(dir, 'warehouse.duckdb'));
    const connection = await warehouse.connect();
    await connection.run("INSERT INTO engage_shop.identifies (id, user_id) VALUES ('by-hand', 'u2')");
    connection.closeSync();
    warehouse.closeSync();
    const rebuilt = await stowage(['rebuild-keys', 'local'], { cwd: dir });
    expect(rebuilt.code, rebuilt.stderr).toBe(0);
    expect(rebuilt.stdout).toBe('engage_shop: 2 message ids\n');
    // A space the configuration does not have is said as such, with those it has.
    expect((await stowage(['rebuild-keys', 'local', '--space', 'nope'], { cwd: dir })).stderr).toContain('No space named "nope"; configured: shop');
    expect((await stowage(['refused', 'local', '--space', 'nope'], { cwd: dir })).stderr).toContain('No space named "nope"; configured: shop');
    // The call behind that row, sent now, is a duplicate.
    writeFileSync(join(dir, 'again.ndjson'), '{"type":"identify","messageId":"by-hand","userId":"u2","traits":{"plan":"free"}}\n');
    await stowage(['ingest', 'again.ndjson', '--space', 'shop'], { cwd: dir });
    expect((await stowage(['sync', '-q'], { cwd: dir })).code).toBe(0);
    const history = JSON.parse((await stowage(['history', '--json'], { cwd: dir })).stdout);
    expect(history.syncs[0]).toMatchObject({ status: 'Success', calls: 1, duplicates: 1 });
  });

  it('applies runs of one computation started a second apart in the order they started, while another process holds the state', async () => {
    const dir = project();
    const run = (id: string, hour: number) => writeFileSync(join(dir, `${id}.json`), JSON.stringify({ space: 'shop', computation: 'ltv', id, completedAt: `2026-11-23T${String(hour).padStart(2, '0')}:00:00Z`, profiles: [{ userId: 'u1', value: hour }] }));
    run('r0', 9);
    expect((await stowage(['run', 'r0.json'], { cwd: dir })).code).toBe(0);
    ['r1', 'r2', 'r3'].forEach((id, i) => run(id, 10 + i));
    // A scheduler starts each as its computation completes, while a long command holds the state:
    // once it lets go, whichever tried first took it, and the older runs were refused for good.
    const state = await DuckDBInstance.create(join(dir, '.stowage', 'state.duckdb'));
    const runs: Array<ReturnType<typeof stowage>> = [];
    try {
      // Each in line before the next starts: on a loaded machine a command may take seconds to get there.
      const waiting = () => (existsSync(join(dir, '.stowage', 'waiting')) ? readdirSync(join(dir, '.stowage', 'waiting')).filter((name) => name.endsWith('.wait')).length : 0);
      for (const id of ['r1', 'r2', 'r3']) {
        runs.push(stowage(['run', `${id}.json`], { cwd: dir }));
        const started = Date.now();
        while ((waiting() < runs.length && Date.now() - started < 30_000) || Date.now() - started < 1_000) await new Promise((done) => setTimeout(done, 50));
      }
    } finally {
      state.closeSync();
    }
    const done = await Promise.all(runs);
    done.forEach((r, i) => expect(r.code, `r${i + 1}: ${r.stderr}`).toBe(0));
    expect(done[2]!.stderr).toContain('2 other commands wait for it ahead of this one, which takes it after them (commands take it in the order they started)');
    expect(readdirSync(join(dir, '.stowage', 'waiting')).filter((name) => name.endsWith('.wait'))).toEqual([]);
  });

  it('tells a state folder whose state-id was emptied (a write cut short) by the id to write back, and goes on once it is', async () => {
    const dir = project();
    writeFileSync(join(dir, 'r1.json'), JSON.stringify({ space: 'shop', computation: 'ltv', id: 'r1', completedAt: '2026-11-23T10:00:00Z', profiles: [{ userId: 'u1', value: 1 }] }));
    expect((await stowage(['run', 'r1.json'], { cwd: dir })).code).toBe(0);
    expect((await stowage(['sync', '-q'], { cwd: dir })).code).toBe(0);
    const idFile = join(dir, '.stowage', 'state-id');
    const id = readFileSync(idFile, 'utf8').trim();
    writeFileSync(idFile, '');
    const refused = await stowage(['sync'], { cwd: dir });
    expect(refused.code).toBe(1);
    expect(refused.stderr + refused.stdout).toContain(`and that folder's state-id file is empty (a write cut short: a power loss, a full disk), so it no longer says it is that state. If nothing else of the folder was lost (\`stowage check\` tests its profile state), write ${id} into ${join(realpathSync(dir), '.stowage', 'state-id')} and run the command again`);
    // A claim under no id would be anyone's.
    const claim = await stowage(['claim', 'local'], { cwd: dir });
    expect(claim.code).toBe(1);
    expect(claim.stderr).toContain(`${join(realpathSync(dir), '.stowage', 'state-id')} is empty (a write cut short: a power loss, a full disk): write back the id`);
    writeFileSync(idFile, id);
    expect((await stowage(['sync', '-q'], { cwd: dir })).code).toBe(0);
  });

  it('refuses a state folder moved without the configuration saying where; takes the warehouse for a new state only when told to', async () => {
    const dir = project();
    const run = (id: string, value: number) => writeFileSync(join(dir, `${id}.json`), JSON.stringify({ space: 'shop', computation: 'ltv', id, completedAt: '2026-11-23T10:00:00Z', profiles: [{ userId: 'u1', value }] }));
    run('r1', 10);
    expect((await stowage(['run', 'r1.json'], { cwd: dir })).code).toBe(0);
    expect((await stowage(['sync', '-q'], { cwd: dir })).code).toBe(0);
    renameSync(join(dir, '.stowage'), join(dir, 'moved'));
    // A check tells of it, and writes nothing in the (new, empty) state folder.
    const told = await stowage(['check'], { cwd: dir });
    expect(told.code).toBe(1);
    expect(told.stdout).toContain('engage_shop is written by another Stowage state');
    expect(told.stdout).toContain('not OK: warehouse local would refuse a sync or a write (above)');
    expect(existsSync(join(dir, '.stowage', 'log'))).toBe(false);
    expect(existsSync(join(dir, '.stowage', 'state-id'))).toBe(false);
    run('r2', 20);
    expect((await stowage(['run', 'r2.json'], { cwd: dir })).code).toBe(0);
    const refused = await stowage(['sync'], { cwd: dir });
    expect(refused.code).toBe(1);
    // The new state is where the old one was: the refusal says so, rather than naming one folder as both.
    expect(refused.stderr + refused.stdout).toMatch(new RegExp(`engage_shop is written by another Stowage state, kept in ${realpathSync(dir).replace(/[.*+?^\${}()|[\]\\]/g, '\\$&')}/\\.stowage \\(state [0-9a-f-]{36}, since [^)]+\\), which is no longer there; this state is a new one, begun in its place\\.`));
    expect(refused.stderr + refused.stdout).toContain("If you moved that state's folder, set stateDir in the configuration to where it is now (or put the folder back)");
    const checked = await stowage(['check'], { cwd: dir });
    expect(checked.code).toBe(1);
    expect(checked.stdout).toContain('warehouse local (duckdb): engage_shop is written by another Stowage state');
    // Claimed, the new state writes on, and the old one is refused in turn.
    const claimed = await stowage(['claim', 'local'], { cwd: dir });
    expect(claimed.code, claimed.stderr).toBe(0);
    expect(claimed.stdout).toMatch(/^engage_shop: now written by this state \(.*\/\.stowage\); the state in .*\/\.stowage wrote it since 20\d\d-/);
    expect((await stowage(['claim', 'local'], { cwd: dir })).stdout).toMatch(/^engage_shop: already written by this state/);
    expect((await stowage(['sync', '-q'], { cwd: dir })).code).toBe(0);
    const warehouse = await DuckDBInstance.create(join(dir, 'warehouse.duckdb'));
    const connection = await warehouse.connect();
    const ltv = (await connection.runAndReadAll('SELECT ltv FROM engage_shop.trait_computed ORDER BY "timestamp", ltv')).getRowsJS().map((r) => Number(r[0]));
    connection.closeSync();
    warehouse.closeSync();
    expect(ltv).toEqual([10, 20]);
    const config = JSON.parse(readFileSync(join(dir, 'stowage.config.json'), 'utf8'));
    writeFileSync(join(dir, 'stowage.config.json'), JSON.stringify({ ...config, stateDir: 'moved' }));
    run('r3', 30);
    expect((await stowage(['run', 'r3.json'], { cwd: dir })).code).toBe(0);
    const old = await stowage(['sync'], { cwd: dir });
    expect(old.code).toBe(1);
    expect(old.stderr + old.stdout).toContain('engage_shop is written by another Stowage state');
  });

  it('fails a sync with a clear error when the warehouse cannot be opened', async () => {
    const dir = project({ warehouses: { local: { type: 'duckdb', settings: { path: 'missing-folder/deeper/warehouse.duckdb' } } } });
    writeFileSync(join(dir, 'calls.ndjson'), '{"type":"identify","userId":"u1","traits":{"a":1}}\n');
    await stowage(['ingest', 'calls.ndjson', '--space', 'shop'], { cwd: dir });
    const r = await stowage(['sync'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/Failure: warehouse local[\s\S]*error: .*missing-folder/);
  });

  it('lands the demo and tours its tables', async () => {
    const dir = tempDir('stowage-demo-');
    const r = await stowage(['demo', '--dir', 'demo', '--profiles', '600'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    for (const table of ['identifies', 'users', 'tracks', 'audience_entered', 'audience_exited', 'trait_computed']) expect(r.stdout).toContain(table);
    expect(r.stdout).toMatch(/u123\s+true\s+450/);
    // The tour says what its queries show: u123's identify calls of two computations (it has others), and the rows of anonymous members apart.
    expect(r.stdout).toContain('engage_default.identifies for u123 (its identify calls of these two):');
    expect(r.stdout).toMatch(/event_name\s+rows\s+user_ids\s+rows without user_id/);
    // The same tour from another state folder (whose message ids differ): the demo is deterministic.
    const exits = (out: string) => out.slice(out.indexOf('audience_exited (a few'), out.indexOf('first_time_shopper is tri-state'));
    const elsewhere = await stowage(['demo', '--dir', 'demo', '--profiles', '600'], { cwd: tempDir('stowage-demo-') });
    expect(exits(elsewhere.stdout)).toBe(exits(r.stdout));
    expect(exits(r.stdout)).toMatch(/u\d+\s+first_time_shopper\s+false/);
    const again = await stowage(['demo', '--dir', 'demo', '--profiles', '600'], { cwd: dir });
    expect(again.code).toBe(0);
    // Starting over deletes what the demo made, never a file of the user's put beside it.
    writeFileSync(join(dir, 'demo', 'notes.txt'), 'mine');
    writeFileSync(join(dir, 'demo', 'runs', 'my-run.ndjson'), 'mine');
    const kept = await stowage(['demo', '--dir', 'demo', '--profiles', '600'], { cwd: dir });
    expect(kept.code).toBe(1);
    expect(kept.stderr).toMatch(/demo holds files `stowage demo` did not make \(notes\.txt, runs\/my-run\.ndjson\); move them out, or choose another --dir/);
    expect(readFileSync(join(dir, 'demo', 'notes.txt'), 'utf8')).toBe('mine');
    expect(existsSync(join(dir, 'demo', 'warehouse.duckdb'))).toBe(true);
    writeFileSync(join(dir, 'mine.txt'), 'x');
    const refused = await stowage(['demo', '--dir', '.'], { cwd: dir });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('was not made by `stowage demo`');
    const file = await stowage(['demo', '--dir', 'mine.txt'], { cwd: dir });
    expect(file.code).toBe(1);
    expect(file.stderr).toContain('mine.txt is a file, not a folder; choose another --dir');
  });

  it('tours a sample too small to have made every table and column, saying which it did not make', async () => {
    const dir = tempDir('stowage-demo-');
    const r = await stowage(['demo', '--dir', 'demo', '--profiles', '1'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/Binder Error|Catalog Error/);
    expect(r.stdout).toContain('(none: this sample of 1 profiles made no engage_default.audience_exited)');
    expect(r.stdout).toContain('Done in');
  });

  it('goes on to its end when its reader stops reading (`stowage demo | head -1`), printing no error', async () => {
    const dir = tempDir('stowage-pipe-');
    const child = spawn(process.execPath, [BIN, 'demo', '--dir', 'demo', '--profiles', '600'], { cwd: dir });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    // The first line read, the pipe is closed: every later line the demo prints meets EPIPE.
    child.stdout.once('data', () => child.stdout.destroy());
    const code = await new Promise<number | null>((done) => child.on('close', (c) => done(c)));
    expect(code, stderr).toBe(0);
    expect(stderr).not.toMatch(/EPIPE|Unhandled/);
    // The demo was landed whole: both runs applied, the sync done.
    const history = await stowage(['history', '--json', '--config', join('demo', 'stowage.config.json')], { cwd: dir });
    expect((JSON.parse(history.stdout) as { syncs: Array<{ path: string; status: string }> }).syncs.filter((r) => r.path === 'classic').map((r) => r.status)).toEqual(['Success']);
  });

  it('goes on to its end when its output goes to a full disk, then says so and exits 1', async () => {
    const dir = tempDir('stowage-full-');
    const { code, stderr } = await withOutputOnFullDisk(['demo', '--dir', 'demo', '--profiles', '600'], dir);
    expect(code, stderr).toBe(1);
    expect(stderr).toContain('stowage: its output could not be written (ENOSPC: no space left on device, write); the work itself was done');
    expect(stderr).not.toMatch(/Unhandled|\n\s+at /);
    const history = await stowage(['history', '--json', '--config', join('demo', 'stowage.config.json')], { cwd: dir });
    expect((JSON.parse(history.stdout) as { syncs: Array<{ path: string; status: string }> }).syncs.filter((r) => r.path === 'classic').map((r) => r.status)).toEqual(['Success']);
    // A command whose output is its work (check, history) says no work was done besides it.
    const checked = await withOutputOnFullDisk(['check', '--config', join('demo', 'stowage.config.json')], dir);
    expect(checked.code).toBe(1);
    expect(checked.stderr).toBe('stowage: its output could not be written (ENOSPC: no space left on device, write)\n');
  });

  it("waits for the profile state before it opens a new DuckDB warehouse for its backfill, so that a run holding the state can write to that warehouse meanwhile", async () => {
    const dir = project();
    writeFileSync(join(dir, 'r1.ndjson'), [{ space: 'shop', computation: 'vip', id: 'r1' }, { userId: 'u1' }].map((x) => JSON.stringify(x)).join('\n'));
    expect((await stowage(['run', 'r1.ndjson'], { cwd: dir })).code).toBe(0);
    // A warehouse added after the run: its first sync sends it the current state, from the profile state.
    const config = JSON.parse(readFileSync(join(dir, 'stowage.config.json'), 'utf8'));
    config.warehouses.added = { type: 'duckdb', settings: { path: 'added.duckdb' } };
    writeFileSync(join(dir, 'stowage.config.json'), JSON.stringify(config));
    // The sync waits for the state without holding the warehouse's file: the run could write there.
    const synced = await syncWhileStateHeld(dir, 'added', 'added.duckdb');
    expect(synced.code, synced.stdout + synced.stderr).toBe(0);
    const db = await (await DuckDBInstance.create(join(dir, 'added.duckdb'))).connect();
    expect((await db.runAndReadAll('SELECT user_id, vip FROM engage_shop.users')).getRowsJS()).toEqual([['u1', true]]);
  });

  it('lets go of the DuckDB warehouse while it waits for the profile state to send it again, to a schema that lost what the log let go of', async () => {
    const dir = project();
    const runFile = (id: string, users: string[]) => {
      writeFileSync(join(dir, `${id}.ndjson`), [{ space: 'shop', computation: 'vip', id }, ...users.map((userId) => ({ userId }))].map((x) => JSON.stringify(x)).join('\n'));
      return `${id}.ndjson`;
    };
    expect((await stowage(['run', runFile('r1', ['u1', 'u2'])], { cwd: dir })).code).toBe(0);
    expect((await stowage(['sync', 'local'], { cwd: dir })).code).toBe(0);
    // The log moves on to a new segment (it does at 64 MB), and the next sync prunes the one loaded.
    const logDir = join(dir, '.stowage', 'log', 'local', 'shop');
    writeFileSync(join(logDir, '0000000001.ndjson'), '');
    expect((await stowage(['run', runFile('r2', ['u1', 'u3'])], { cwd: dir })).code).toBe(0);
    expect((await stowage(['sync', 'local'], { cwd: dir })).code).toBe(0);
    expect(readdirSync(logDir).filter((f) => f.endsWith('.ndjson'))).toEqual(['0000000001.ndjson']);
    // The schema dropped: what is left of the log is r2 alone, and the state is sent again.
    const dropping = await DuckDBInstance.create(join(dir, 'warehouse.duckdb'));
    const dropper = await dropping.connect();
    await dropper.run('DROP SCHEMA engage_shop CASCADE');
    dropper.closeSync();
    dropping.closeSync();
    // The sync found the schema empty, and waits for the state without holding the warehouse's file.
    const synced = await syncWhileStateHeld(dir, 'local', 'warehouse.duckdb');
    expect(synced.code, synced.stdout + synced.stderr).toBe(0);
    const db = await (await DuckDBInstance.create(join(dir, 'warehouse.duckdb'))).connect();
    expect((await db.runAndReadAll('SELECT user_id, vip FROM engage_shop.users ORDER BY user_id')).getRowsJS()).toEqual([['u1', true], ['u2', false], ['u3', true]]);
    const history = await stowage(['history', '--json'], { cwd: dir });
    const last = (JSON.parse(history.stdout) as { syncs: Array<{ status: string; notices: string[] }> }).syncs[0]!; // newest first
    expect(last.status).toBe('Success');
    expect(last.notices.join('\n')).toMatch(/engage_shop holds no record of the calls loaded into it before .* the current state of every computation of space "shop" was sent again/);
  });

  it('says its output was lost, without calling the work done, when the work failed too; its exit code is the failure\'s', async () => {
    const space = { id: 'spa_shop', computations: { carts: { type: 'linked_audience' } } };
    // `gone` cannot be opened (its path is a folder): the run's write fails and its events are queued.
    const dir = project({
      spaces: { shop: { ...space, activations: { a: { computation: 'carts', warehouse: 'gone', table: 'carts' } } } },
      warehouses: { gone: { type: 'duckdb', settings: { path: 'a-folder' } } },
    });
    mkdirSync(join(dir, 'a-folder'));
    writeFileSync(join(dir, 'r1.ndjson'), [{ space: 'shop', computation: 'carts', id: 'r1' }, { userId: 'u1', entityContext: { cart_id: 'c1' } }].map((x) => JSON.stringify(x)).join('\n'));
    const { code, stderr } = await withOutputOnFullDisk(['run', 'r1.ndjson'], dir);
    expect(code, stderr).toBe(1);
    expect(stderr).toContain('stowage: its output could not be written (ENOSPC: no space left on device, write)\n');
    expect(stderr).not.toContain('the work itself was done');
  });

  // A full disk's error often names no file (`ENOSPC: no space left on device, write`); the
  // sync's record must say which disks Stowage writes to. The temporary folder, where load
  // files go, is the usual one to fill. A real full file system: a small tmpfs, where this
  // process may mount one (root, as on CI's machine).
  it('records a sync that failed on a full temporary folder with which disks to make room on, and loads its calls once there is room', async (ctx) => {
    const dir = project();
    writeFileSync(join(dir, 'calls.ndjson'), '{"type":"identify","userId":"u1","messageId":"m1","traits":{"plan":"pro"}}\n');
    expect((await stowage(['ingest', 'calls.ndjson', '--space', 'shop'], { cwd: dir })).code).toBe(0);
    const full = join(dir, 'tmp-full');
    mkdirSync(full);
    if (spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=16k', 'tmpfs', full]).status !== 0) return ctx.skip('this process may not mount a tmpfs');
    try {
      spawnSync('sh', ['-c', `cat /dev/zero > ${full}/filler`]);
      const synced = await stowage(['sync', 'local'], { cwd: dir, env: { TMPDIR: full } });
      expect(synced.code, synced.stdout + synced.stderr).toBe(1);
      const [record] = (JSON.parse((await stowage(['history', '--json'], { cwd: dir })).stdout) as { syncs: Array<{ status: string; error: string }> }).syncs;
      expect(record!.status).toBe('Failure');
      expect(record!.error).toMatch(/ENOSPC|no space left on device/i);
      expect(record!.error).toContain(`a disk Stowage writes to is full: the state folder's, ${realpathSync(join(dir, '.stowage'))}`);
      expect(record!.error).toContain(`or the temporary folder's, ${full}, for load files; make room and run the command again`);
    } finally {
      spawnSync('umount', [full]);
    }
    expect((await stowage(['sync', 'local'], { cwd: dir })).code).toBe(0);
    const [after] = (JSON.parse((await stowage(['history', '--json'], { cwd: dir })).stdout) as { syncs: Array<{ status: string; rows: Record<string, number> }> }).syncs;
    expect(after).toMatchObject({ status: 'Success', rows: { identifies: 1, users: 1 } });
  });

  it('tells of Storage Actions events queued for a warehouse no longer configured, in flush and check', async () => {
    const space = { id: 'spa_shop', computations: { carts: { type: 'linked_audience' } } };
    // `gone` cannot be opened (its path is a folder): the run's write fails and its events are queued.
    const dir = project({
      spaces: { shop: { ...space, activations: { a: { computation: 'carts', warehouse: 'gone', table: 'carts' } } } },
      warehouses: { local: { type: 'duckdb', settings: { path: 'warehouse.duckdb' } }, gone: { type: 'duckdb', settings: { path: 'a-folder' } } },
    });
    mkdirSync(join(dir, 'a-folder'));
    // Its context names a computation too: the event's own (context.personas) is what counts.
    writeFileSync(join(dir, 'r1.ndjson'), [{ space: 'shop', computation: 'carts', id: 'r1' }, { userId: 'u1', entityContext: { cart_id: 'c1', computation_key: 'wishlists' } }].map((x) => JSON.stringify(x)).join('\n'));
    const run = await stowage(['run', 'r1.ndjson'], { cwd: dir });
    expect(run.code).toBe(1);
    // No write was made: no time is told for it ("0 ms" would say it was quick).
    expect(run.stdout).toContain('  activation a → gone shop.carts: 0 rows written, 0 refused, 1 queued\n');
    writeFileSync(join(dir, 'stowage.config.json'), JSON.stringify({ spaces: { shop: { ...space, activations: { a: { computation: 'carts', warehouse: 'local', table: 'carts' } } } }, warehouses: { local: { type: 'duckdb', settings: { path: 'warehouse.duckdb' } } } }));
    const flush = await stowage(['flush'], { cwd: dir });
    expect(flush.code, flush.stdout + flush.stderr).toBe(3);
    expect(flush.stdout).toContain('Storage Actions events stay queued for warehouse "gone", space "shop", which is no longer configured: configure it again under that name and run `stowage flush gone` to write them');
    const check = await stowage(['check'], { cwd: dir });
    expect(check.stdout).toContain('stay queued for warehouse "gone"');
    // Back under its name, and the activation renamed: its event waits for an activation of the old name.
    writeFileSync(join(dir, 'stowage.config.json'), JSON.stringify({ spaces: { shop: { ...space, activations: { carts_to_local: { computation: 'carts', warehouse: 'gone', table: 'carts' } } } }, warehouses: { local: { type: 'duckdb', settings: { path: 'warehouse.duckdb' } }, gone: { type: 'duckdb', settings: { path: 'gone.duckdb' } } } }));
    const renamed = await stowage(['check'], { cwd: dir });
    expect(renamed.stdout).toContain('1 Storage Actions event stays queued for warehouse "gone", space "shop", by activation "a", which is no longer configured: configure it again under that name and run `stowage flush gone` to write it');
    // Under its name again, but to another warehouse, or for another computation: a flush holds it back all the same.
    const warehouses = { local: { type: 'duckdb', settings: { path: 'warehouse.duckdb' } }, gone: { type: 'duckdb', settings: { path: 'gone.duckdb' } } };
    writeFileSync(join(dir, 'stowage.config.json'), JSON.stringify({ spaces: { shop: { ...space, activations: { a: { computation: 'carts', warehouse: 'local', table: 'carts' } } } }, warehouses }));
    expect((await stowage(['check'], { cwd: dir })).stdout).toContain('1 Storage Actions event stays queued for warehouse "gone", space "shop", by activation "a", which now writes to warehouse "local": point it back at warehouse "gone" and run `stowage flush gone` to write it');
    const other = { id: 'spa_shop', computations: { carts: { type: 'linked_audience' }, wishlists: { type: 'linked_audience' } } };
    writeFileSync(join(dir, 'stowage.config.json'), JSON.stringify({ spaces: { shop: { ...other, activations: { a: { computation: 'wishlists', warehouse: 'gone', table: 'carts' } } } }, warehouses }));
    expect((await stowage(['check'], { cwd: dir })).stdout).toContain('1 Storage Actions event stays queued for warehouse "gone", space "shop", by activation "a", which now activates computation "wishlists" (queued for "carts"): point it back at "carts" (or give "wishlists" an activation of its own) and run `stowage flush gone` to write it');
  });

  it('tells of Classic calls logged for a warehouse no longer configured, in check and flush, and check writes nothing for it', async () => {
    const dir = project({ warehouses: { local: { type: 'duckdb', settings: { path: 'warehouse.duckdb' } }, old: { type: 'duckdb', settings: { path: 'old.duckdb' } } } });
    writeFileSync(join(dir, 'calls.ndjson'), '{"type":"identify","userId":"u1","traits":{"a":1}}\n');
    expect((await stowage(['ingest', 'calls.ndjson', '--space', 'shop'], { cwd: dir })).code).toBe(0);
    writeFileSync(join(dir, 'stowage.config.json'), JSON.stringify({ spaces: { shop: { id: 'spa_shop' } }, warehouses: { local: { type: 'duckdb', settings: { path: 'warehouse.duckdb' } } } }));
    const told = /Classic calls logged for warehouse "old", space "shop" are kept in .*old.shop \(\d+ kB\), which no sync reads: warehouse "old" is no longer configured\. Those its last sync had not loaded, if any, are loaded once it is configured again under that name and synced \(`stowage sync old`; none twice\)/;
    const before = readdirSync(join(dir, '.stowage', 'log', 'old', 'shop')).sort();
    expect((await stowage(['check'], { cwd: dir })).stdout).toMatch(told);
    expect(readdirSync(join(dir, '.stowage', 'log', 'old', 'shop')).sort()).toEqual(before);
    const flush = await stowage(['flush'], { cwd: dir });
    expect(flush.stdout).toMatch(told);
    // No part of a flush: nothing queued, a flush that wrote all there was.
    expect(flush.code).toBe(0);
  });

  it('refuses a run, and check tells, where state.duckdb was restored alone from an older backup', async () => {
    const dir = project();
    const run = (id: string, value: number, at: string) => writeFileSync(join(dir, `${id}.json`), JSON.stringify({ space: 'shop', computation: 'ltv', id, completedAt: at, profiles: [{ userId: 'u1', value }] }));
    run('r1', 10, '2026-11-23T10:00:00Z');
    expect((await stowage(['run', 'r1.json'], { cwd: dir })).code).toBe(0);
    copyFileSync(join(dir, '.stowage', 'state.duckdb'), join(dir, 'backup.duckdb'));
    run('r2', 20, '2026-11-23T11:00:00Z');
    expect((await stowage(['run', 'r2.json'], { cwd: dir })).code).toBe(0);
    copyFileSync(join(dir, 'backup.duckdb'), join(dir, '.stowage', 'state.duckdb'));
    const checked = await stowage(['check'], { cwd: dir });
    expect(checked.code).toBe(1);
    expect(checked.stdout).toMatch(/^profile state: space "shop": the profile state .*state\.duckdb has not applied run r2 of ltv, which this state folder records as applied by it/m);
    run('r3', 10, '2026-11-23T12:00:00Z');
    const refused = await stowage(['run', 'r3.json'], { cwd: dir });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('run r3 of shop/ltv was not applied: the profile state');
    // Held by another process (a long run, say): not waited for long, and no failure of the check.
    const holder = await DuckDBInstance.create(join(dir, '.stowage', 'state.duckdb'));
    try {
      const held = await stowage(['check'], { cwd: dir });
      expect(held.stdout).toMatch(/^profile state: not checked \(The profile state in .* is held by another process \(\d+: .*it kept it 2 s without letting go/m);
      expect(held.code).toBe(0);
    } finally {
      holder.closeSync();
    }
    // A state.duckdb that is no database at all fails the check too.
    writeFileSync(join(dir, '.stowage', 'state.duckdb'), 'not a database');
    const broken = await stowage(['check'], { cwd: dir });
    expect(broken.code).toBe(1);
    expect(broken.stdout).toMatch(/^profile state: cannot be read \(Cannot open the profile state in .*\)$/m);
    // Emptied (`: > state.duckdb`): not made again as a new state, which would send every member again as new.
    writeFileSync(join(dir, '.stowage', 'state.duckdb'), '');
    const emptied = await stowage(['check'], { cwd: dir });
    expect(emptied.code).toBe(1);
    expect(emptied.stdout).toMatch(/^profile state: cannot be read \(the profile state .*state\.duckdb is empty, while this state folder records runs it applied \(runs\/latest\/shop\.json\): its content was lost/m);
    const lost = await stowage(['run', 'r3.json'], { cwd: dir });
    expect(lost.code).toBe(1);
    expect(lost.stderr).toContain('is empty, while this state folder records runs it applied');
    expect(readFileSync(join(dir, '.stowage', 'state.duckdb')).length).toBe(0);
  });

  it("check tells a DuckDB warehouse another process holds as not checked, not as unreachable, and does not fail on it", async () => {
    const dir = project();
    (await DuckDBInstance.create(join(dir, 'warehouse.duckdb'))).closeSync();
    // A long run or sync of another process holds it past the 15 s a session waits.
    const holder = await DuckDBInstance.create(join(dir, 'warehouse.duckdb'));
    try {
      const checked = await stowage(['check'], { cwd: dir });
      expect(checked.stdout).toMatch(/^warehouse local \(duckdb\): not checked: the DuckDB file .*warehouse\.duckdb is held by another process/m);
      expect(checked.code, checked.stdout).toBe(0);
    } finally {
      holder.closeSync();
    }
  }, 40_000);

  it('loads a warehouse type from its own package, installed beside the configuration; says what is wrong with one that fails', async () => {
    // A real engine under a type of its own: DuckDB's destination, as a package would export it.
    const duckdbEntry = pathToFileURL(resolve(import.meta.dirname, '../destinations/duckdb/dist/index.js')).href;
    const dir = project({ warehouses: { local: { type: 'duck-two', settings: { path: 'warehouse.duckdb' } } } });
    const pkg = (type: string, source: string) => {
      const folder = join(dir, 'node_modules', '@stowage', `destination-${type}`);
      mkdirSync(folder, { recursive: true });
      writeFileSync(join(folder, 'package.json'), JSON.stringify({ name: `@stowage/destination-${type}`, type: 'module', exports: { '.': { types: './index.d.ts', import: './index.js' } } }));
      writeFileSync(join(folder, 'index.js'), source);
    };
    const unknown = await stowage(['check'], { cwd: dir });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown warehouse type "duck-two"; installed: duckdb, postgres, redshift (the stowage command also loads a warehouse package installed as @stowage/destination-<type>)');
    pkg('duck-two', `import { duckdb } from ${JSON.stringify(duckdbEntry)};\nexport default { ...duckdb, type: 'duck-two' };\n`);
    writeFileSync(join(dir, 'r1.json'), JSON.stringify({ space: 'shop', computation: 'vip', id: 'r1', completedAt: '2026-11-23T10:00:00Z', profiles: [{ userId: 'u1' }] }));
    expect((await stowage(['run', 'r1.json'], { cwd: dir })).code).toBe(0);
    const sync = await stowage(['sync'], { cwd: dir });
    expect(sync.code, sync.stderr).toBe(0);
    expect((await stowage(['check'], { cwd: dir })).stdout).toContain('warehouse local (duck-two): connected');
    pkg('duck-two', `export default { type: 'something-else' };\n`);
    const wrong = await stowage(['check'], { cwd: dir });
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('/warehouses: warehouse type "duck-two": the package @stowage/destination-duck-two exports no destination of type "duck-two"');
    // Found, but what it imports is not: not taken for a package that is not installed.
    pkg('duck-two', `import 'no-such-dependency-of-stowage';\nexport default {};\n`);
    const missing = await stowage(['check'], { cwd: dir });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("the package @stowage/destination-duck-two could not be loaded: Cannot find package 'no-such-dependency-of-stowage'");
    pkg('duck-two', `throw new Error('broken on purpose');\n`);
    const broken = await stowage(['check'], { cwd: dir });
    expect(broken.code).toBe(2);
    expect(broken.stderr).toContain('/warehouses: warehouse type "duck-two": the package @stowage/destination-duck-two could not be loaded: broken on purpose');
  });

  it('check makes no state folder, whether or not it reaches the warehouse', async () => {
    const dir = project({ warehouses: { down: { type: 'postgres', settings: { url: 'postgres://stowage@127.0.0.1:1/nothing' } } } });
    const check = await stowage(['check'], { cwd: dir });
    expect(check.code).toBe(1);
    expect(check.stdout).toContain('warehouse down (postgres): cannot connect');
    // The last line says what failed, not every kind of failure there is.
    expect(check.stdout.trimEnd().split('\n').at(-1)).toBe('not OK: warehouse down cannot be reached (above)');
    expect(existsSync(join(dir, '.stowage'))).toBe(false);
  });

  it('check tells a state folder that cannot be made, and a sync that cannot take its lock there says why', async () => {
    const dir = project({ stateDir: 'a-file/state' });
    writeFileSync(join(dir, 'a-file'), '');
    const check = await stowage(['check'], { cwd: dir });
    expect(check.code).toBe(1);
    expect(check.stdout).toContain(`state folder ${join(dir, 'a-file', 'state')}: cannot be made: ${join(dir, 'a-file')} is a file, not a folder`);
    // Reachable, the warehouse is still told of.
    expect(check.stdout).toContain('warehouse local (duckdb): connected');
    expect(check.stdout).toContain('not OK: the state folder cannot be used (above)');
    const good = await stowage(['check'], { cwd: project() });
    expect(good.stdout).toMatch(/^state folder .*\.stowage: writable$/m);
    const sync = await stowage(['sync'], { cwd: dir });
    expect(sync.code).toBe(1);
    expect(sync.stderr).toMatch(/ENOTDIR.*\(`stowage check` tests the state folder, `stateDir`, which Stowage must be able to write\)/);
    // A path the file system refuses once Stowage writes under it (ENAMETOOLONG at the first run).
    const long = await stowage(['check'], { cwd: project({ stateDir: `.stowage/${'a'.repeat(300)}` }) });
    expect(long.code).toBe(1);
    expect(long.stdout).toMatch(/^state folder .*: cannot be used: its folder name "a{40}…" is 300 bytes, past the 255 a file system allows; give `stateDir` a shorter path$/m);
    if (process.platform === 'linux' && process.getuid?.() === 0) {
      // Writable to `access` (root), yet the file system refuses a folder there: a run hung on a
      // full core, inside Node's recursive mkdir, where check called the folder writable.
      const procDir = project({ stateDir: '/proc/stowage-state' });
      const refused = await stowage(['check'], { cwd: procDir });
      expect(refused.stdout).toContain("state folder /proc/stowage-state: cannot be made (ENOENT: the file system refuses a folder here, mkdir '/proc/stowage-state' (its parent /proc is there))");
      writeFileSync(join(procDir, 'r1.json'), JSON.stringify({ space: 'shop', computation: 'ltv', id: 'r1', completedAt: '2026-11-23T10:00:00Z', profiles: [{ userId: 'u1', value: 1 }] }));
      const run = await stowage(['run', 'r1.json'], { cwd: procDir });
      expect(run.code).toBe(1);
      expect(run.stderr).toContain('(`stowage check` tests the state folder, `stateDir`, which Stowage must be able to write)');
    }
    const deep = await stowage(['check'], { cwd: project({ stateDir: Array.from({ length: 20 }, () => 'b'.repeat(200)).join('/') }) });
    expect(deep.stdout).toMatch(/^state folder .*: cannot be used: its path is \d+ bytes, and the files Stowage keeps under it would pass the 4095 a path may take/m);
  });

  it('check names a schema an activation writes to that does not exist, which Stowage never creates', async () => {
    const dir = project({
      spaces: { shop: { id: 'spa_shop', computations: { carts: { type: 'linked_audience' } }, activations: { a: { computation: 'carts', warehouse: 'local', table: 'carts', schema: 'analytics' } } } },
    });
    const check = await stowage(['check'], { cwd: dir });
    expect(check.code).toBe(1);
    expect(check.stdout).toContain('warehouse local (duckdb): schema "analytics" does not exist, and Stowage never creates a schema an activation names (activation "a"): create it, or remove `schema` from the activation to write to the space\'s own');
    const warehouse = await DuckDBInstance.create(join(dir, 'warehouse.duckdb'));
    const connection = await warehouse.connect();
    await connection.run('CREATE SCHEMA analytics');
    connection.closeSync();
    warehouse.closeSync();
    const again = await stowage(['check'], { cwd: dir });
    expect(again.code, again.stdout).toBe(0);
  });

  it('writes activations when a run completes, and shows the writes in the history beside the syncs', async () => {
    const dir = project({
      spaces: {
        shop: {
          id: 'spa_shop',
          computations: { carts: { type: 'linked_audience' } },
          activations: {
            carts_to_local: { computation: 'carts', warehouse: 'local', table: 'abandoned_carts', maxEntityContextBytes: 64 },
            // Into a schema not made yet: its events stay queued, and it holds no reject.
            carts_to_archive: { computation: 'carts', warehouse: 'local', table: 'carts', schema: 'archive' },
          },
        },
      },
    });
    const run = [{ space: 'shop', computation: 'carts', id: 'r1' }, { userId: 'u1', entityContext: { cart_id: 'c1' } }, { userId: 'u2', entityContext: { note: 'x'.repeat(100) } }];
    writeFileSync(join(dir, 'r1.ndjson'), run.map((x) => JSON.stringify(x)).join('\n'));
    const r = await stowage(['run', 'r1.ndjson'], { cwd: dir });
    expect(r.code, r.stderr).toBe(3);
    expect(r.stdout).toMatch(/activation carts_to_local → local shop\.abandoned_carts: 1 rows written, 1 refused, \d+ ms/);
    expect(r.stdout).toContain('activation carts_to_archive → local archive.carts: 0 rows written, 0 refused, 2 queued\n');
    expect(r.stdout).toContain('Storage Actions write to local: 1 rejects (see shop._stowage_rejects)');
    expect(r.stdout).toMatch(/not written: the entity context of this event \(user "u2", Audience Entered, run r1\) is 1\d\d bytes, over the limit of 64 \(the activation's maxEntityContextBytes\)/);
    const history = await stowage(['history'], { cwd: dir });
    expect(history.stdout).toMatch(/local\s+storage-actions\s+run r1\s+Partial/);
    const flushed = await stowage(['flush'], { cwd: dir });
    expect(flushed.stdout).toMatch(/^Partial: Storage Actions write to warehouse local, 0 events .*\n  2 events stay queued: activation "carts_to_archive": the schema "archive" does not exist/m);
  });

  it('says where the values a run\'s write quarantined are kept', async () => {
    const columns = { cart_id: { '@path': '$.properties.data_graph_entity_context.cart_id' } };
    const dir = project({ spaces: { shop: { computations: { carts: { type: 'linked_audience' } }, activations: { a: { computation: 'carts', warehouse: 'local', table: 'carts', columns } } } } });
    // Half of a character, which no warehouse stores as it is: the row is written, the value quarantined.
    const run = [{ space: 'shop', computation: 'carts', id: 'r1' }, { userId: 'u1', entityContext: { cart_id: 'c1' } }, { userId: 'u2', entityContext: { cart_id: 'a\ud800b' } }];
    writeFileSync(join(dir, 'r1.ndjson'), run.map((x) => JSON.stringify(x)).join('\n'));
    const r = await stowage(['run', 'r1.ndjson'], { cwd: dir });
    expect(r.code, r.stderr).toBe(3);
    expect(r.stdout).toMatch(/activation a → local shop\.carts: 2 rows written, 0 refused/);
    expect(r.stdout).toContain('Storage Actions write to local: 1 rejects (see shop._stowage_rejects)');
  });
});
