import type { Stowage } from '@stowage/core';

/** Makes this state the writer of a warehouse's schemas (`Stowage.claimWarehouse`), and says whose they were. */
export async function claim(stowage: Stowage, warehouse: string): Promise<void> {
  const claimed = await stowage.claimWarehouse(warehouse);
  if (claimed.length === 0) {
    console.log(`warehouse ${warehouse} holds none of this configuration's schemas yet: the first sync or write takes them`);
    return;
  }
  const dir = stowage.config.stateDir;
  for (const { schema, already, before } of claimed) {
    if (already) console.log(`${schema}: already written by this state (${dir})`);
    else if (before) console.log(`${schema}: now written by this state (${dir}); the state in ${before.dir} wrote it since ${before.at}`);
    else console.log(`${schema}: now written by this state (${dir})`);
  }
}
