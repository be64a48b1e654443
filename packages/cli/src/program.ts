import { resolve } from 'node:path';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { ConfigError, RunFormatError, StowageError, UsageError } from '@stowage/core';
import { applyRuns, flushNow } from './commands/run.js';
import { check } from './commands/check.js';
import { printHistory } from './commands/history.js';
import { printRefused } from './commands/refused.js';
import { claim } from './commands/claim.js';
import { rebuildKeys } from './commands/rebuild-keys.js';
import { ingest } from './commands/ingest.js';
import { DEFAULT_RETRY_AFTER_SECONDS, serve, servingAlone } from './commands/serve.js';
import { syncNow } from './commands/sync.js';
import { demo } from './demo/demo.js';
import { openStowage, stateDirs } from './open.js';
import { destinations, loadDestinationsOf } from './registry.js';
import { errorMessage, EXIT } from './output.js';
import { withConfigFlag } from './config-flag.js';
import { keepWorkingWhenOutputCloses, outputOf } from './closed-output.js';
import { VERSION, versionText } from './version.js';
import { configurationSchema } from './commands/schema.js';

function positiveInteger(value: string): number {
  // Digits only: Number() also reads `1e2` and `0x10`, which no one means as a count.
  const n = /^\s*\d+\s*$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError(`expected a whole number from 1 to ${Number.MAX_SAFE_INTEGER}`);
  return n;
}

// STOWAGE_CONFIG set but empty counts as unset.
if (process.env.STOWAGE_CONFIG === '') delete process.env.STOWAGE_CONFIG;
const configOption = () => new Option('-c, --config <file>', 'configuration file').default('stowage.config.json').env('STOWAGE_CONFIG');

/** A configuration file that does not exist, said with how the command chose its path. */
function missingConfigMessage(path: string): string {
  return process.env.STOWAGE_CONFIG !== undefined && resolve(process.env.STOWAGE_CONFIG) === resolve(path)
    ? `${path} does not exist: it is the file the environment variable STOWAGE_CONFIG names (set it to your configuration file, or unset it to read stowage.config.json here; --config overrides it)`
    : `${path} does not exist (the configuration is the file --config names, else the one STOWAGE_CONFIG names, else stowage.config.json in the current folder; see docs/configuration.md, and 'stowage demo' writes an example)`;
}

/** From here on, the commands this process's messages name carry the `-c` it was given (`withConfigFlag`). */
function hintWithConfig(cli: Command, file: string): void {
  const commands = new Set(cli.commands.filter((c) => c.options.some((o) => o.long === '--config')).map((c) => c.name()));
  for (const stream of ['log', 'error'] as const) {
    const print = console[stream].bind(console);
    // JSON output (`history --json`, `schema`) is data, not advice: a quoted path put in it could break it.
    console[stream] = (...args: unknown[]) => print(...args.map((a) => (typeof a === 'string' && !/^\s*[[{]/.test(a) ? withConfigFlag(a, commands, file) : a)));
  }
}

/** The `stowage` command line. Every command has --help; exit codes: 0 ok, 1 failure, 2 bad usage or configuration, 3 partial. */
export function program(): Command {
  const cli = new Command('stowage')
    .description('Lands Engage audiences and computed traits in your warehouse, in Segment\'s schema.')
    .version(VERSION)
    .showHelpAfterError()
    .exitOverride()
    // A warehouse type of a package of its own is loaded before the configuration is read.
    .hook('preAction', async (_cli, command) => {
      outputOf(command.name());
      const config: unknown = command.opts().config;
      if (typeof config === 'string' && command.getOptionValueSource('config') === 'cli') hintWithConfig(cli, config);
      if (typeof config === 'string') await loadDestinationsOf(config);
    });

  cli.command('demo')
    .description('Land a realistic sample space in an embedded DuckDB warehouse and tour its tables')
    .option('-d, --dir <folder>', 'folder for the demo (configuration, runs, state, warehouse.duckdb)', 'stowage-demo')
    .option('-p, --profiles <n>', 'number of sample profiles', positiveInteger, 5000)
    .action(async (opts) => {
      process.exitCode = await demo(opts.dir, opts.profiles);
    });

  cli.command('run')
    .description('Apply completed computation runs (JSON, or NDJSON with a header line): changes are logged as calls for the next Classic sync, and activations are written at once (Storage Actions)')
    .argument('<files...>', 'run files, applied in order')
    .addOption(configOption())
    .option('-q, --quiet', 'no progress output')
    .option('--abandon-interrupted', "apply the runs although an earlier run of their computation was interrupted after handing changes on and never applied again (its changes stay in the warehouses; see docs/runs-and-calls.md)")
    .action(async (files: string[], opts) => {
      // In line for the profile state from when the command started: runs started in the order
      // they completed keep it, however long each took to start (on a busy machine, 30–150 ms
      // apart was reversed).
      const stowage = openStowage(opts.config, { quiet: opts.quiet === true, startedAt: performance.timeOrigin });
      try {
        process.exitCode = await applyRuns(stowage, files, opts.quiet, { abandonInterrupted: opts.abandonInterrupted === true });
      } finally {
        await stowage.close();
      }
    });

  cli.command('flush')
    .description("Write the Storage Actions events still queued (after a failed write, held while an existing schema an activation names is missing, or a new activation's first rows a process died before writing): each event lands once")
    .argument('[warehouse]', 'the warehouse to write to (default: all)')
    .addOption(configOption())
    .option('-q, --quiet', 'no progress output')
    .action(async (warehouse: string | undefined, opts) => {
      const stowage = openStowage(opts.config, { quiet: opts.quiet === true });
      try {
        process.exitCode = await flushNow(stowage, warehouse, opts.quiet);
      } finally {
        await stowage.close();
      }
    });

  cli.command('ingest')
    .description('Log Segment-spec identify and track calls from an NDJSON file (- for stdin)')
    .argument('<file>', 'NDJSON file, one call per line')
    .requiredOption('-s, --space <name>', 'the space the calls belong to (required)')
    .option('--max-call-bytes <n>', 'the largest call taken, in bytes (default 524288): larger for calls made from runs and refused by a warehouse, sent back from `stowage refused`', positiveInteger)
    .addOption(configOption())
    .action(async (file: string, opts) => {
      process.exitCode = await ingest(openStowage(opts.config, { quiet: opts.quiet === true }), file, opts.space, opts.maxCallBytes);
    });

  cli.command('sync')
    .description('Run the Classic sync now: load everything logged since the last sync')
    .argument('[warehouse]', 'the warehouse to sync (default: all)')
    .option('-q, --quiet', 'no progress output')
    .addOption(configOption())
    .action(async (warehouse: string | undefined, opts) => {
      const stowage = openStowage(opts.config, { quiet: opts.quiet === true });
      try {
        process.exitCode = await syncNow(stowage, warehouse, opts.quiet);
      } finally {
        await stowage.close();
      }
    });

  cli.command('serve')
    .description("Run each warehouse's Classic sync on its schedule (cron, UTC; hourly by default; a warehouse never synced, at once) until stopped, and write again the Storage Actions events a failed write left queued")
    .option('--retry-after <seconds>', 'wait from queued Storage Actions events first seen to their first retry (then doubling, at most hourly)', positiveInteger, DEFAULT_RETRY_AFTER_SECONDS)
    .addOption(configOption())
    .action(async (opts) => {
      const stowage = openStowage(opts.config, { quiet: opts.quiet === true });
      try {
        await servingAlone(stowage, () => serve(stowage, { retryAfterSeconds: opts.retryAfter }));
      } finally {
        await stowage.close();
      }
    });

  cli.command('history')
    .description('Show past Classic syncs and Storage Actions writes (start, duration, status, rows per table, casts, rejects, error) and the next sync due')
    .option('-w, --warehouse <name>', 'only this warehouse')
    .option('-n, --limit <n>', 'most recent syncs to show', positiveInteger, 20)
    .option('--json', 'machine-readable output')
    .addOption(configOption())
    .action((opts) => printHistory(openStowage(opts.config, { quiet: opts.quiet === true }), opts));

  cli.command('refused')
    .description("Print the calls a warehouse refused (a constraint of a table: they are in _stowage_rejects whole) as NDJSON, to ingest again once the table is fixed")
    .argument('<warehouse>', 'the warehouse that refused them')
    .requiredOption('-s, --space <name>', 'the space whose Classic schema to read (required)')
    .addOption(configOption())
    .action(async (warehouse: string, opts) => {
      const stowage = openStowage(opts.config, { quiet: opts.quiet === true });
      try {
        await printRefused(stowage, warehouse, opts.space);
      } finally {
        await stowage.close();
      }
    });

  cli.command('rebuild-keys')
    .description("Make the index of the message ids a warehouse's Classic tables hold again from the tables (after rows were added to them other than by a sync); DuckDB and Redshift")
    .argument('<warehouse>', 'the warehouse whose tables to read')
    .option('-s, --space <name>', 'only this space (default: every space the warehouse serves)')
    .addOption(configOption())
    .action(async (warehouse: string, opts) => {
      const stowage = openStowage(opts.config, { quiet: opts.quiet === true });
      try {
        await rebuildKeys(stowage, warehouse, opts.space);
      } finally {
        await stowage.close();
      }
    });

  cli.command('claim')
    .description("Make this state folder the writer of a warehouse's schemas, which another state wrote (its folder lost, or begun anew on purpose); the rows there stay as they are")
    .argument('<warehouse>', 'the warehouse whose schemas to take')
    .addOption(configOption())
    .action(async (warehouse: string, opts) => {
      const stowage = openStowage(opts.config, { quiet: opts.quiet === true });
      try {
        await claim(stowage, warehouse);
      } finally {
        await stowage.close();
      }
    });

    cli.command('schema')
    .description('Print the configuration\'s JSON Schema, each known warehouse type\'s settings included, for editors: `stowage schema > stowage.schema.json`, then "$schema": "./stowage.schema.json" in the configuration')
    .action(() => {
      console.log(JSON.stringify(configurationSchema(destinations), null, 2));
    });

    cli.command('check')
    .description('Validate the configuration, test that the state folder can be written and its profile state is usable, and test the connection to every warehouse (and the schemas, tables and privileges its syncs and activations need)')
    .addOption(configOption())
    .action(async (opts) => {
      const stowage = openStowage(opts.config, { quiet: opts.quiet === true });
      let failed: string[];
      try {
        failed = await check(stowage);
      } finally {
        await stowage.close();
      }
      console.log(failed.length === 0 ? 'configuration OK' : `not OK: ${failed.join('; ')} (above)`);
      process.exitCode = failed.length === 0 ? EXIT.ok : EXIT.failure;
    });

  return cli;
}

/** Runs the CLI; expected errors print their message (no stack) with the matching exit code. */
export async function main(argv: string[]): Promise<void> {
  keepWorkingWhenOutputCloses();
  try {
    const cli = program();
    // Commander answers `help <unknown>` with the main help alone, which hides the mistake.
    const [verb, topic] = argv.slice(2);
    // Where it runs from a checkout, the commit and its date too (versionText).
    if ((verb === '--version' || verb === '-V') && topic === undefined) {
      console.log(versionText());
      return;
    }
    // `help --help` (or `help -h`) asks for help about help: the main help, as `help` alone gives.
    if (verb === 'help' && (topic === '--help' || topic === '-h')) {
      await cli.parseAsync([...argv.slice(0, 2), '--help']);
      return;
    }
    if (verb === 'help' && topic !== undefined && !cli.commands.some((c) => c.name() === topic)) {
      throw new UsageError(`unknown command '${topic}': \`stowage --help\` lists the commands`);
    }
    await cli.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander has printed the message (and the help for usage mistakes); --help and --version end here too.
      process.exitCode = error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    } else if (error instanceof ConfigError || error instanceof UsageError) {
      if (error instanceof UsageError) console.error(`stowage: ${error.message}`);
      else if (error.missingFile !== undefined) console.error(`Invalid ${error.missingFile}:\n  - ${missingConfigMessage(error.missingFile)}`);
      else console.error(error.message);
      process.exitCode = EXIT.usage;
    } else if (error instanceof StowageError || error instanceof RunFormatError) {
      console.error(`stowage: ${error.message}`);
      process.exitCode = EXIT.failure;
    } else {
      console.error(`stowage: ${errorMessage(error, stateDirs)}`);
      if (process.env.STOWAGE_DEBUG) console.error((error as Error).stack);
      process.exitCode = EXIT.failure;
    }
  }
}
