import { redact, type Stowage } from '@stowage/core';
import { destinations } from '../registry.js';
import { strandedNotices } from './run.js';

/** Validates the configuration (done on load) and tests each warehouse's connection. */
export async function check(stowage: Stowage): Promise<boolean> {
  let ok = true;
  for (const w of Object.values(stowage.config.warehouses)) {
    const destination = destinations.get(w.type)!;
    try {
      const driver = await destination.connect(w.settings, { root: stowage.config.root });
      let problems: string[] = [];
      try {
        await driver.query('SELECT 1 AS ok');
        const { schemas, classic } = schemasOf(stowage, w.name);
        // Connected: a failure to ask is said as such, not as a connection refused.
        problems = (await driver.privilegeProblems?.(schemas, classic).catch((error: unknown) => [`could not ask the server for the role's privileges: ${(error as Error).message}`])) ?? [];
      } finally {
        await driver.close();
      }
      console.log(`warehouse ${w.name} (${w.type}): connected`);
      // A sync would fail on each of these: said now, with the grant that mends it.
      for (const problem of problems) console.log(`warehouse ${w.name} (${w.type}): ${redact(problem, destination.secrets(w.settings))}`);
      if (problems.length > 0) ok = false;
    } catch (error) {
      ok = false;
      console.log(`warehouse ${w.name} (${w.type}): cannot connect: ${redact((error as Error).message, destination.secrets(w.settings))}`);
    }
  }
  // Not a failure of the configuration, but events no command writes until it changes.
  for (const line of strandedNotices(stowage)) console.log(line);
  return ok;
}

/** The schemas a warehouse loads: the Classic one of each of its spaces, and those its activations write to. */
function schemasOf(stowage: Stowage, warehouse: string): { schemas: string[]; classic: string[] } {
  const w = stowage.config.warehouses[warehouse]!;
  const classic = w.spaces.map((space) => `${w.schemaPrefix}${space}`);
  const schemas = new Set(classic);
  for (const space of Object.values(stowage.config.spaces)) {
    for (const a of Object.values(space.activations)) if (a.warehouse === warehouse) schemas.add(a.schema ?? space.name);
  }
  return { schemas: [...schemas], classic };
}
