import type { Dialect } from '@stowage/core';
import { dialect } from '../src/index.js';

/**
 * Redshift's dialect as PostgreSQL can hold it. The one rule PostgreSQL cannot: names of up to
 * 127 bytes (it cuts at 63, NAMEDATALEN − 1, so two long names cut by Redshift's rule would meet
 * as one). Everything else (types, quoting, reserved words, the latest-value aggregate) is
 * Redshift's own; the 127-byte cut is checked by the rendering tests.
 */
export const redshiftDialectOnPostgres: Dialect = { ...dialect, identifiers: { ...dialect.identifiers, maxLength: 63 } };
