import { readFileSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Destination } from '@stowage/core';
import { Harness } from '../harness.js';
import { dialectFingerprint, type ChildAction, type ChildTask } from './task.js';

/**
 * The entry of a child process (run with `node`, from dist): builds the install a test describes
 * on stdin against the destination its module exports, does the one thing asked, and prints the
 * result as JSON on its last line of output. A test sets `STOWAGE_FAILPOINT` to have it killed.
 */
async function main(): Promise<void> {
  const task = JSON.parse(readFileSync(0, 'utf8')) as ChildTask;
  const destination = await importDestination(task.module);
  if (destination.type !== task.type) throw new Error(`${task.module} exports the "${destination.type}" destination, but the test runs "${task.type}"`);
  if (dialectFingerprint(destination.dialect) !== task.dialect) {
    throw new Error(`${task.module} exports the "${destination.type}" destination with another dialect than the test runs (identifier rules or types differ): point \`module\` at a module whose default export is the destination under test`);
  }
  const settings = () => task.settings;
  const h = await Harness.create({ destination, module: task.module, settings, unreachable: settings }, { ...task.options, reuse: { dir: task.dir, settings: task.settings } });
  try {
    const result = await act(h, task.action);
    process.stdout.write(`\n${JSON.stringify(result)}\n`);
  } finally {
    await h.close();
  }
}

async function act(h: Harness, action: ChildAction): Promise<unknown> {
  switch (action.kind) {
    case 'sync':
      return h.stowage.sync(action.warehouse);
    case 'runs': {
      const results = [];
      for (const run of action.runs) results.push(await h.run(run.header, run.profiles));
      return results;
    }
  }
}

async function importDestination(module: string): Promise<Destination> {
  const specifier = isAbsolute(module) ? pathToFileURL(module).href : module;
  const imported = (await import(specifier)) as { default?: Partial<Destination> };
  const destination = imported.default;
  if (!destination || typeof destination.type !== 'string' || typeof destination.connect !== 'function') {
    throw new Error(`${module} has no default export that is a Stowage destination (an object with type, dialect, capabilities and connect)`);
  }
  return destination as Destination;
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
