import type { Dialect } from '@stowage/core';
import { dialect } from '../dialect.js';
import { redshiftDestination } from '../index.js';

/**
 * Redshift's dialect as PostgreSQL can hold it, for the tests that run Redshift's SQL on a
 * PostgreSQL server. The one rule PostgreSQL cannot: names of up to 127 bytes (it cuts at 63,
 * NAMEDATALEN − 1, so two long names cut by Redshift's rule would meet as one). Everything else
 * (types, quoting, reserved words, the latest-value aggregate) is Redshift's own; the 127-byte cut
 * is checked by the rendering tests.
 */
export const redshiftDialectOnPostgres: Dialect = { ...dialect, identifiers: { ...dialect.identifiers, maxLength: 63 } };

/**
 * The destination with that dialect, as this module's default export: the conformance suite's
 * child processes (the killed syncs) import a destination by module name, and must run the same
 * dialect as the test that compares their tables with an uninterrupted sync's.
 */
export default redshiftDestination({ dialect: redshiftDialectOnPostgres, requireRedshift: false });
