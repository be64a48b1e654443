import { USERS } from './tables.js';

/**
 * What to say of a view (or a materialized view, a foreign table) standing where a Classic table
 * is (`Driver.notTables`): it takes no new column, and most take no row, so every sync fails on
 * it, however often it is tried. `users` is made again whole from `identifies`; another table made
 * anew holds the rows loaded from then on, so the one moved aside is better put back.
 */
export function notATable(schema: string, table: string, kind: string): string {
  const fails = table === USERS ? 'Stowage recomputes its rows at every sync' : 'Stowage adds the columns and rows of calls to it';
  const remedy =
    table === USERS
      ? `move it aside (ALTER … RENAME TO another name): the next sync makes the table again, whole, from identifies`
      : `move it aside (ALTER … RENAME TO another name) and put the table back under its name (ALTER TABLE … RENAME TO ${table}), or let the next sync make it anew, holding the rows loaded from then on`;
  return `${schema}.${table} is ${kind}, not a table: ${fails}, so every sync fails on it; ${remedy}`;
}
