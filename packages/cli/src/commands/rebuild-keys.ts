import type { Stowage } from '@stowage/core';
import { fmt } from '../output.js';

/** Rebuilds the loaded-keys index of a warehouse's spaces from their Classic tables, and says what it holds. */
export async function rebuildKeys(stowage: Stowage, warehouse: string, space: string | undefined): Promise<void> {
  const rebuilt = await stowage.rebuildLoadedKeys(warehouse, space);
  if (rebuilt.length === 0) {
    console.log(`warehouse ${warehouse} looks message ids up in its own key indexes: no index to rebuild`);
    return;
  }
  for (const { schema, keys } of rebuilt) {
    console.log(keys === undefined ? `${schema}: a table holds its id as other than text; syncs look its ids up in the tables` : `${schema}: ${fmt(keys)} message ids`);
  }
}
