import type { Dialect, LogicalType } from '@stowage/core';
import { PG_CATALOG_TYPES } from '@stowage/destination-postgres';
import { latestNonNull } from './latest-non-null.js';
import { MAX_VARCHAR_BYTES } from './max-varchar.js';
import { REDSHIFT_RESERVED_WORDS } from './reserved-words.js';

/**
 * JSON is SUPER rather than VARCHAR(65535): a SUPER value holds megabytes rather than 64 KB, and
 * is queried in place (`entity_context.cart_id`) rather than re-parsed with JSON_EXTRACT_PATH_TEXT
 * per row. The cost: a value must be valid JSON, INSERT needs JSON_PARSE (see super-columns.ts),
 * and tools that read the table see a type PostgreSQL clients do not know. The core stores the
 * JSON it writes today (entity_context, journey_context) as strings, so this applies to
 * columns declared JSON only.
 */
const PHYSICAL: Record<LogicalType, string> = {
  boolean: 'BOOLEAN',
  bigint: 'BIGINT',
  double: 'DOUBLE PRECISION',
  timestamp: 'TIMESTAMPTZ',
  string: `VARCHAR(${MAX_VARCHAR_BYTES})`,
  json: 'SUPER',
};

/** information_schema's `data_type` spellings, as PostgreSQL's, with SUPER in place of json and jsonb (Redshift has neither). */
const { json: _json, jsonb: _jsonb, ...SHARED_TYPES } = PG_CATALOG_TYPES;
const LOGICAL: Record<string, LogicalType> = { ...SHARED_TYPES, super: 'json' };

/** Redshift folds ASCII letters of every identifier, quoted or not, to lower case (unless a cluster enables case-sensitive identifiers). */
export const foldCase = (identifier: string): string => identifier.replace(/[A-Z]+/g, (letters) => letters.toLowerCase());

/**
 * Redshift: identifiers are case-insensitive, stored in lower case, at most 127 bytes (Stowage's
 * names are ASCII, so bytes are characters); they are double-quoted, and reserved words get a
 * `_` prefix so that the tables read well in hand-written SQL. A quoted name may start with a
 * digit, so `2fa_enabled` stays as it is. Timestamps are TIMESTAMPTZ (UTC), doubles DOUBLE
 * PRECISION, strings VARCHAR(65535), JSON SUPER.
 */
export const dialect: Dialect = {
  identifiers: { maxLength: 127, reservedWords: REDSHIFT_RESERVED_WORDS, prefixLeadingDigit: false, caseInsensitive: true },
  quote: (identifier) => `"${foldCase(identifier).replace(/"/g, '""')}"`,
  literal: (value) => {
    // Whether a backslash escapes in a Redshift literal depends on the server; Stowage's literals
    // (table names, S3 addresses, ARNs, keys) never hold one, so refuse rather than guess.
    if (value.includes('\\')) throw new Error(`A backslash cannot be written in a Redshift string literal: ${JSON.stringify(value.slice(0, 80))}`);
    return `'${value.replace(/'/g, "''")}'`;
  },
  param: (index) => `$${index}`,
  physicalType: (type) => PHYSICAL[type],
  logicalType: (physical) => LOGICAL[physical.toLowerCase()],
  latestNonNull,
  // VARCHAR comparisons ignore trailing blanks.
  keyForComparison: (key) => (key.endsWith(' ') ? key.replace(/ +$/, '') : key),
  alterColumnType: (_table, column, type) => {
    // Never called: capabilities declare no in-place widening, so the core quarantines instead.
    throw new Error(`Redshift cannot change the type of column ${column} to ${PHYSICAL[type]} in place`);
  },
  // now() runs on the leader node only; SYSDATE is the transaction's start, in the session's zone (UTC).
  now: () => 'CAST(SYSDATE AS TIMESTAMPTZ)',
};
