import type { Destination } from '../contract/destination.js';
import type { WarehouseConfig } from './config.js';

/**
 * Two warehouses that load one Classic schema of one database: each has its own log, ledger and
 * index of loaded message ids, so each would load every call into it, and neither would know the
 * other's rows as loaded: every call twice. Refused, at the second warehouse's `schemaPrefix`, in the order
 * of the configuration. Locations are compared as the destinations spell them (`localhost` and
 * `127.0.0.1` are two), so this catches a warehouse copied under a new name, not every alias.
 */
export function sharedSchemaProblems(warehouses: readonly WarehouseConfig[], destinations: ReadonlyMap<string, Destination>, root: string): string[] {
  const problems: string[] = [];
  const owners = new Map<string, string>();
  for (const w of warehouses) {
    const destination = destinations.get(w.type);
    const location = destination?.location?.(w.settings, { root });
    if (!destination || location === undefined) continue;
    const folds = destination.dialect.identifiers.caseInsensitive === true;
    for (const space of w.spaces) {
      const schema = `${w.schemaPrefix}${space}`;
      const key = JSON.stringify([w.type, location, folds ? schema.toLowerCase() : schema]);
      const owner = owners.get(key);
      if (owner === undefined) {
        owners.set(key, w.name);
        continue;
      }
      problems.push(
        `/warehouses/${w.name}/schemaPrefix: warehouse "${w.name}" would load schema "${schema}" of space "${space}" in the same ${w.type} database as warehouse "${owner}" (${location}); ` +
          'each keeps its own log of calls and its own index of the ids it loaded, so every call would land twice: give one another schemaPrefix, or remove one',
      );
    }
  }
  return problems;
}
