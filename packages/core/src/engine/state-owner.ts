import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { WarehouseConfig } from '../config/config.js';
import { madeOnce } from '../process/made-once.js';
import type { StateOwner } from '../writer/state-claims.js';
import { makeFolder } from '../process/make-folder.js';

const STATE_ID = 'state-id';

/**
 * This state, as the schemas it writes record it (`state-claims.ts`): the id of its folder,
 * made the first time it writes anywhere (`<stateDir>/state-id`), and the folder itself, which
 * another state's refusal names. A folder moved keeps its id; one begun anew gets another.
 * With `make` false (a check, which writes nothing) a state that never wrote has the id ''.
 */
export function stateOwner(stateDir: string, warehouse: WarehouseConfig, { make = true } = {}): StateOwner {
  const file = join(stateDir, STATE_ID);
  const there = existsSync(file);
  if (!make) {
    const id = there ? readFileSync(file, 'utf8').trim() : '';
    return { id, dir: stateDir, warehouse: warehouse.name, ...(there && id === '' ? { emptied: true } : {}) };
  }
  makeFolder(stateDir);
  const id = madeOnce(file, randomUUID);
  return { id, dir: stateDir, warehouse: warehouse.name, ...(id === '' ? { emptied: true } : {}) };
}
