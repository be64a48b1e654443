import { readFileSync, realpathSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { createRequire } from 'node:module';
import { Cron } from 'croner';
import type { Destination } from '../contract/destination.js';
import { ACTIVATION_DEFAULTS, CLASSIC_DEFAULTS, STATE_FILE, type ActivationConfig, type ComputationConfig, type SpaceConfig, type StowageConfig, type WarehouseConfig } from './config.js';
import { scopeViolation } from '../actions/scope.js';
import { actionsCore } from '../actions/actions-core.js';
import { configSchema } from './schema.js';
import { resolveEnvReferences, typedReferences, unexpandedReferences } from './env-settings.js';
import { brokenTextProblems } from './broken-text.js';
import { pointerToken } from './json-pointer.js';
import { unknownLiquidFilter } from './liquid-filters.js';
import { sharedSchemaProblems } from './shared-schemas.js';
import { ColumnNamer } from '../naming/column-namer.js';
import { applyIdentifierRules } from '../naming/identifier.js';
import { RESERVED_TABLES } from '../classic/tables.js';
import { snakeCase } from '../naming/snake-case.js';
import { likelyMeant } from './likely-meant.js';
import { utf8Problem } from '../calls/utf8.js';
import { repeatedKeys } from './repeated-keys.js';

/** The earliest time croner reads (the year 1): a schedule with no time after it has none at all. */
const SINCE_EVER = (() => {
  const d = new Date(Date.UTC(2000, 0, 1));
  d.setUTCFullYear(1);
  return d;
})();

const require = createRequire(import.meta.url);
const Ajv = require('ajv') as typeof import('ajv').default;

/** A configuration that cannot be used; every problem is listed with the path of the bad key. */
export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(
    readonly problems: string[],
    source = 'configuration',
    /** The configuration file that does not exist, where that is the problem: a command says how it chose the path. */
    readonly missingFile?: string,
  ) {
    super(`Invalid ${source}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

// verbose: an error carries the schema it failed, whose keys an unknown key is told with.
const ajv = new Ajv({ allErrors: true, strict: false, verbose: true });
// actions-core marks secret fields `format: "password"`: a hint for forms, any string is valid.
ajv.addFormat('password', true);
const validateShape = ajv.compile(configSchema);

function describeErrors(errors: NonNullable<typeof validateShape.errors>, prefix = ''): string[] {
  return errors.map((e) => {
    const path = `${prefix}${e.instancePath}` || '/';
    if (e.keyword === 'additionalProperties') return `${path}: ${unknownKey((e.params as { additionalProperty: string }).additionalProperty, Object.keys((e.parentSchema as { properties?: object } | undefined)?.properties ?? {}))}`;
    if (e.keyword === 'enum') return `${path}: must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
    if (e.keyword === 'propertyNames') return `${path}: name ${JSON.stringify((e.params as { propertyName: string }).propertyName)} is not allowed (${e.message})`;
    return `${path}: ${e.message}`;
  });
}

/** A problem of a setting written as a variable's reference (`"port": "${PGPORT}"`) says so: the value is the variable's, not in the file. */
function fromVariable(problem: string, at: string, written: Record<string, unknown>): string {
  const key = problem.slice(at.length + 1).split(/[:/ ]/)[0] ?? '';
  const value = written[key];
  const name = typeof value === 'string' ? /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/.exec(value)?.[1] : undefined;
  return name === undefined ? problem : `${problem} (the value of the environment variable ${name}, which \`${value}\` reads)`;
}

/** An unknown key, with the known key it is likely a misspelling of, and the keys that may be there. */
function unknownKey(key: string, known: readonly string[]): string {
  if (known.length === 0) return `unknown key ${JSON.stringify(key)}`;
  const likely = likelyMeant(key, known);
  return `unknown key ${JSON.stringify(key)} (${likely ? `did you mean ${JSON.stringify(likely)}? ` : ''}the keys here: ${known.join(', ')})`;
}

/**
 * A sync batch closes at this many bytes of logged calls if `batchSize` calls take more: 20,000
 * calls of the usual few hundred bytes fit, and calls of hundreds of traits (~20 KB each) come in
 * batches of ~800, whose values the client and the warehouse hold at once.
 */
const DEFAULT_BATCH_BYTES = 16 * 1024 * 1024;

const ID_PREFIX: Record<ComputationConfig['type'], string> = { audience: 'aud', trait: 'trait', linked_audience: 'aud', journey_step: 'journey' };

/**
 * Why an activation's extra columns are not a valid mapping (an unknown directive, a bad @path…).
 * Only activations that have some load the mapping kit for it.
 */
function mappingProblem(columns: Record<string, unknown>): string | undefined {
  if (Object.keys(columns).length === 0) return undefined;
  // JSON.parse makes it an own key; the mapping kit's copies assign it, which sets a prototype.
  if (Object.hasOwn(columns, '__proto__')) return 'a column may not be keyed "__proto__": the mapping kit takes it for an object\'s prototype, and its value would be lost; give the column another key';
  const checked = failure(columns, {});
  if (checked) return checked;
  const stray = strayPath(columns) ?? unknownLiquidFilter(columns);
  if (stray) return stray;
  // Some directives are checked only on a value (a @case operator): an event of the shape every
  // activation gets, so that a mapping failing on all of them is refused now, not run by run.
  return failure(columns, SAMPLE_EVENT, 'it fails on an event of the shape every activation gets: ') ?? failsOnAValue(columns);
}

/**
 * Every problem of an activation's columns, not the first alone: each column is looked at on its
 * own once the whole mapping has one, so that a configuration with two bad columns is fixed in
 * one pass. The whole mapping's problem where no column has one alone.
 */
function mappingProblems(columns: Record<string, unknown>): string[] {
  const whole = mappingProblem(columns);
  if (whole === undefined) return [];
  const each = Object.keys(columns).flatMap((key) => mappingProblem({ [key]: columns[key] }) ?? []);
  return each.length > 0 ? [...new Set(each)] : [whole];
}

/** Directives whose options mapping-kit checks only once their value is a string (a @case operator, a @replace's second pattern). */
const CHECKED_ON_A_STRING = new Set(['@case', '@replace']);

/**
 * Why such a directive fails on any string it is given, tried on one in place of its value: on
 * the sample event its value may be missing (`$.properties.data_graph_entity_context.name`), and
 * the check passes, where every event that has the field was refused when written (an operator
 * `UPPER`). Named by its column, as `failure` names it.
 */
function failsOnAValue(mapping: unknown, at = '', inDirective = false): string | undefined {
  if (typeof mapping !== 'object' || mapping === null) return undefined;
  for (const [key, value] of Object.entries(mapping)) {
    if (CHECKED_ON_A_STRING.has(key) && typeof value === 'object' && value !== null && !Array.isArray(value)) {
      try {
        actionsCore().transform({ x: { [key]: { ...value, value: 'a' } } } as never, {} as never);
      } catch (error) {
        return `${at || '/'}: ${key} fails on every string it is given, so every event whose value is one would be refused: ${(error as Error).message.trim().split('\n')[0]!}`;
      }
    }
    const within = inDirective || key.startsWith('@');
    const found = failsOnAValue(value, within ? at : `${at}/${pointerToken(key)}`, within);
    if (found) return found;
  }
  return undefined;
}

/**
 * Why the mapping kit fails on the columns, naming the column (`/cart: …`) where its message does
 * not (a @case operator, a Liquid template not closed): in a long mapping, which one to fix.
 */
function failure(columns: Record<string, unknown>, event: object, why = ''): string | undefined {
  const fails = (mapping: Record<string, unknown>) => {
    try {
      actionsCore().transform(mapping as never, event as never);
      return undefined;
    } catch (error) {
      return (error as Error).message.trim().split('\n')[0]!;
    }
  };
  const whole = fails(columns);
  if (whole === undefined) return undefined;
  for (const key of Object.keys(columns)) {
    const message = fails({ [key]: columns[key] });
    if (message === undefined) continue;
    const pointer = `/${pointerToken(key)}`;
    return message.includes(`${pointer} `) ? `${why}${message}` : `${pointer}: ${why}${message}`;
  }
  return `${why}${whole}`;
}

/** Where mapping-kit's `get` splits a path into steps: dots, and brackets around a quoted key or an index. */
const PATH_STEPS = /\[(?="|'|\d)|\.|(?<="|'|\d)]+/g;

/** Why a path read from the event reads none of its fields, or undefined; read as mapping-kit's `get` reads it (`$.` and `.` are the whole event). */
function strayFrom(path: string, at: string, directive: string): string | undefined {
  const rest = path.replace('$.', '');
  if (rest === '' || rest === '.') return undefined;
  const first = rest.split(PATH_STEPS).filter((step) => step !== '')[0]?.replace(/'|"/g, '');
  if (first !== undefined && Object.hasOwn(SAMPLE_EVENT, first)) return undefined;
  return `${at || '/'}: ${directive} ${JSON.stringify(path)} reads no field of the event, and would leave the column empty in every row: a path starts at one of its fields (${Object.keys(SAMPLE_EVENT).map((k) => `$.${k}`).join(', ')}), as in $.properties.data_graph_entity_context.cart_id`;
}

/**
 * A `@path` that starts at no field of the event (`not a path`, `$properties.x`, `$`): mapping-kit
 * reads it as nothing, and its column would be missing from every row without a word. Paths
 * that read something else than the event are left alone: an `@arrayPath`'s item shape (each
 * item's own fields), a `@transform`'s mapping (what its `apply` made).
 */
function strayPath(mapping: unknown, at = '', inDirective = false): string | undefined {
  if (typeof mapping !== 'object' || mapping === null) return undefined;
  for (const [key, value] of Object.entries(mapping)) {
    // The column's own keys name it (an object's leaves are columns too); a directive's options do not.
    const within = (v: unknown) => strayPath(v, inDirective || key.startsWith('@') ? at : `${at}/${key}`, inDirective || key.startsWith('@'));
    let found: string | undefined;
    if (key === '@path' && typeof value === 'string') found = strayFrom(value, at, '@path');
    else if (key === '@arrayPath' && Array.isArray(value)) found = typeof value[0] === 'string' ? strayFrom(value[0], at, '@arrayPath') : within(value[0]);
    else if (key === '@transform' && typeof value === 'object' && value !== null) found = within((value as { apply?: unknown }).apply);
    else found = within(value);
    if (found) return found;
  }
  return undefined;
}

/** A Storage Actions event as `eventFromChange` makes them, with every field an event always has. */
const SAMPLE_EVENT = {
  type: 'track',
  event: 'Audience Entered',
  messageId: '00000000000000000000000000000000',
  userId: 'user',
  anonymousId: 'anonymous',
  timestamp: '2026-01-01T00:00:00.000Z',
  receivedAt: '2026-01-01T00:00:00.000Z',
  properties: { audience_key: 'computation', data_graph_entity_context: {} },
  context: { personas: { computation_class: 'audience', computation_id: 'aud_computation', computation_key: 'computation', computation_run_id: 'run', namespace: 'spa_space', space_id: 'spa_space', space_name: 'space', event_emitter_id: 'act_activation' } },
};

/** Reads, validates and completes a configuration file; refuses it before anything runs. */
/**
 * Disabled names as the warehouse spells them, beside the names as given: `order` is `_order` on
 * PostgreSQL (a reserved word), a long name is cut to its limit. Given as written elsewhere
 * (DuckDB's spelling), such a name matched nothing there, and the data meant to be kept out
 * (PII, say) was loaded. The classic tables keep their names.
 */
function spelledFor(destination: Destination, disabled: WarehouseConfig['disabled']): WarehouseConfig['disabled'] {
  const rules = destination.dialect.identifiers;
  const spelled = (names: readonly string[], tables = false) =>
    [...new Set(names.flatMap((n) => [n, tables && RESERVED_TABLES.has(n) ? n : applyIdentifierRules(n, rules)]))];
  // A Map, not a record: a table named like a member every object has (`constructor`, the table of
  // an event named so) found Object.prototype's function there, and the configuration failed to
  // load with a bare TypeError.
  const columns = new Map<string, string[]>();
  for (const [table, names] of Object.entries(disabled.columns)) {
    for (const t of spelled([table], true)) columns.set(t, [...new Set([...(columns.get(t) ?? []), ...spelled(names)])]);
  }
  return { tables: spelled(disabled.tables, true), columns: Object.fromEntries(columns) };
}

export function loadConfig(path: string, destinations: ReadonlyMap<string, Destination>): StowageConfig {
  // A number would be read as a file descriptor: whatever the process has open under it.
  if (typeof path !== 'string' || path === '') throw new ConfigError([`the configuration is named by its file's path, a non-empty string, not ${JSON.stringify(path) ?? `a ${typeof path}`}`], String(path));
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    // Said without the command line's flags: a library caller named the file itself (the `stowage` command adds how it chose it).
    if (e.code === 'ENOENT') throw new ConfigError([`${path} does not exist (${resolve(path)}): give the path of your configuration file (docs/configuration.md; \`stowage demo\` writes an example)`], path, path);
    const why = e.code === 'EISDIR' ? `${path} is a folder: give the configuration file (stowage.config.json) itself` : `${path} cannot be read: ${e.message}`;
    throw new ConfigError([why], path);
  }
  // Decoded anyway, a byte of another encoding (Latin-1's `é`) would become U+FFFD: two activation
  // ids, event names or space ids that differ only there one, a DuckDB path another file.
  const notUtf8 = utf8Problems(bytes);
  if (notUtf8.length > 0) throw new ConfigError(notUtf8, path);
  let text = bytes.toString('utf8');
  // A byte-order mark some editors write (PowerShell's `Out-File -Encoding utf8`), skipped as run files' is.
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new ConfigError([`${path} is not valid JSON: ${(error as Error).message}${lineOf(text, (error as Error).message)}`], path);
  }
  const repeated = repeatedKeys(text);
  if (repeated.length > 0) throw new ConfigError(repeated.map((at) => `${at}: this key is written twice in its object, and JSON keeps the last one without a word (the first is not read): write it once, or rename one`), path);
  return parseConfig(raw, dirname(resolve(path)), destinations, path);
}

/** Each line of the file that is not UTF-8, with the byte to fix (as `stowage ingest` tells a line). */
function utf8Problems(bytes: Buffer): string[] {
  if (utf8Problem(bytes) === undefined) return [];
  const problems: string[] = [];
  let line = 0;
  for (let from = 0; from <= bytes.length; ) {
    const end = bytes.indexOf(0x0a, from);
    const problem = utf8Problem(bytes.subarray(from, end === -1 ? bytes.length : end));
    line++;
    if (problem) problems.push(`line ${line}: ${problem}`);
    if (end === -1) break;
    from = end + 1;
  }
  return problems;
}

/** Where a JSON.parse error's `position N` is, as a line and column (an editor's terms), or nothing. */
function lineOf(text: string, message: string): string {
  const at = /position (\d+)/.exec(message);
  // Newer Node says it itself: `… (line 3 column 10)`.
  if (!at || /\bline \d+/.test(message)) return '';
  const before = text.slice(0, Number(at[1]));
  const line = before.split('\n').length;
  return ` (line ${line}, column ${before.length - before.lastIndexOf('\n')})`;
}

/** The event-name settings of the other kind of Classic computation, which it never uses. */
const FOREIGN_EVENT_NAMES = {
  audience: { keys: ['computedEvent'], own: 'an audience names its events with enteredEvent and exitedEvent', theirs: 'computed traits' },
  trait: { keys: ['enteredEvent', 'exitedEvent'], own: 'a computed trait names its event with computedEvent', theirs: 'audiences' },
};

/**
 * Why a schema cannot be written to in a warehouse, or undefined. Schema names are not cut as
 * table and column names are (a cut name would not be the schema the user named): a longer one
 * would be cut by the warehouse itself (PostgreSQL keeps 63 bytes), and two names could then be
 * one schema, a Storage Actions table among the Classic ones.
 */
function schemaNameProblem(schema: string, warehouse: WarehouseConfig, destinations: ReadonlyMap<string, Destination>): string | undefined {
  const destination = destinations.get(warehouse.type)!;
  const { maxLength } = destination.dialect.identifiers;
  const bytes = Buffer.byteLength(schema);
  if (bytes > maxLength) return `"${schema}" is ${bytes} bytes, longer than the ${maxLength} a ${warehouse.type} schema name holds (warehouse "${warehouse.name}"); use a shorter name`;
  return destination.schemaProblem?.(schema, warehouse.settings);
}

/** The entry of a record by its own key: not a member every object has (`constructor`, `toString`), which is no entry of the configuration. */
const own = <T>(record: Readonly<Record<string, T>>, key: string): T | undefined => (Object.hasOwn(record, key) ? record[key] : undefined);

/**
 * Why an entry cannot have this name: `__proto__` is JavaScript's name for an object's prototype,
 * and set as `record[name] = …` such an entry became the record's prototype, not an entry of it
 * (a configuration said OK, and the activation, computation, space or warehouse was not there).
 */
const lostName = (name: string): string | undefined => (name === '__proto__' ? 'the name "__proto__" is JavaScript\'s for an object\'s prototype, and an entry so named would be lost; choose another name' : undefined);

export function parseConfig(raw: unknown, root: string, destinations: ReadonlyMap<string, Destination>, source = 'configuration'): StowageConfig {
  if (!validateShape(raw)) throw new ConfigError(describeErrors(validateShape.errors ?? []), source);
  const input = raw as any;
  const problems: string[] = [...brokenTextProblems(raw), ...unexpandedReferences(raw)];
  const spaces: Record<string, SpaceConfig> = {};
  const warehouses: Record<string, WarehouseConfig> = {};

  for (const [name, w] of Object.entries<any>(input.warehouses)) {
    if (lostName(name)) {
      problems.push(`/warehouses/${name}: ${lostName(name)}`);
      continue;
    }
    const destination = destinations.get(w.type);
    if (!destination) {
      problems.push(`/warehouses/${name}/type: unknown warehouse type "${w.type}"; installed: ${[...destinations.keys()].join(', ')} (the stowage command also loads a warehouse package installed as @stowage/destination-<type>)`);
      continue;
    }
    const told = problems.length;
    const settings = typedReferences(w.settings, resolveEnvReferences(w.settings, `/warehouses/${name}/settings`, process.env, problems) as Record<string, unknown>, destination.settingsSchema as { properties?: Record<string, { type?: unknown }> });
    // A variable not set is the problem: the empty text put in its place would only add others.
    const unset = problems.length > told;
    const validateSettings = ajv.compile(destination.settingsSchema);
    const validSettings = !unset && validateSettings(settings);
    const at = `/warehouses/${name}/settings`;
    const schemaProblems = validSettings || unset ? [] : describeErrors(validateSettings.errors ?? [], at).map((problem) => fromVariable(problem, at, w.settings));
    // The destination's own checks run too, so that one wrong value does not hide another; a key
    // the schema refused is told once. Settings of the wrong shape may trip a check: the schema says why.
    let settingsProblems: string[] = [];
    try {
      if (!unset) settingsProblems = destination.settingsProblems?.(settings) ?? [];
    } catch {
      settingsProblems = [];
    }
    const refusedKeys = new Set(schemaProblems.map((p) => p.slice(at.length + 1).split(/[:/ ]/)[0]));
    settingsProblems = settingsProblems.filter((p) => !refusedKeys.has(p.split(/[:/ ]/)[0]));
    problems.push(...schemaProblems, ...settingsProblems.map((p) => `${at}/${p}`));
    const schedule = w.schedule ?? '0 * * * *';
    try {
      // One that never comes at all (February 30) would leave `serve` nothing to wait for. Looked
      // for from the year 1, not from now: a schedule whose last time has passed (a year gone)
      // would otherwise make a configuration valid yesterday invalid today, and every command
      // (`ingest`, `run`) refuse it from that moment; `serve` and `history` say it has no time to come.
      if (!new Cron(schedule, { paused: true, timezone: 'UTC' }).nextRun(SINCE_EVER)) problems.push(`/warehouses/${name}/schedule: ${JSON.stringify(schedule)} has no time to come (it names a day that does not exist)`);
    } catch (error) {
      problems.push(`/warehouses/${name}/schedule: ${JSON.stringify(schedule)} is not a cron expression (${(error as Error).message})`);
    }
    const disabled = { tables: w.disabled?.tables ?? [], columns: w.disabled?.columns ?? {} };
    if (disabled.tables.includes('identifies') && !disabled.tables.includes('users')) {
      problems.push(`/warehouses/${name}/disabled/tables: "users" is computed from "identifies"; disable both, or neither`);
    }
    // Names as Stowage writes them: `Order Completed` or `Email` would disable nothing, and the
    // data meant to be kept out would be loaded.
    const names = new ColumnNamer(destination.dialect.identifiers);
    const unwritten = (list: readonly string[], at: string, tables = false) => {
      for (const n of list) {
        if (/^[a-z0-9_]+$/.test(n)) continue;
        const written = names.column(n);
        // `Users` may mean the users table, or the table of an event named so, which is `_users`.
        const meant = tables && RESERVED_TABLES.has(written) ? `"${written}" for the ${written} table, "_${written}" for the table of an event named "${n}"` : `"${written}"`;
        problems.push(`${at}: "${n}" is not a name Stowage writes; tables and columns are named in snake_case (${meant})`);
      }
    };
    unwritten(disabled.tables, `/warehouses/${name}/disabled/tables`, true);
    // Each at its own path: an entry of disabled.tables, or a key of disabled.columns.
    const own: Array<[path: string, table: string]> = [
      ...(disabled.tables as string[]).flatMap((t, i): Array<[string, string]> => (t.startsWith('_stowage_') ? [[`tables/${i}`, t]] : [])),
      ...Object.keys(disabled.columns).flatMap((t): Array<[string, string]> => (t.startsWith('_stowage_') ? [[`columns/${pointerToken(t)}`, t]] : [])),
    ];
    for (const [path, table] of own) problems.push(`/warehouses/${name}/disabled/${path}: "${table}" is a table of Stowage's own (the ledger, the quarantine), which a sync needs; it cannot be disabled`);
    for (const [table, columns] of Object.entries<string[]>(disabled.columns)) {
      unwritten([table], `/warehouses/${name}/disabled/columns`, true);
      unwritten(columns, `/warehouses/${name}/disabled/columns/${table}`);
      const kept = columns.filter((c) => ['id', 'received_at', 'timestamp', 'user_id'].includes(c));
      if (kept.length) problems.push(`/warehouses/${name}/disabled/columns/${table}: ${kept.join(', ')} cannot be disabled (loads are keyed and merged on them)`);
    }
    if (!validSettings || settingsProblems.length > 0) {
      // Its schemas and tables cannot be checked against settings that are not there.
      continue;
    }
    warehouses[name] = {
      name,
      type: w.type,
      settings,
      spaces: w.spaces ?? Object.keys(input.spaces),
      schedule,
      schemaPrefix: w.schemaPrefix ?? 'engage_',
      disabled: spelledFor(destination, disabled),
    };
  }

  for (const [name, s] of Object.entries<any>(input.spaces)) {
    if (lostName(name)) {
      problems.push(`/spaces/${name}: ${lostName(name)}`);
      continue;
    }
    const computations: Record<string, ComputationConfig> = {};
    // The audiences and traits before each one, by the `users` column they name: a look through
    // them all for each made a configuration of 6,400 of them take 3.6 s to open (every command).
    const byColumn = new Map<string, ComputationConfig[]>();
    for (const [key, c] of Object.entries<any>(s.computations ?? {})) {
      if (lostName(key)) {
        problems.push(`/spaces/${name}/computations/${key}: ${lostName(key)}`);
        continue;
      }
      const classic = c.type === 'audience' || c.type === 'trait';
      if (!classic && c.warehouses) {
        problems.push(`/spaces/${name}/computations/${key}/warehouses: a ${c.type} reaches warehouses through activations (Storage Actions), not Classic settings`);
      }
      const targets = !classic ? {} : c.warehouses ?? Object.fromEntries(Object.values(warehouses).filter((w) => w.spaces.includes(name)).map((w) => [w.name, {}]));
      for (const [target, settings] of Object.entries<any>(targets)) {
        // An event name of the other kind of computation would be taken and never used.
        const foreign = FOREIGN_EVENT_NAMES[c.type as 'audience' | 'trait'];
        for (const setting of foreign?.keys.filter((k) => settings?.[k] !== undefined) ?? []) {
          problems.push(`/spaces/${name}/computations/${key}/warehouses/${target}/${setting}: ${foreign!.own}; ${setting} is for ${foreign!.theirs}, and would never be used`);
        }
        if (!Object.hasOwn(input.warehouses, target)) problems.push(`/spaces/${name}/computations/${key}/warehouses/${target}: no warehouse of that name`);
        else if (own(warehouses, target) && !warehouses[target]!.spaces.includes(name)) {
          problems.push(`/spaces/${name}/computations/${key}/warehouses/${target}: warehouse "${target}" does not serve space "${name}" (add it to /warehouses/${target}/spaces)`);
        }
      }
      const marker = c.type === 'audience' ? 'audience_key' : 'trait_key';
      const tracked = Object.entries<any>(targets).filter(([, settings]) => settings?.track !== false).map(([w]) => w);
      if (classic && tracked.length > 0 && snakeCase(key) === marker) {
        // The track call of a change is `{ audience_key: <key>, <key>: true }` (`trait_key` for a trait).
        problems.push(
          `/spaces/${name}/computations/${key}: ${c.type === 'audience' ? 'an audience' : 'a trait'}'s track calls carry its key in the property \`${marker}\`, and its value in a property named after the key, which here names the same column: the one would overwrite or quarantine the other in every row of its events. Rename the computation, or set \`track: false\` for its warehouses (${tracked.join(', ')})`,
        );
      }
      if (classic) {
        // Two keys naming one column (`VIP` and `vip`) would write one `users` column, each
        // change of either overwriting the other's value.
        const column = snakeCase(key);
        const other = byColumn.get(column)?.find((o) => Object.keys(o.warehouses).some((w) => Object.hasOwn(targets, w)));
        if (other) problems.push(`/spaces/${name}/computations/${key}: names the same column as computation "${other.key}" ("${column}"), and both reach warehouse ${Object.keys(other.warehouses).filter((w) => Object.hasOwn(targets, w)).join(', ')}: each would overwrite the other's value. Rename one of them`);
      }
      if (c.valueType !== undefined && c.type !== 'trait') problems.push(`/spaces/${name}/computations/${key}/valueType: only a computed trait has a value type (${c.type === 'audience' ? "an audience's column is a boolean" : `a ${c.type} has no Classic column`})`);
      computations[key] = {
        key,
        type: c.type,
        id: c.id ?? `${ID_PREFIX[c.type as ComputationConfig['type']]}_${key}`,
        warehouses: Object.fromEntries(Object.entries<any>(targets).map(([w, settings]) => [w, { ...CLASSIC_DEFAULTS, ...settings }])),
        ...(c.valueType !== undefined && c.type === 'trait' ? { valueType: c.valueType } : {}),
      };
      if (classic) byColumn.set(snakeCase(key), [...(byColumn.get(snakeCase(key)) ?? []), computations[key]!]);
    }
    const activations: Record<string, ActivationConfig> = {};
    for (const [activation, a] of Object.entries<any>(s.activations ?? {})) {
      const at = `/spaces/${name}/activations/${activation}`;
      if (lostName(activation)) {
        problems.push(`${at}: ${lostName(activation)}`);
        continue;
      }
      const computation = own(computations, a.computation);
      if (!computation) problems.push(`${at}/computation: no computation "${a.computation}" in space "${name}"`);
      else if (computation.type === 'trait') problems.push(`${at}/computation: "${a.computation}" is a computed trait; Storage Actions write audiences, linked audiences and journey steps (computed traits go through Classic Storage)`);
      const warehouse = own(warehouses, a.warehouse);
      if (!Object.hasOwn(input.warehouses, a.warehouse)) problems.push(`${at}/warehouse: no warehouse named "${a.warehouse}"`);
      else if (warehouse && !warehouse.spaces.includes(name)) problems.push(`${at}/warehouse: warehouse "${a.warehouse}" does not serve space "${name}"`);
      const tableProblem = scopeViolation(a.table);
      if (tableProblem) problems.push(`${at}/table: ${tableProblem}`);
      const schemaProblem = a.schema === undefined ? undefined : scopeViolation(a.schema);
      if (schemaProblem) problems.push(`${at}/schema: ${schemaProblem}`);
      // Neither an existing schema nor the space's own may be a Classic schema (of any space), in
      // any case where the warehouse reads names without regard to it (DuckDB, Redshift).
      const target = a.schema ?? name;
      const where = `${at}/${a.schema === undefined ? 'warehouse' : 'schema'}`;
      const folds = destinations.get(warehouse?.type ?? '')?.dialect.identifiers.caseInsensitive === true;
      const spelled = (schema: string) => (folds ? schema.toLowerCase() : schema);
      const named = spelled(target);
      const classic = Object.values(warehouses).find((w) => Object.keys(input.spaces).some((sp) => named === spelled(`${w.schemaPrefix}${sp}`)));
      // "Write calls are restricted to the same schema": another space's tables and rejects are its own.
      const otherSpace = Object.keys(input.spaces).find((sp) => sp !== name && spelled(sp) === named);
      if (classic) {
        problems.push(`${where}: "${target}" is a Classic schema of warehouse "${classic.name}"; Storage Actions tables go to the space's schema or a schema of their own`);
      } else if (otherSpace !== undefined) {
        problems.push(`${where}: "${target}" is the Storage Actions schema of space "${otherSpace}"; a space writes to its own schema or to one of no other space`);
      } else if (warehouse) {
        const problem = schemaNameProblem(target, warehouse, destinations);
        if (problem) problems.push(`${where}: ${problem}`);
      }
      // A problem of one column names it as the rest of the path (`…/columns/cart: …`).
      for (const problem of mappingProblems(a.columns ?? {})) problems.push(`${at}/columns${problem.startsWith('/') ? '' : ': '}${problem}`);
      activations[activation] = {
        name: activation,
        id: a.id ?? `act_${activation}`,
        computation: a.computation,
        warehouse: a.warehouse,
        table: a.table,
        // The space's own schema, named: it is made when missing, as when no schema is named.
        ...(a.schema !== undefined && !(folds ? a.schema.toLowerCase() === name : a.schema === name) ? { schema: a.schema } : {}),
        preset: a.preset ?? (computation?.type === 'journey_step' ? 'journey-step' : 'linked-audience'),
        events: { ...ACTIVATION_DEFAULTS.events, ...a.events },
        columns: a.columns ?? {},
        maxEntityContextBytes: a.maxEntityContextBytes ?? ACTIVATION_DEFAULTS.maxEntityContextBytes,
      };
    }
    // An activation's id is in its rows' message ids: two activations sharing one would make
    // their rows of one change one row, the second skipped as a copy of the first.
    const byId = new Map<string, string>();
    for (const a of Object.values(activations)) {
      const first = byId.get(a.id);
      if (first) problems.push(`/spaces/${name}/activations/${a.name}/id: "${a.id}" is also the id of activation "${first}"; each activation needs its own`);
      else byId.set(a.id, a.name);
    }
    spaces[name] = { name, id: s.id ?? `spa_${name}`, computations, activations };
  }
  // The spaces a warehouse names exist whatever its settings (every problem is told at once); its
  // schema names are checked against settings that are there.
  for (const [name, w] of Object.entries<any>(input.warehouses)) {
    for (const space of (w.spaces ?? []) as string[]) if (!Object.hasOwn(input.spaces, space)) problems.push(`/warehouses/${name}/spaces: no space named "${space}"`);
  }
  for (const w of Object.values(warehouses)) {
    for (const space of w.spaces) {
      if (!own(spaces, space)) continue;
      const problem = schemaNameProblem(`${w.schemaPrefix}${space}`, w, destinations);
      if (problem) problems.push(`/warehouses/${w.name}/schemaPrefix: the Classic schema of space "${space}": ${problem}`);
    }
  }

  problems.push(...sharedSchemaProblems(Object.values(warehouses), destinations, root));
  const stateDir = resolve(root, input.stateDir ?? '.stowage');
  problems.push(...stateFileProblems(Object.values(warehouses), destinations, root, stateDir));

  if (problems.length) throw new ConfigError(problems, source);
  return {
    root,
    stateDir,
    batchSize: input.batchSize ?? 20_000,
    batchBytes: input.batchBytes ?? DEFAULT_BATCH_BYTES,
    spaces,
    warehouses,
  };
}

/**
 * A warehouse whose database is the profile state's own file (`<stateDir>/state.duckdb`): the
 * engage schemas would be written beside the state, and taken away with it. Compared as the
 * destination spells its location (a DuckDB file's absolute path, its folder's links followed).
 */
function stateFileProblems(warehouses: readonly WarehouseConfig[], destinations: ReadonlyMap<string, Destination>, root: string, stateDir: string): string[] {
  const files = new Set([join(stateDir, STATE_FILE)]);
  try {
    files.add(join(realpathSync(stateDir), STATE_FILE));
  } catch {
    // No state folder yet: its path as written is the one to compare.
  }
  return warehouses
    .filter((w) => {
      const location = destinations.get(w.type)?.location?.(w.settings, { root });
      return location !== undefined && files.has(location);
    })
    .map((w) => `/warehouses/${w.name}/settings: warehouse "${w.name}" is the profile state's own database (${join(stateDir, STATE_FILE)}), which Stowage keeps apart from the tables it writes; give it a file of its own`);
}
