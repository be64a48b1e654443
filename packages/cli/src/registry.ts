import type { Destination } from '@stowage/core';
import { duckdb } from '@stowage/destination-duckdb';
import { postgres } from '@stowage/destination-postgres';
import { redshift } from '@stowage/destination-redshift';

/** The warehouse types this build of the CLI can load into, by configuration `type`. */
export const destinations: ReadonlyMap<string, Destination> = new Map<string, Destination>(
  [duckdb, postgres, redshift].map((d) => [d.type, d as unknown as Destination]),
);
