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
      await driver.query('SELECT 1 AS ok');
      await driver.close();
      console.log(`warehouse ${w.name} (${w.type}): connected`);
    } catch (error) {
      ok = false;
      console.log(`warehouse ${w.name} (${w.type}): cannot connect: ${redact((error as Error).message, destination.secrets(w.settings))}`);
    }
  }
  // Not a failure of the configuration, but events no command writes until it changes.
  for (const line of strandedNotices(stowage)) console.log(line);
  return ok;
}
