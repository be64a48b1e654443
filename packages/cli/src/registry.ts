import type { Destination } from '@stowage/core';
import { duckdb } from '@stowage/destination-duckdb';

/** The warehouse types this build of the CLI can load into, by configuration `type`. */
export const destinations: ReadonlyMap<string, Destination> = new Map<string, Destination>([[duckdb.type, duckdb as unknown as Destination]]);
