import type { Dialect, LogicalType } from '@stowage/core';
import { POSTGRES_RESERVED_WORDS } from './reserved-words.js';

const PHYSICAL: Record<LogicalType, string> = {
  boolean: 'boolean',
  bigint: 'bigint',
  double: 'double precision',
  timestamp: 'timestamptz',
  string: 'text',
  json: 'jsonb',
};

/** information_schema's `data_type` spellings, read back as logical types (Redshift's catalog spells them the same). */
export const PG_CATALOG_TYPES: Readonly<Record<string, LogicalType>> = {
  boolean: 'boolean',
  bigint: 'bigint',
  integer: 'bigint',
  smallint: 'bigint',
  'double precision': 'double',
  real: 'double',
  numeric: 'double',
  'timestamp with time zone': 'timestamp',
  'timestamp without time zone': 'timestamp',
  text: 'string',
  'character varying': 'string',
  character: 'string',
  jsonb: 'json',
  json: 'json',
};

/** `body` between dollar quotes whose tag it does not contain, whatever names it spells. */
function dollarQuoted(body: string): string {
  let tag = '$stowage$';
  for (let n = 1; body.includes(tag); n++) tag = `$stowage${n}$`;
  return `${tag}${body}${tag}`;
}

/**
 * PostgreSQL: identifiers are double-quoted and at most 63 bytes (NAMEDATALEN − 1; Stowage's
 * names are ASCII, so bytes are characters); reserved words get a `_` prefix so that the tables
 * read well in hand-written SQL; timestamps are `timestamptz`, JSON is `jsonb`.
 */
export const dialect: Dialect = {
  identifiers: { maxLength: 63, reservedWords: POSTGRES_RESERVED_WORDS, prefixLeadingDigit: false },
  quote: (identifier) => `"${identifier.replace(/"/g, '""')}"`,
  // standard_conforming_strings is on (the default since 9.1, and set by the driver): a backslash is a character.
  literal: (value) => `'${value.replace(/'/g, "''")}'`,
  param: (index) => `$${index}`,
  concatenated: (expression) => `string_agg(${expression}, '')`,
  physicalType: (type) => PHYSICAL[type],
  logicalType: (physical) => PG_CATALOG_TYPES[physical.toLowerCase()],
  // No arg_max: the first of the non-null values, the rows arriving newest first. An ORDER BY
  // inside each aggregate sorts every key's rows again for each column (before PostgreSQL 16):
  // 5.9 s against 1.6 s for 20 trait columns over 500,000 identifies. An aggregate reads a sorted
  // subquery's rows in its order (the subquery is not flattened, and its sort leaves it no partial
  // paths, so the aggregate is never split between parallel workers); the conformance suite's
  // late and out-of-order calls hold it to that.
  latestNonNull: (column) => `(array_agg(${column}) FILTER (WHERE ${column} IS NOT NULL))[1]`,
  latestNonNullFromSortedRows: true,
  // The database's collation may be a language's (ICU or libc): UTF-8 under "C" compares by code
  // point. As text: a table of the user's may key its rows by uuid, which takes no collation (its
  // text, lower-case hex, sorts as its bytes do).
  codePointOrder: (expression) => `CAST(${expression} AS text) COLLATE "C"`,
  // Read in pg_temp, where it is made: whatever the search path, no table of the user's is taken for it.
  temporaryTableAs: (name, select) => {
    const quoted = `"${name.replace(/"/g, '""')}"`;
    return { statement: `CREATE TEMPORARY TABLE ${quoted} ON COMMIT DROP AS ${select}`, table: `pg_temp.${quoted}` };
  },
  keyIndexMethod: 'hash',
  // The set-based insert in a subtransaction; when a row is over 8 KB it rolls back alone, and a
  // PL/pgSQL loop takes the rows one at a time, each in a subtransaction of its own (~100 µs a row
  // at 300 columns, so only then), the server catching the rows that are too big.
  // A column may be named like a PL/pgSQL variable (a trait `found`, `sqlstate`, or the loop's
  // own): `use_column` reads such a name as the column, where PL/pgSQL would refuse it as ambiguous.
  insertQuarantiningTooBig: (insert, select, width, tooBig) => {
    const values = Array.from({ length: width }, (_, i) => `stowage_row.c${i}`);
    const body =
      `#variable_conflict use_column\nDECLARE stowage_row record; BEGIN BEGIN ${insert} ${select}; EXCEPTION WHEN program_limit_exceeded THEN ` +
      `FOR stowage_row IN SELECT * FROM (${select}) s(${values.map((_, i) => `c${i}`).join(', ')}) LOOP ` +
      `BEGIN ${insert} VALUES (${values.join(', ')}); EXCEPTION WHEN program_limit_exceeded THEN ${tooBig((i) => values[i]!)}; END; END LOOP; END; END`;
    return `DO ${dollarQuoted(body)}`;
  },
  alterColumnType: (table, column, type) => `ALTER TABLE ${table} ALTER COLUMN ${column} TYPE ${PHYSICAL[type]} USING ${column}::${PHYSICAL[type]}`,
  now: () => 'now()',
};
