import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Destination } from '../contract/destination.js';
import { ConfigError, loadConfig, parseConfig } from './load.js';

/** A warehouse of 63-byte names (PostgreSQL's), read without regard to case (DuckDB's), that cannot have a schema named `reserved`. */
const fake = {
  type: 'memory',
  settingsSchema: { type: 'object', properties: { path: { type: 'string' } }, required: ['path'] },
  dialect: { identifiers: { maxLength: 63, reservedWords: new Set(), prefixLeadingDigit: false, caseInsensitive: true } },
  schemaProblem: (schema: string) => (schema === 'reserved' ? 'is reserved here' : undefined),
} as unknown as Destination;
const destinations = new Map([['memory', fake]]);
const parse = (raw: unknown) => parseConfig(raw, '/srv/stowage', destinations);

describe('configuration', () => {
  it('tells an unknown key with the keys that may be there, and the one it likely misspells', () => {
    const problems = (raw: unknown) => {
      try {
        parse(raw);
      } catch (error) {
        return (error as ConfigError).problems;
      }
      return [];
    };
    expect(problems({ batchsize: 5, spaces: { default: {} }, warehouses: { wh: { type: 'memory', settings: { path: 'x' }, shedule: '0 * * * *', colour: 'red' } } })).toEqual([
      '/: unknown key "batchsize" (did you mean "batchSize"? the keys here: $schema, stateDir, batchSize, batchBytes, spaces, warehouses)',
      '/warehouses/wh: unknown key "shedule" (did you mean "schedule"? the keys here: type, settings, spaces, schedule, schemaPrefix, disabled)',
      '/warehouses/wh: unknown key "colour" (the keys here: type, settings, spaces, schedule, schemaPrefix, disabled)',
    ]);
    // Two neighbours swapped are one slip.
    expect(problems({ spaces: { default: {} }, warehouses: { wh: { type: 'memory', settings: { path: 'x' }, sapces: ['default'] } } })).toEqual([
      '/warehouses/wh: unknown key "sapces" (did you mean "spaces"? the keys here: type, settings, spaces, schedule, schemaPrefix, disabled)',
    ]);
  });

  it('reads a number or a yes/no setting written as a variable\'s reference as that type, and names the variable when its value is not one', () => {
    const typed = { ...fake, settingsSchema: { type: 'object', properties: { path: { type: 'string' }, port: { type: 'integer' }, ssl: { type: 'boolean' } }, required: ['path'] } } as unknown as Destination;
    const withVars = (env: Record<string, string>) => {
      const saved = { ...process.env };
      Object.assign(process.env, env);
      try {
        return parseConfig({ spaces: { default: {} }, warehouses: { wh: { type: 'memory', settings: { path: '${DB_PATH}', port: '${DB_PORT}', ssl: '${DB_SSL}' } } } }, '/srv', new Map([['memory', typed]]));
      } finally {
        process.env = saved;
      }
    };
    expect(withVars({ DB_PATH: 'x', DB_PORT: '5432', DB_SSL: 'true' }).warehouses.wh!.settings).toEqual({ path: 'x', port: 5432, ssl: true });
    expect(() => withVars({ DB_PATH: 'x', DB_PORT: 'five', DB_SSL: 'true' })).toThrow('/warehouses/wh/settings/port: must be integer (the value of the environment variable DB_PORT, which `${DB_PORT}` reads)');
  });

  it('fills the documented defaults', () => {
    const config = parse({
      spaces: { default: { computations: { vip: { type: 'audience' } } } },
      warehouses: { wh: { type: 'memory', settings: { path: 'x' } } },
    });
    expect(config.stateDir).toBe('/srv/stowage/.stowage');
    expect(config.batchSize).toBe(20_000);
    expect(config.batchBytes).toBe(16 * 1024 * 1024);
    expect(config.spaces.default!.id).toBe('spa_default');
    expect(config.warehouses.wh).toMatchObject({ schedule: '0 * * * *', schemaPrefix: 'engage_', spaces: ['default'], disabled: { tables: [], columns: {} } });
    expect(config.spaces.default!.computations.vip).toMatchObject({
      id: 'aud_vip',
      warehouses: { wh: { identify: true, track: true, enteredEvent: 'Audience Entered', exitedEvent: 'Audience Exited', computedEvent: 'Trait Computed', includeAnonymous: false, includeMobileIds: false } },
    });
  });

  it('lists every problem with the path of the bad key', () => {
    const attempt = () => parse({
      spaces: { 'Bad Space': {}, ok: { computations: { vip: { type: 'segment', warehouses: { nowhere: {} } } } } },
      warehouses: { wh: { type: 'memory', settings: {}, disabled: { tables: ['identifies'], columns: { users: ['id'] } } }, other: { type: 'oracle', settings: {} } },
    });
    expect(attempt).toThrow(ConfigError);
    try {
      attempt();
    } catch (error) {
      expect((error as ConfigError).problems).toEqual(expect.arrayContaining([
        expect.stringContaining('/spaces: name "Bad Space" is not allowed'),
        '/spaces/ok/computations/vip/type: must be one of "audience", "trait", "linked_audience", "journey_step"',
      ]));
    }
    const semantic = () => parse({
      spaces: { ok: { computations: { vip: { type: 'audience', warehouses: { nowhere: {} } } } } },
      warehouses: { wh: { type: 'memory', settings: {}, disabled: { tables: ['identifies'], columns: { users: ['id'] } } }, other: { type: 'oracle', settings: {} } },
    });
    try {
      semantic();
      expect.unreachable();
    } catch (error) {
      expect((error as ConfigError).problems).toEqual([
        "/warehouses/wh/settings: must have required property 'path'",
        '/warehouses/wh/disabled/tables: "users" is computed from "identifies"; disable both, or neither',
        '/warehouses/wh/disabled/columns/users: id cannot be disabled (loads are keyed and merged on them)',
        '/warehouses/other/type: unknown warehouse type "oracle"; installed: memory (the stowage command also loads a warehouse package installed as @stowage/destination-<type>)',
        '/spaces/ok/computations/vip/warehouses/nowhere: no warehouse of that name',
      ]);
    }
  });

  it('refuses a computation whose key names the column its track calls carry the key in (audience_key, trait_key)', () => {
    const config = (computations: Record<string, unknown>) => () => parse({ spaces: { s: { computations } }, warehouses: { wh: { type: 'memory', settings: { path: 'x' } } } });
    expect(config({ audience_key: { type: 'audience' } })).toThrow(/\/spaces\/s\/computations\/audience_key: an audience's track calls carry its key in the property `audience_key`.*Rename the computation, or set `track: false` for its warehouses \(wh\)/);
    expect(config({ 'Trait Key': { type: 'trait' } })).toThrow(/\/spaces\/s\/computations\/Trait Key: a trait's track calls carry its key in the property `trait_key`/);
    // Each only where it meets its own marker, and only where track calls are sent.
    expect(config({ trait_key: { type: 'audience' }, audience_key: { type: 'trait' } })).not.toThrow();
    expect(config({ audience_key: { type: 'audience', warehouses: { wh: { track: false } } } })).not.toThrow();
    expect(config({ audience_key: { type: 'linked_audience' } })).not.toThrow();
  });

  it('takes a valueType on a computed trait alone', () => {
    const config = (computations: Record<string, unknown>) => () => parse({ spaces: { s: { computations } }, warehouses: { wh: { type: 'memory', settings: { path: 'x' } } } });
    expect(config({ vip: { type: 'audience', valueType: 'double' } })).toThrow(/\/spaces\/s\/computations\/vip\/valueType: only a computed trait has a value type/);
    expect(config({ ltv: { type: 'trait', valueType: 'number' } })).toThrow(/\/spaces\/s\/computations\/ltv\/valueType/);
    expect(config({ ltv: { type: 'trait', valueType: 'double' } })().spaces.s!.computations.ltv!.valueType).toBe('double');
  });

  it("refuses an event name of the other kind of computation, which would be taken and never used", () => {
    const config = (computations: Record<string, unknown>) => () => parse({ spaces: { s: { computations } }, warehouses: { wh: { type: 'memory', settings: { path: 'x' } } } });
    expect(config({ vip: { type: 'audience', warehouses: { wh: { computedEvent: 'VIP Computed' } } } })).toThrow(
      /\/spaces\/s\/computations\/vip\/warehouses\/wh\/computedEvent: an audience names its events with enteredEvent and exitedEvent; computedEvent is for computed traits, and would never be used/,
    );
    expect(config({ ltv: { type: 'trait', warehouses: { wh: { enteredEvent: 'LTV Entered' } } } })).toThrow(/\/spaces\/s\/computations\/ltv\/warehouses\/wh\/enteredEvent: a computed trait names its event with computedEvent/);
    expect(config({ vip: { type: 'audience', warehouses: { wh: { enteredEvent: 'VIP In', exitedEvent: 'VIP Out' } } }, ltv: { type: 'trait', warehouses: { wh: { computedEvent: 'LTV' } } } })).not.toThrow();
  });

  it('disables columns of a table named like a member every object has (constructor, __proto__)', () => {
    // The table of an event named `Constructor`: its entry was looked up on a plain record, found
    // Object.prototype.constructor, and the configuration failed to load with "(columns[t] ?? []) is not iterable".
    const config = parse(JSON.parse('{"spaces":{"s":{}},"warehouses":{"wh":{"type":"memory","settings":{"path":"x"},"disabled":{"columns":{"constructor":["secret"],"__proto__":["a"]}}}}}'));
    const columns = config.warehouses.wh!.disabled.columns;
    expect(Object.keys(columns)).toEqual(['constructor', '__proto__']);
    expect([columns.constructor, columns['__proto__']]).toEqual([['secret'], ['a']]);
  });

  it("refuses disabling Stowage's own tables, which a sync needs", () => {
    const config = (disabled: Record<string, unknown>) => () => parse({ spaces: { s: {} }, warehouses: { wh: { type: 'memory', settings: { path: 'x' }, disabled } } });
    // Each at its own path.
    const problems = (() => {
      try {
        config({ tables: ['order_completed', '_stowage_loads'], columns: { _stowage_rejects: ['reason'] } })();
      } catch (error) {
        return (error as ConfigError).problems;
      }
    })();
    expect(problems).toEqual([
      expect.stringMatching(/^\/warehouses\/wh\/disabled\/tables\/1: "_stowage_loads" is a table of Stowage's own .* it cannot be disabled$/),
      expect.stringMatching(/^\/warehouses\/wh\/disabled\/columns\/_stowage_rejects: "_stowage_rejects" is a table of Stowage's own /),
    ]);
    expect(config({ tables: ['order_completed'] })).not.toThrow();
  });

  it('refuses two computations whose keys name one column where they reach the same warehouse', () => {
    const config = (computations: Record<string, unknown>) => () => parse({ spaces: { s: { computations } }, warehouses: { wh: { type: 'memory', settings: { path: 'x' } }, other: { type: 'memory', settings: { path: 'y' } } } });
    expect(config({ VIP: { type: 'audience' }, vip: { type: 'audience' } })).toThrow(/\/spaces\/s\/computations\/vip: names the same column as computation "VIP" \("vip"\), and both reach warehouse wh, other/);
    expect(config({ 'Lifetime Value': { type: 'trait' }, lifetime_value: { type: 'trait' } })).toThrow(/names the same column as computation "Lifetime Value"/);
    // Apart, or not both Classic, they write no column together.
    expect(config({ VIP: { type: 'audience', warehouses: { wh: {} } }, vip: { type: 'audience', warehouses: { other: {} } } })).not.toThrow();
    expect(config({ VIP: { type: 'audience' }, vip: { type: 'linked_audience' } })).not.toThrow();
    // A warehouse named like a member every object has was found among the other's warehouses on Object.prototype.
    const named = (computations: Record<string, unknown>) => () => parse({ spaces: { s: { computations } }, warehouses: { wh: { type: 'memory', settings: { path: 'x' } }, constructor: { type: 'memory', settings: { path: 'y' } } } });
    expect(named({ VIP: { type: 'audience', warehouses: { constructor: {} } }, vip: { type: 'audience', warehouses: { wh: {} } } })).not.toThrow();
    expect(named({ VIP: { type: 'audience', warehouses: { constructor: {} } }, vip: { type: 'audience' } })).toThrow(/and both reach warehouse constructor: /);
  });

  it('refuses a mapped column keyed __proto__, which the mapping kit would lose', () => {
    const raw = JSON.parse('{"spaces":{"s":{"computations":{"c":{"type":"linked_audience"}},"activations":{"a":{"computation":"c","warehouse":"wh","table":"t","columns":{"__proto__":{"@path":"$.userId"}}}}}},"warehouses":{"wh":{"type":"memory","settings":{"path":"x"}}}}');
    expect(() => parse(raw)).toThrow(/\/spaces\/s\/activations\/a\/columns: a column may not be keyed "__proto__"/);
  });

  it("names a computation, a warehouse or a space named like a member every object has (constructor, toString) that the configuration lacks, and refuses entries named __proto__, which would be lost", () => {
    const problems = (text: string) => {
      try {
        parse(JSON.parse(text));
      } catch (error) {
        return error instanceof ConfigError ? error.problems : [`not a ConfigError: ${(error as Error).message}`];
      }
      return [];
    };
    const wh = '"warehouses":{"wh":{"type":"memory","settings":{"path":"x"}}}';
    // Found on Object.prototype, these were taken for configured: an activation of no computation
    // passed (and never wrote), a warehouse of none failed the load with a bare TypeError.
    expect(problems(`{"spaces":{"s":{"computations":{"c":{"type":"linked_audience"}},"activations":{"a":{"computation":"constructor","warehouse":"wh","table":"t"}}}},${wh}}`)).toEqual([
      '/spaces/s/activations/a/computation: no computation "constructor" in space "s"',
    ]);
    expect(problems(`{"spaces":{"s":{"computations":{"c":{"type":"linked_audience"}},"activations":{"a":{"computation":"c","warehouse":"toString","table":"t"}}}},${wh}}`)).toEqual([
      '/spaces/s/activations/a/warehouse: no warehouse named "toString"',
    ]);
    expect(problems(`{"spaces":{"s":{"computations":{"c":{"type":"audience","warehouses":{"hasOwnProperty":{}}}}}},${wh}}`)).toEqual([
      '/spaces/s/computations/c/warehouses/hasOwnProperty: no warehouse of that name',
    ]);
    expect(problems(`{"spaces":{"s":{}},"warehouses":{"wh":{"type":"memory","settings":{"path":"x"},"spaces":["s","constructor"]}}}`)).toEqual(['/warehouses/wh/spaces: no space named "constructor"']);
    // Set with `record[name] = …`, an entry named __proto__ became the record's prototype: an
    // activation, a computation, a space or a warehouse gone from a configuration said OK.
    expect(problems(`{"spaces":{"s":{"computations":{"c":{"type":"linked_audience"},"__proto__":{"type":"audience"}},"activations":{"__proto__":{"computation":"c","warehouse":"wh","table":"t"}}}},${wh}}`)).toEqual([
      '/spaces/s/computations/__proto__: the name "__proto__" is JavaScript\'s for an object\'s prototype, and an entry so named would be lost; choose another name',
      '/spaces/s/activations/__proto__: the name "__proto__" is JavaScript\'s for an object\'s prototype, and an entry so named would be lost; choose another name',
    ]);
    expect(problems(`{"spaces":{"__proto__":{}},"warehouses":{"__proto__":{"type":"memory","settings":{"path":"x"}}}}`)).toEqual([
      '/warehouses/__proto__: the name "__proto__" is JavaScript\'s for an object\'s prototype, and an entry so named would be lost; choose another name',
      '/spaces/__proto__: the name "__proto__" is JavaScript\'s for an object\'s prototype, and an entry so named would be lost; choose another name',
    ]);
  });

  it("takes an activation's schema named as its space for the space's own, made when missing, not an existing schema of the user's", () => {
    const config = parse({
      spaces: { shop: { computations: { carts: { type: 'linked_audience' } }, activations: { a: { computation: 'carts', warehouse: 'wh', table: 't', schema: 'SHOP' }, b: { computation: 'carts', warehouse: 'wh', table: 't', schema: 'mine' } } } },
      warehouses: { wh: { type: 'memory', settings: { path: 'x' } } },
    });
    // The fake warehouse reads names without regard to case, as DuckDB and Redshift do.
    expect(config.spaces.shop!.activations.a!.schema).toBeUndefined();
    expect(config.spaces.shop!.activations.b!.schema).toBe('mine');
  });

  it('reads ${NAME} in warehouse settings from the environment, and names a missing variable, never a value', () => {
    process.env.STOWAGE_TEST_WAREHOUSE_PATH = 'from-env';
    try {
      const config = parse({ spaces: { a: {} }, warehouses: { wh: { type: 'memory', settings: { path: '/data/${STOWAGE_TEST_WAREHOUSE_PATH}/w.db?x=$${kept}' } } } });
      expect(config.warehouses.wh!.settings).toEqual({ path: '/data/from-env/w.db?x=${kept}' });
    } finally {
      delete process.env.STOWAGE_TEST_WAREHOUSE_PATH;
    }
    expect(() => parse({ spaces: { a: {} }, warehouses: { wh: { type: 'memory', settings: { path: '${STOWAGE_TEST_NOT_SET}' } } } })).toThrow(
      '/warehouses/wh/settings/path: the environment variable STOWAGE_TEST_NOT_SET is not set',
    );
    // A reference left open or misspelt would be taken as written (a password that fails to log in), never quoted: it may hold one.
    for (const path of ['${STOWAGE_TEST_PATH', 'x${STOWAGE-TEST}', '${ STOWAGE_TEST }', '${1X}']) {
      expect(() => parse({ spaces: { a: {} }, warehouses: { wh: { type: 'memory', settings: { path } } } }), path).toThrow(
        /\/warehouses\/wh\/settings\/path: a `\$\{` in it begins no reference to an environment variable \(`\$\{NAME\}`, .*\): close or correct the reference, or write `\$\$\{` for a literal `\$\{`$/,
      );
    }
    // `$${` is a literal `${` as the refusal says, a name after it or not (it was kept as `$${` where none followed).
    for (const [path, read] of [['a$b{c}$${d', 'a$b{c}${d'], ['pa$${ss', 'pa${ss'], ['$${HOME}', '${HOME}'], ['a$$${HOME}', 'a$${HOME}']]) {
      expect(parse({ spaces: { a: {} }, warehouses: { wh: { type: 'memory', settings: { path } } } }).warehouses.wh!.settings, path).toEqual({ path: read });
    }
  });

  it('says where a configuration is not JSON, by line and column, and that a folder is no file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'stowage-config-'));
    try {
      writeFileSync(join(dir, 'bad.json'), '{\n  "spaces": {},\n  "warehouses": { "wh": { "type": "memory", } }\n}\n');
      expect(() => loadConfig(join(dir, 'bad.json'), destinations)).toThrow(/bad\.json is not valid JSON: .* \(line 3, column \d+\)/);
      expect(() => loadConfig(dir, destinations)).toThrow(`${dir} is a folder: give the configuration file (stowage.config.json) itself`);
      // A file descriptor is no configuration's name.
      expect(() => loadConfig(5 as never, destinations)).toThrow("the configuration is named by its file's path, a non-empty string, not 5");
      // A byte-order mark first (PowerShell's UTF-8) is skipped, as a run file's is.
      writeFileSync(join(dir, 'bom.json'), '\ufeff{"spaces": {"default": {}}, "warehouses": {"wh": {"type": "memory", "settings": {"path": "x"}}}}\n');
      expect(Object.keys(loadConfig(join(dir, 'bom.json'), destinations).warehouses)).toEqual(['wh']);
      // A warehouse copied under its own name, a key written twice: JSON.parse would keep the last alone.
      writeFileSync(
        join(dir, 'twice.json'),
        '{"spaces": {"default": {}}, "warehouses": {\n "wh": {"type": "memory", "settings": {"path": "prod"}},\n "wh": {"type": "memory", "settings": {"path": "x", "p\\u0061th": "y"}, "spaces": ["default", "default"]}}}\n',
      );
      expect(() => loadConfig(join(dir, 'twice.json'), destinations)).toThrow(
        /twice\.json:\n {2}- \/warehouses\/wh: this key is written twice in its object, and JSON keeps the last one without a word \(the first is not read\): write it once, or rename one\n {2}- \/warehouses\/wh\/settings\/path: this key is written twice in its object, .*$/,
      );
      // Saved as Latin-1: its `é` is no UTF-8 character, which decoded anyway would be U+FFFD.
      writeFileSync(join(dir, 'latin1.json'), Buffer.from('{"spaces": {"default": {"id": "caf\xe9"}},\n "warehouses": {"wh": {"type": "memory", "settings": {"path": "x"}}}}\n', 'latin1'));
      expect(() => loadConfig(join(dir, 'latin1.json'), destinations)).toThrow(/latin1\.json:\n {2}- line 1: not valid UTF-8: byte 35 \(0xE9\) begins no character; .* Save the file as UTF-8$/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("refuses a warehouse whose database is the profile state's own file", () => {
    // A warehouse of files, whose location is the file's absolute path (as DuckDB's is).
    const filed = new Map([['filed', { ...fake, type: 'filed', location: (settings: { path: string }, { root }: { root: string }) => resolve(root, settings.path) } as unknown as Destination]]);
    const config = (path: string) => ({ stateDir: 'st', spaces: { a: {} }, warehouses: { wh: { type: 'filed', settings: { path } } } });
    expect(() => parseConfig(config('st/state.duckdb'), '/srv/stowage', filed)).toThrow(
      `/warehouses/wh/settings: warehouse "wh" is the profile state's own database (/srv/stowage/st/state.duckdb), which Stowage keeps apart from the tables it writes; give it a file of its own`,
    );
    // Another file in the same folder is the user's to choose.
    expect(parseConfig(config('st/w.duckdb'), '/srv/stowage', filed).warehouses.wh).toBeDefined();
  });

  it('refuses ${NAME} where it would not be expanded (stateDir, a table name), and leaves it alone in a mapping, whose values are data', () => {
    expect(() => parse({ stateDir: '${HOME}/state', spaces: { a: {} }, warehouses: { wh: { type: 'memory', settings: { path: 'x' } } } })).toThrow(
      "/stateDir: ${HOME} is not expanded here (environment variables are read only in a warehouse's settings): write the value itself",
    );
    expect(() =>
      parse({ spaces: { a: { computations: { c: { type: 'linked_audience' } }, activations: { x: { computation: 'c', warehouse: 'wh', table: 't_${ENV}' } } } }, warehouses: { wh: { type: 'memory', settings: { path: 'x' } } } }),
    ).toThrow('/spaces/a/activations/x/table: ${ENV} is not expanded here');
    const config = parse({
      spaces: { a: { computations: { c: { type: 'linked_audience' } }, activations: { x: { computation: 'c', warehouse: 'wh', table: 't', columns: { note: 'price: ${price}' } } } } },
      warehouses: { wh: { type: 'memory', settings: { path: 'x' } } },
    });
    expect(config.spaces.a!.activations.x!.table).toBe('t');
  });

  it('tells every problem at once: a warehouse whose settings are wrong still names its spaces, and an unset variable is the one problem of its setting', () => {
    const told = (raw: unknown): string[] => {
      try {
        parse(raw);
      } catch (error) {
        return (error as ConfigError).problems;
      }
      throw new Error('expected a ConfigError');
    };
    // Without a path, the fake's settings are wrong; its spaces are checked all the same.
    expect(told({ spaces: { a: {} }, warehouses: { wh: { type: 'memory', settings: {}, spaces: ['a', 'b2b'] } } })).toEqual([
      "/warehouses/wh/settings: must have required property 'path'",
      '/warehouses/wh/spaces: no space named "b2b"',
    ]);
    const fussy = { ...fake, type: 'fussy', settingsProblems: (settings: { path: string }) => (settings.path === '' ? ['path: it is empty'] : []) } as unknown as Destination;
    const problems = (() => {
      try {
        parseConfig({ spaces: { a: {} }, warehouses: { wh: { type: 'fussy', settings: { path: '${STOWAGE_TEST_NOT_SET}' } } } }, '/srv/stowage', new Map([['fussy', fussy]]));
      } catch (error) {
        return (error as ConfigError).problems;
      }
      return [];
    })();
    expect(problems).toEqual(['/warehouses/wh/settings/path: the environment variable STOWAGE_TEST_NOT_SET is not set']);
  });

  describe('activations (Storage Actions)', () => {
    const withActivations = (activations: Record<string, unknown>, computations: Record<string, unknown> = { carts: { type: 'linked_audience' }, ltv: { type: 'trait' }, steps: { type: 'journey_step' } }) =>
      parse({ spaces: { shop: { computations, activations } }, warehouses: { wh: { type: 'memory', settings: { path: 'x' } } } });
    const problems = (fn: () => unknown): string[] => {
      try {
        fn();
      } catch (error) {
        return (error as ConfigError).problems;
      }
      throw new Error('expected a ConfigError');
    };

    it('fills the preset, the event names, the activation id and the 32 KB entity-context limit', () => {
      const config = withActivations({ a: { computation: 'carts', warehouse: 'wh', table: 'carts' }, j: { computation: 'steps', warehouse: 'wh', table: 'steps', events: { stepEntered: 'Step 2' } } });
      expect(config.spaces.shop!.activations.a).toEqual({
        name: 'a', id: 'act_a', computation: 'carts', warehouse: 'wh', table: 'carts', preset: 'linked-audience', columns: {}, maxEntityContextBytes: 32768,
        events: { entered: 'Audience Entered', exited: 'Audience Exited', entityAdded: 'Associated Entity Added', entityRemoved: 'Associated Entity Removed', stepEntered: 'Journey Step Entered' },
      });
      expect(config.spaces.shop!.activations.j).toMatchObject({ preset: 'journey-step', events: { stepEntered: 'Step 2' } });
      // Linked audiences and journey steps are not Classic computations.
      expect(config.spaces.shop!.computations.carts!.warehouses).toEqual({});
    });

    it('refuses names and values holding half of a character or U+0000, which warehouses would store as another (two activation ids made one message id)', () => {
      const found = problems(() =>
        withActivations({ a: { computation: 'carts', warehouse: 'wh', table: 'carts', id: 'act_\uD800' }, b: { computation: 'carts', warehouse: 'wh', table: 'carts', id: 'act_\uDC00', columns: { 'x\u0000\uD800': 'v\u0000' } } }),
      );
      const text = "text no warehouse stores as it is (half of a character, a lone UTF-16 surrogate such as \\ud800, or U+0000): write whole characters";
      expect(found).toEqual(
        expect.arrayContaining([
          `/spaces/shop/activations/a/id: the value holds ${text}`,
          `/spaces/shop/activations/b/id: the value holds ${text}`,
          `/spaces/shop/activations/b/columns/x\\u0000\\ud800: the key holds ${text}`,
          `/spaces/shop/activations/b/columns/x\\u0000\\ud800: the value holds ${text}`,
        ]),
      );
      // Whole characters made of two halves are text like any other.
      expect(withActivations({ a: { computation: 'carts', warehouse: 'wh', table: 'carts', id: 'act_😀' } }).spaces.shop!.activations.a!.id).toBe('act_😀');
    });

    it('refuses table names that would reach another schema, at configuration time', () => {
      for (const table of ['other.t', '"other"."t"', 'other"."t', '..', 'a..b', 'other\\.t', '`other`.t', '[other].[t]', "o'.t", ' ']) {
        const found = problems(() => withActivations({ a: { computation: 'carts', warehouse: 'wh', table } }));
        expect(found.join('\n'), table).toMatch(/^\/spaces\/shop\/activations\/a\/table: /);
      }
      expect(problems(() => withActivations({ a: { computation: 'carts', warehouse: 'wh', table: 't', schema: 'x.y' } }))).toEqual([
        expect.stringMatching(/^\/spaces\/shop\/activations\/a\/schema: "x\.y" contains a dot/),
      ]);
    });

    it('says what is wrong with an activation: its computation, warehouse and mapping', () => {
      expect(problems(() => withActivations({
        a: { computation: 'nope', warehouse: 'wh', table: 't' },
        b: { computation: 'ltv', warehouse: 'gone', table: 't' },
        c: { computation: 'carts', warehouse: 'wh', table: 't', columns: { x: { '@bogus': 1 } } },
      }))).toEqual([
        '/spaces/shop/activations/a/computation: no computation "nope" in space "shop"',
        '/spaces/shop/activations/b/computation: "ltv" is a computed trait; Storage Actions write audiences, linked audiences and journey steps (computed traits go through Classic Storage)',
        '/spaces/shop/activations/b/warehouse: no warehouse named "gone"',
        '/spaces/shop/activations/c/columns: ValidationError: /x has an invalid directive: @bogus.',
      ]);
    });

    it('refuses a mapping that fails on every event of the shape an activation gets, not only one whose directives are unknown', () => {
      expect(problems(() => withActivations({ c: { computation: 'carts', warehouse: 'wh', table: 't', columns: { x: { '@case': { operator: 'title', value: { '@path': '$.userId' } } } } } }))).toEqual([
        expect.stringMatching(/^\/spaces\/shop\/activations\/c\/columns\/x: it fails on an event of the shape every activation gets: .*operator/),
      ]);
      // Among other columns, the one that fails is named, whatever its message says (a key with `/` escaped as a JSON pointer).
      const liquid = { ok: { '@path': '$.userId' }, 'y/z': { '@liquid': '{{ properties.audience_key | upcase ' } };
      expect(problems(() => withActivations({ c: { computation: 'carts', warehouse: 'wh', table: 't', columns: liquid } }))).toEqual([
        expect.stringMatching(/^\/spaces\/shop\/activations\/c\/columns\/y~1z: .*not closed/),
      ]);
      // One that fails only on some data passes: its events are refused one by one when written.
      expect(() => withActivations({ c: { computation: 'carts', warehouse: 'wh', table: 't', columns: { x: { '@case': { operator: 'upper', value: { '@path': '$.properties.data_graph_entity_context.name' } } } } } })).not.toThrow();
    });

    it("refuses a directive that fails on every string it is given, though the event the check runs on lacks the directive's value", () => {
      const name = { '@path': '$.properties.data_graph_entity_context.name' };
      expect(problems(() => withActivations({ c: { computation: 'carts', warehouse: 'wh', table: 't', columns: { n: { '@case': { operator: 'UPPER', value: name } } } } }))).toEqual([
        '/spaces/shop/activations/c/columns/n: @case fails on every string it is given, so every event whose value is one would be refused: operator key should have a value of "lower" or "upper"',
      ]);
      const replace = { '@replace': { pattern: 'a', replacement: 'b', pattern2: 'a much longer pattern', value: name } };
      expect(problems(() => withActivations({ c: { computation: 'carts', warehouse: 'wh', table: 't', columns: { 'a/b': { '@if': { exists: name, then: replace, else: 'x' } } } } }))).toEqual([
        expect.stringMatching(/^\/spaces\/shop\/activations\/c\/columns\/a~1b: @replace fails on every string it is given, .*less than 10 characters/),
      ]);
    });

    it('refuses a @liquid template with a filter Liquid does not have, which the mapping kit would leave out of every row without a word', () => {
      const columns = { ok: { '@liquid': '{{ properties.audience_key | upcase }}' }, 'a/b': { '@if': { exists: { '@path': '$.userId' }, then: { '@liquid': '{{ userId | upcse }}' }, else: 'x' } } };
      expect(problems(() => withActivations({ c: { computation: 'carts', warehouse: 'wh', table: 't', columns } }))).toEqual([
        '/spaces/shop/activations/c/columns/a~1b: @liquid "{{ userId | upcse }}" uses the filter "upcse", which Liquid does not have: every row would get the value unfiltered',
      ]);
    });

    it('lists every column of an activation that has a problem, not the first alone', () => {
      const columns = { ok: { '@path': '$.userId' }, a: { '@liquid': '{{ userId | upcse }}' }, b: { '@case': { operator: 'UPPER', value: { '@path': '$.properties.data_graph_entity_context.name' } } }, c: { '@path': '$properties.cart_id' } };
      expect(problems(() => withActivations({ c: { computation: 'carts', warehouse: 'wh', table: 't', columns } }))).toEqual([
        expect.stringMatching(/^\/spaces\/shop\/activations\/c\/columns\/a: @liquid .*"upcse"/),
        expect.stringMatching(/^\/spaces\/shop\/activations\/c\/columns\/b: @case fails on every string/),
        expect.stringMatching(/^\/spaces\/shop\/activations\/c\/columns\/c: @path "\$properties.cart_id" reads no field/),
      ]);
    });

    it('refuses a @liquid template with a filter the mapping kit disables, though the event the check runs on does not reach it', () => {
      const template = "{% if properties.data_graph_entity_context.items %}{{ properties.data_graph_entity_context.items | map: 'sku' | join: ',' }}{% endif %}";
      expect(problems(() => withActivations({ c: { computation: 'carts', warehouse: 'wh', table: 't', columns: { skus: { '@liquid': template } } } }))).toEqual([
        `/spaces/shop/activations/c/columns/skus: @liquid ${JSON.stringify(template)} uses the filter "map", which the mapping kit disables: every event it is applied to would be refused, not written`,
      ]);
      // Filters it keeps pass, in a branch or not.
      expect(() => withActivations({ c: { computation: 'carts', warehouse: 'wh', table: 't', columns: { n: { '@liquid': '{% if userId %}{{ userId | upcase | size }}{% endif %}' } } } })).not.toThrow();
    });

    it('refuses a @path that starts at no field of the event, which would leave its column empty in every row', () => {
      for (const path of ['not a path', '$properties.cart_id', '$', 'data_graph_entity_context.cart_id']) {
        expect(problems(() => withActivations({ c: { computation: 'carts', warehouse: 'wh', table: 't', columns: { cart: { '@if': { exists: { '@path': path }, then: { '@path': path }, else: 'none' } } } } })), path).toEqual([
          expect.stringContaining(`/spaces/shop/activations/c/columns/cart: @path ${JSON.stringify(path)} reads no field of the event`),
        ]);
      }
      for (const path of ['$.properties.data_graph_entity_context.cart_id', 'properties.audience_key', '$.context.personas.space_id', '$.userId', '$.properties.items[0]', '$.', '["properties"]["audience_key"]']) {
        expect(() => withActivations({ c: { computation: 'carts', warehouse: 'wh', table: 't', columns: { cart: { '@path': path } } } }), path).not.toThrow();
      }
      // Paths that read another object than the event: an @arrayPath's items, a @transform's result.
      const items = { '@arrayPath': ['$.properties.data_graph_entity_context.items', { sku: { '@path': '$.sku' } }] };
      const transformed = { '@transform': { apply: { n: { '@path': '$.userId' } }, mapping: { '@path': '$.n' } } };
      expect(() => withActivations({ c: { computation: 'carts', warehouse: 'wh', table: 't', columns: { items, transformed } } })).not.toThrow();
      expect(problems(() => withActivations({ c: { computation: 'carts', warehouse: 'wh', table: 't', columns: { items: { '@arrayPath': ['items', { sku: { '@path': '$.sku' } }] } } } }))).toEqual([
        expect.stringContaining('/spaces/shop/activations/c/columns/items: @arrayPath "items" reads no field of the event'),
      ]);
      expect(problems(() => withActivations({ c: { computation: 'carts', warehouse: 'wh', table: 't', columns: { t: { '@transform': { apply: { n: { '@path': 'userId2' } }, mapping: { '@path': '$.n' } } } } } }))).toEqual([
        expect.stringContaining('/spaces/shop/activations/c/columns/t: @path "userId2" reads no field of the event'),
      ]);
    });

    it("keeps an activation out of another space's Storage Actions schema", () => {
      const config = (schema: string) => () =>
        parse({
          spaces: { shop: { computations: { carts: { type: 'linked_audience' } }, activations: { a: { computation: 'carts', warehouse: 'wh', table: 't', schema } } }, outlet: {} },
          warehouses: { wh: { type: 'memory', settings: { path: 'x' } } },
        });
      // The fake warehouse reads names without regard to case, as DuckDB and Redshift do.
      expect(problems(config('Outlet'))).toEqual(['/spaces/shop/activations/a/schema: "Outlet" is the Storage Actions schema of space "outlet"; a space writes to its own schema or to one of no other space']);
      expect(config('archive')).not.toThrow();
    });

    it('keeps Storage Actions tables out of Classic schemas, named or by the space\'s own name', () => {
      expect(problems(() => withActivations({ a: { computation: 'carts', warehouse: 'wh', table: 't', schema: 'engage_shop' } }))).toEqual([
        '/spaces/shop/activations/a/schema: "engage_shop" is a Classic schema of warehouse "wh"; Storage Actions tables go to the space\'s schema or a schema of their own',
      ]);
      const clash = () =>
        parse({
          spaces: { shop: {}, engage_shop: { computations: { carts: { type: 'linked_audience' } }, activations: { a: { computation: 'carts', warehouse: 'wh', table: 't' } } } },
          warehouses: { wh: { type: 'memory', settings: { path: 'x' } } },
        });
      expect(problems(clash)).toEqual([
        '/spaces/engage_shop/activations/a/warehouse: "engage_shop" is a Classic schema of warehouse "wh"; Storage Actions tables go to the space\'s schema or a schema of their own',
      ]);
      // Where the warehouse reads names without regard to case (DuckDB, Redshift), in any case.
      expect(problems(() => withActivations({ a: { computation: 'carts', warehouse: 'wh', table: 't', schema: 'Engage_Shop' } }))).toEqual([
        '/spaces/shop/activations/a/schema: "Engage_Shop" is a Classic schema of warehouse "wh"; Storage Actions tables go to the space\'s schema or a schema of their own',
      ]);
    });

    it('refuses a schedule with no time to come, and selective sync names Stowage never writes, which would disable nothing', () => {
      const warehouse = (w: Record<string, unknown>) => () => parse({ spaces: { default: {} }, warehouses: { wh: { type: 'memory', settings: { path: 'x' }, ...w } } });
      expect(problems(warehouse({ schedule: '0 0 30 2 *' }))).toEqual(['/warehouses/wh/schedule: "0 0 30 2 *" has no time to come (it names a day that does not exist)']);
      // A schedule whose last time has passed is no broken configuration: one valid yesterday stays valid (ingest and run go on).
      expect(warehouse({ schedule: '0 0 0 1 1 * 2020' })).not.toThrow();
      expect(problems(warehouse({ schedule: '0 0 0 29 2 * 2027' }))).toEqual(['/warehouses/wh/schedule: "0 0 0 29 2 * 2027" has no time to come (it names a day that does not exist)']);
      expect(problems(warehouse({ disabled: { tables: ['Order Completed'], columns: { identifies: ['Email', 'plan'], Users: ['email'] } } }))).toEqual([
        '/warehouses/wh/disabled/tables: "Order Completed" is not a name Stowage writes; tables and columns are named in snake_case ("order_completed")',
        '/warehouses/wh/disabled/columns/identifies: "Email" is not a name Stowage writes; tables and columns are named in snake_case ("email")',
        '/warehouses/wh/disabled/columns: "Users" is not a name Stowage writes; tables and columns are named in snake_case ("users" for the users table, "_users" for the table of an event named "Users")',
      ]);
    });

    it('refuses two activations of a space with one id, which their rows\' message ids are made from', () => {
      expect(problems(() => withActivations({ a: { computation: 'carts', warehouse: 'wh', table: 't', id: 'act_x' }, b: { computation: 'carts', warehouse: 'wh', table: 't', id: 'act_x' } }))).toEqual([
        '/spaces/shop/activations/b/id: "act_x" is also the id of activation "a"; each activation needs its own',
      ]);
      // The default id is made from the name, so it differs unless named so.
      expect(problems(() => withActivations({ a: { computation: 'carts', warehouse: 'wh', table: 't' }, b: { computation: 'carts', warehouse: 'wh', table: 't', id: 'act_a' } }))).toEqual([
        '/spaces/shop/activations/b/id: "act_a" is also the id of activation "a"; each activation needs its own',
      ]);
    });

    it('refuses schema names the warehouse would cut, or cannot use, before anything runs', () => {
      const long = 'legacy_personas_prefix_xxxxxxxx';
      const space = 's'.repeat(40);
      expect(problems(() => parse({ spaces: { [space]: {} }, warehouses: { wh: { type: 'memory', settings: { path: 'x' }, schemaPrefix: long } } }))).toEqual([
        `/warehouses/wh/schemaPrefix: the Classic schema of space "${space}": "${long}${space}" is 71 bytes, longer than the 63 a memory schema name holds (warehouse "wh"); use a shorter name`,
      ]);
      expect(problems(() => withActivations({ a: { computation: 'carts', warehouse: 'wh', table: 't', schema: 'é'.repeat(32) } }))).toEqual([
        expect.stringMatching(/^\/spaces\/shop\/activations\/a\/schema: "é+" is 64 bytes, longer than the 63/),
      ]);
      expect(problems(() => withActivations({ a: { computation: 'carts', warehouse: 'wh', table: 't', schema: 'reserved' } }))).toEqual([
        '/spaces/shop/activations/a/schema: is reserved here',
      ]);
    });

    it('refuses a second warehouse that would load a Classic schema of the same database as another', () => {
      // `location` as a destination tells it: here the path itself; `:memory:` is no one place.
      const located = { ...fake, location: (settings: { path: string }) => (settings.path === ':memory:' ? undefined : settings.path) } as unknown as Destination;
      const two = (a: object, b: object) => () =>
        parseConfig({ spaces: { shop: {}, blog: {} }, warehouses: { a: { type: 'memory', ...a }, b: { type: 'memory', ...b } } }, '/srv/stowage', new Map([['memory', located]]));
      const where = (schema: string, space: string) =>
        `/warehouses/b/schemaPrefix: warehouse "b" would load schema "${schema}" of space "${space}" in the same memory database as warehouse "a" (one.db); ` +
        'each keeps its own log of calls and its own index of the ids it loaded, so every call would land twice: give one another schemaPrefix, or remove one';
      expect(problems(two({ settings: { path: 'one.db' } }, { settings: { path: 'one.db' } }))).toEqual([where('engage_shop', 'shop'), where('engage_blog', 'blog')]);
      // Only the spaces both serve.
      expect(problems(two({ settings: { path: 'one.db' }, spaces: ['blog'] }, { settings: { path: 'one.db' } }))).toEqual([where('engage_blog', 'blog')]);
      expect(problems(two({ settings: { path: 'one.db' }, schemaPrefix: 'p_' }, { settings: { path: 'one.db' }, schemaPrefix: 'p_' }))).toEqual([where('p_shop', 'shop'), where('p_blog', 'blog')]);
      expect(two({ settings: { path: 'one.db' } }, { settings: { path: 'one.db' }, schemaPrefix: 'personas_' })).not.toThrow();
      expect(two({ settings: { path: 'one.db' } }, { settings: { path: 'two.db' } })).not.toThrow();
      expect(two({ settings: { path: ':memory:' } }, { settings: { path: ':memory:' } })).not.toThrow();
      // A destination that cannot tell where it writes is not second-guessed.
      expect(() => parse({ spaces: { shop: {} }, warehouses: { a: { type: 'memory', settings: { path: 'one.db' } }, b: { type: 'memory', settings: { path: 'one.db' } } } })).not.toThrow();
    });
  });
});
