import { existsSync, rmdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { activationColumns, ClassicRows, ColumnNamer, IDENTIFIES, makeFolder, notATable, otherCaseHint, redact, TRACKS, USERS, type ActivationTable, type Driver, type IdentifierRules, type Stowage } from '@stowage/core';
import { destinations } from '../registry.js';
import { sayWarehouseWait } from '../open.js';
import { strandedNotices } from './run.js';

/**
 * Validates the configuration (done on load), tests that the state folder can be written, and
 * each warehouse's connection. Returns what failed, each said in a few words (the lines printed
 * above say why): none when all is well.
 */
export async function check(stowage: Stowage): Promise<string[]> {
  const stateProblem = stateFolderProblem(stowage.config.stateDir);
  console.log(`state folder ${stowage.config.stateDir}: ${stateProblem ?? 'writable'}`);
  const failed: string[] = [];
  if (stateProblem) failed.push('the state folder cannot be used');
  else {
    try {
      // A state.duckdb restored alone: every run would be refused.
      // Not waited for long: a check is a quick look, and a run in another process may hold the state for minutes.
      const problems = await stowage.stateProblems(2_000);
      for (const problem of problems) console.log(`profile state: ${problem}`);
      if (problems.length > 0) failed.push('the profile state is not usable');
    } catch (error) {
      const message = (error as Error).message;
      // Held by a run of another process: not a fault of the state. Anything else (a file that is no DuckDB database) is.
      const held = /is held by another process/.test(message);
      console.log(`profile state: ${held ? 'not checked' : 'cannot be read'} (${message})`);
      if (!held) failed.push('the profile state cannot be read');
    }
  }
  for (const w of Object.values(stowage.config.warehouses)) {
    const destination = destinations.get(w.type)!;
    // Allowed (a warehouse kept configured while it loads nothing), but most often meant as "every space", which is `spaces` left out.
    if (w.spaces.length === 0) console.log(`warehouse ${w.name} (${w.type}): loads no space ("spaces": []): no sync loads anything into it, and no activation may write to it; leave "spaces" out for every space, or list the spaces it loads`);
    // Valid (its last time has passed: a configuration does not expire), but `serve` has no time to sync it.
    if (!stowage.nextSync(w.name)) console.log(`warehouse ${w.name} (${w.type}): schedule "${w.schedule}" has no time to come (its last has passed): \`stowage serve\` does not sync it; give it a schedule with times to come`);
    try {
      // A DuckDB file another process holds is waited for (15 s), and the wait said, as every command says it.
      const driver = await destination.connect(w.settings, { root: stowage.config.root, onWait: (holder) => sayWarehouseWait(w.name, holder) });
      let problems: string[] = [];
      let notices: string[] = [];
      try {
        await driver.query('SELECT 1 AS ok');
        const { schemas, classic, existing } = schemasOf(stowage, w.name);
        const tables = activationTables(stowage, w.name, destination.dialect.identifiers);
        // An activation's own schema is never created: one that is missing keeps its events queued.
        for (const [schema, activations] of existing) {
          if (!(await driver.schemaExists(schema))) problems.push(`schema "${schema}" does not exist${await otherCaseHint(driver, schema)}, and Stowage never creates a schema an activation names (${activations.join(', ')}): create it, or remove \`schema\` from the activation to write to the space's own`);
        }
        // Connected: a failure to ask is said as such, not as a connection refused.
        const present = (schema: string) => !problems.some((p) => p.startsWith(`schema "${schema}" does not exist`));
        problems.push(...((await driver.privilegeProblems?.(schemas.filter(present), classic, tables.filter((t) => present(t.schema))).catch((error: unknown) => [`could not ask the server for the role's privileges: ${(error as Error).message}`])) ?? []));
        problems.push(...(await notTablesProblems(driver, classicTables(stowage, w.name, destination.dialect.identifiers), tables.filter((t) => present(t.schema)))));
        notices = await valueTypeNotices(stowage, w.name, driver, destination.dialect.identifiers);
      } finally {
        await driver.close();
      }
      // Another state folder writes a schema this one would write: every write there would be refused.
      problems.push(...(await stowage.otherStates(w.name)));
      console.log(`warehouse ${w.name} (${w.type}): connected`);
      // A sync would fail on each of these: said now, with the grant that mends it.
      for (const problem of problems) console.log(`warehouse ${w.name} (${w.type}): ${redact(problem, destination.secrets(w.settings))}`);
      // No sync fails on these; its values may be quarantined, which the user did not mean by declaring a type.
      for (const notice of notices) console.log(`warehouse ${w.name} (${w.type}): ${notice}`);
      if (problems.length > 0) failed.push(`warehouse ${w.name} would refuse ${problems.length === 1 ? 'a sync or a write' : 'syncs or writes'}`);
    } catch (error) {
      const message = redact((error as Error).message, destination.secrets(w.settings));
      // A DuckDB file a run or a sync of another process holds: reachable, its writer busy; as the profile state held, not a failure.
      const held = w.type === 'duckdb' && /^the DuckDB file .* is held by another process/.test(message);
      if (!held) failed.push(`warehouse ${w.name} cannot be reached`);
      console.log(`warehouse ${w.name} (${w.type}): ${held ? 'not checked' : 'cannot connect'}: ${message}`);
    }
  }
  // Not a failure of the configuration, but events no command writes until it changes.
  for (const line of strandedNotices(stowage)) console.log(line);
  for (const { warehouse, space, activation, events, why, fix } of await stowage.strandedActivations()) {
    console.log(
      `${events === 1 ? '1 Storage Actions event stays' : `${events} Storage Actions events stay`} queued for warehouse "${warehouse}", space "${space}", by activation "${activation}", which ${why}: ${fix} and run \`stowage flush ${warehouse}\` to write ${events === 1 ? 'it' : 'them'}`,
    );
  }
  return failed;
}

/**
 * The schemas a warehouse loads: the Classic one of each of its spaces, and those its activations
 * write to; `existing`: the schemas activations name themselves (never created), with their names.
 */
function schemasOf(stowage: Stowage, warehouse: string): { schemas: string[]; classic: string[]; existing: Map<string, string[]> } {
  const w = stowage.config.warehouses[warehouse]!;
  const classic = w.spaces.map((space) => `${w.schemaPrefix}${space}`);
  const schemas = new Set(classic);
  const existing = new Map<string, string[]>();
  for (const space of Object.values(stowage.config.spaces)) {
    for (const a of Object.values(space.activations)) {
      if (a.warehouse !== warehouse) continue;
      schemas.add(a.schema ?? space.name);
      if (a.schema !== undefined) existing.set(a.schema, [...(existing.get(a.schema) ?? []), `activation "${a.name}"`]);
    }
  }
  return { schemas: [...schemas], classic, existing };
}

/**
 * The Classic tables a warehouse's syncs write, by schema: `identifies`, `users`, `tracks` and the
 * table of each event its computations send, but those selective sync disables (`disabled.tables`,
 * in the warehouse's spelling), which no sync touches, so a view there fails none. A directly
 * ingested call's event may have a table of its own too, which no configuration names.
 */
function classicTables(stowage: Stowage, warehouse: string, rules: IdentifierRules): Map<string, string[]> {
  const w = stowage.config.warehouses[warehouse]!;
  const rows = new ClassicRows(rules);
  const disabled = new Set(w.disabled.tables);
  const bySchema = new Map<string, string[]>();
  for (const name of w.spaces) {
    const tables = new Set([IDENTIFIES, USERS, TRACKS]);
    for (const c of Object.values(stowage.config.spaces[name]?.computations ?? {})) {
      const settings = c.warehouses[warehouse];
      if (!settings?.track) continue;
      for (const event of c.type === 'audience' ? [settings.enteredEvent, settings.exitedEvent] : [settings.computedEvent]) tables.add(rows.eventTable(event));
    }
    bySchema.set(`${w.schemaPrefix}${name}`, [...tables].filter((t) => !disabled.has(t)));
  }
  return bySchema;
}

/**
 * A computed trait's column made before its `valueType` was declared keeps the type its first
 * value gave it, and the sync says nothing of it: a trait declared `"string"` whose column is a
 * `bigint` has every non-numeric value quarantined. Told per column, with what mends it.
 */
async function valueTypeNotices(stowage: Stowage, warehouse: string, driver: Driver, rules: IdentifierRules): Promise<string[]> {
  const w = stowage.config.warehouses[warehouse]!;
  const rows = new ClassicRows(rules);
  const disabled = new Set(w.disabled.tables);
  const notices: string[] = [];
  for (const name of w.spaces) {
    const traits = Object.values(stowage.config.spaces[name]?.computations ?? {}).filter((c) => c.type === 'trait' && c.valueType !== undefined && c.warehouses[warehouse]);
    if (traits.length === 0) continue;
    const schema = `${w.schemaPrefix}${name}`;
    const tables = await driver.tables(schema);
    for (const trait of traits) {
      const settings = trait.warehouses[warehouse]!;
      const column = rows.valueColumn(trait.key);
      const written = [...(settings.identify ? [IDENTIFIES, USERS] : []), ...(settings.track ? [rows.eventTable(settings.computedEvent)] : [])];
      for (const table of written.filter((t) => !disabled.has(t))) {
        const existing = tables.get(table)?.find((c) => c.name === column);
        if (!existing || existing.type === trait.valueType) continue;
        notices.push(
          `${schema}.${table}.${column} is ${existing.type}, though computed trait "${trait.key}" declares valueType "${trait.valueType}": a column keeps the type it was made with (by the trait's first value synced, before the declaration), so its values are cast to ${existing.type}, widened where the warehouse can, and quarantined in _stowage_rejects where they cannot be; to have the declared type, change the column's type in the warehouse (ALTER TABLE … ALTER COLUMN … TYPE …), or remove \`valueType\` to keep it`,
        );
      }
    }
  }
  return notices;
}

/**
 * A view (or a materialized view, a foreign table) standing where a table Stowage writes is: it
 * takes no new column, and most take no row, so every sync, or every write of the activation,
 * would fail on it (`Driver.notTables`).
 */
async function notTablesProblems(driver: Driver, classic: ReadonlyMap<string, string[]>, tables: readonly ActivationTable[]): Promise<string[]> {
  if (!driver.notTables) return [];
  const problems: string[] = [];
  try {
    for (const [schema, names] of classic) {
      for (const { name, kind } of await driver.notTables(schema, names)) problems.push(notATable(schema, name, kind));
    }
    for (const t of tables) {
      for (const { kind } of await driver.notTables(t.schema, [t.table])) {
        problems.push(`${t.schema}.${t.table}, which ${t.by.join(', ')} writes, is ${kind}, not a table: the activation's events would stay queued at every write; move it aside (ALTER … RENAME), so that a table is made there, or point the activation at another table`);
      }
    }
  } catch (error) {
    problems.push(`could not ask the server whether its tables are tables: ${(error as Error).message}`);
  }
  return problems;
}

/** The tables a warehouse's activations write, each with the columns their mappings name (`Driver.privilegeProblems`). */
function activationTables(stowage: Stowage, warehouse: string, rules: IdentifierRules): ActivationTable[] {
  const names = new ColumnNamer(rules);
  const tables = new Map<string, { schema: string; table: string; columns: Set<string>; by: string[] }>();
  for (const space of Object.values(stowage.config.spaces)) {
    for (const a of Object.values(space.activations)) {
      if (a.warehouse !== warehouse) continue;
      const schema = a.schema ?? space.name;
      const table = names.column(a.table);
      const key = `${schema}\u0000${table}`;
      let entry = tables.get(key);
      if (!entry) tables.set(key, (entry = { schema, table, columns: new Set(), by: [] }));
      for (const column of activationColumns(a, rules)) entry.columns.add(column);
      entry.by.push(`activation "${a.name}"`);
    }
  }
  return [...tables.values()].map((t) => ({ ...t, columns: [...t.columns] }));
}

/** A file name's longest on the file systems Stowage runs on (NAME_MAX), in bytes. */
const NAME_MAX = 255;
/** A path's longest (PATH_MAX), less what Stowage puts under the state folder (`actions/<warehouse>/<space>/queue/…`, names of a few hundred bytes at most). */
const STATE_PATH_MAX = 4095 - 1024;

/**
 * Why a folder's path is too long for the file system (ENAMETOOLONG at a command's first write,
 * where the folder itself could still be made), or undefined.
 */
function tooLong(dir: string): string | undefined {
  const name = dir.split(/[\\/]/).find((part) => Buffer.byteLength(part) > NAME_MAX);
  if (name !== undefined) return `its folder name ${JSON.stringify(name.length > 40 ? `${name.slice(0, 40)}…` : name)} is ${Buffer.byteLength(name)} bytes, past the ${NAME_MAX} a file system allows`;
  const bytes = Buffer.byteLength(dir);
  if (bytes > STATE_PATH_MAX) return `its path is ${bytes} bytes, and the files Stowage keeps under it would pass the ${4095} a path may take`;
  return undefined;
}

/**
 * Why the state folder cannot be used, or undefined: every command writes there (the call log,
 * the profile state, locks, the history). It is made if it is not there yet, and written to (a
 * file made and removed: a read-only disk says so only then; a folder that may be written, to
 * `access`, may still refuse a folder, as /proc does), then what was made is removed again.
 */
function stateFolderProblem(dir: string): string | undefined {
  const long = tooLong(dir);
  if (long) return `cannot be used: ${long}; give \`stateDir\` a shorter path`;
  let existing = dir;
  while (!existsSync(existing) && dirname(existing) !== existing) existing = dirname(existing);
  let made: string[] = [];
  try {
    if (!statSync(existing).isDirectory()) return `cannot be made: ${existing} is a file, not a folder`;
    made = makeFolder(dir);
    const probe = join(dir, `.check-${process.pid}`);
    writeFileSync(probe, '');
    rmSync(probe, { force: true });
    return undefined;
  } catch (error) {
    return `cannot be ${existing === dir ? 'written' : 'made'} (${(error as Error).message}): every command keeps its logs, state, locks and history there; give \`stateDir\` a folder Stowage can write`;
  } finally {
    // A check leaves no trace: the folders it made go, deepest first, unless a command began
    // writing there meanwhile (rmdir takes an empty folder only).
    for (const folder of made.reverse()) {
      try {
        rmdirSync(folder);
      } catch {
        break;
      }
    }
  }
}
