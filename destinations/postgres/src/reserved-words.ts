/**
 * PostgreSQL's reserved key words (the "reserved" and "reserved (can be function or type)" rows
 * of Appendix C of its manual, version 15). Stowage quotes every identifier, so these are safe in
 * its own SQL; the `_` prefix keeps them safe in the SQL users write against the tables too.
 * With them, the names of its system columns (section 5.5 of the manual), which no quoting lets a
 * table have: a trait or mapped field named `xmin` failed its table's every CREATE or ALTER (and,
 * written in one transaction, every other table's of the batch), so it lands as `_xmin`.
 */
export const POSTGRES_RESERVED_WORDS: ReadonlySet<string> = new Set([
  'all', 'analyse', 'analyze', 'and', 'any', 'array', 'as', 'asc', 'asymmetric', 'authorization', 'binary', 'both', 'case',
  'cast', 'check', 'collate', 'collation', 'column', 'concurrently', 'constraint', 'create', 'cross', 'current_catalog',
  'current_date', 'current_role', 'current_schema', 'current_time', 'current_timestamp', 'current_user', 'default',
  'deferrable', 'desc', 'distinct', 'do', 'else', 'end', 'except', 'false', 'fetch', 'for', 'foreign', 'freeze', 'from',
  'full', 'grant', 'group', 'having', 'ilike', 'in', 'initially', 'inner', 'intersect', 'into', 'is', 'isnull', 'join',
  'lateral', 'leading', 'left', 'like', 'limit', 'localtime', 'localtimestamp', 'natural', 'not', 'notnull', 'null',
  'offset', 'on', 'only', 'or', 'order', 'outer', 'overlaps', 'placing', 'primary', 'references', 'returning', 'right',
  'select', 'session_user', 'similar', 'some', 'symmetric', 'system_user', 'table', 'tablesample', 'then', 'to',
  'trailing', 'true', 'union', 'unique', 'user', 'using', 'variadic', 'verbose', 'when', 'where', 'window', 'with',
  // System columns.
  'tableoid', 'xmin', 'cmin', 'xmax', 'cmax', 'ctid',
]);
