/**
 * Amazon Redshift's reserved words (the "Reserved words" page of its Database Developer Guide).
 * Stowage quotes every identifier, so these are safe in its own SQL; the `_` prefix keeps them
 * safe in the SQL users write against the tables too. `timestamp` is among them: a trait named
 * `timestamp` lands as `_timestamp` (Segment's own `timestamp` column is a standard one, quoted).
 * With them, the other system column names of the PostgreSQL it derives from (`oid` is on AWS's
 * list already), and Redshift's own two, `insertxid` and `deletexid` (every row's inserting and
 * deleting transaction, hidden columns of every table, in pg_attribute with negative numbers):
 * no table may have one as a column (`column name "insertxid" conflicts with a system column
 * name`), so a trait named after one failed every sync that would add its column.
 */
export const REDSHIFT_RESERVED_WORDS: ReadonlySet<string> = new Set([
  'aes128', 'aes256', 'all', 'allowoverwrite', 'analyse', 'analyze', 'and', 'any', 'array', 'as', 'asc', 'authorization',
  'az64', 'backup', 'between', 'binary', 'blanksasnull', 'both', 'bytedict', 'bzip2', 'case', 'cast', 'check', 'collate',
  'column', 'constraint', 'create', 'credentials', 'cross', 'current_date', 'current_time', 'current_timestamp',
  'current_user', 'current_user_id', 'default', 'deferrable', 'deflate', 'defrag', 'delta', 'delta32k', 'desc', 'disable',
  'distinct', 'do', 'else', 'emptyasnull', 'enable', 'encode', 'encrypt', 'encryption', 'end', 'except', 'explicit',
  'false', 'for', 'foreign', 'freeze', 'from', 'full', 'globaldict256', 'globaldict64k', 'grant', 'group', 'gzip', 'having',
  'identity', 'ignore', 'ilike', 'in', 'initially', 'inner', 'intersect', 'interval', 'into', 'is', 'isnull', 'join',
  'leading', 'left', 'like', 'limit', 'localtime', 'localtimestamp', 'lun', 'luns', 'lzo', 'lzop', 'minus', 'mostly16',
  'mostly32', 'mostly8', 'natural', 'new', 'not', 'notnull', 'null', 'nulls', 'off', 'offline', 'offset', 'oid', 'old',
  'on', 'only', 'open', 'or', 'order', 'outer', 'overlaps', 'parallel', 'partition', 'percent', 'permissions', 'pivot',
  'placing', 'primary', 'raw', 'readratio', 'recover', 'references', 'rejectlog', 'resort', 'respect', 'restore', 'right',
  'select', 'session_user', 'similar', 'snapshot', 'some', 'sysdate', 'system', 'table', 'tag', 'tdes', 'text255',
  'text32k', 'then', 'timestamp', 'to', 'top', 'trailing', 'true', 'truncatecolumns', 'union', 'unique', 'unnest',
  'unpivot', 'user', 'using', 'verbose', 'wallet', 'when', 'where', 'with', 'without',
  // System columns: PostgreSQL's, then Redshift's own.
  'tableoid', 'xmin', 'cmin', 'xmax', 'cmax', 'ctid',
  'insertxid', 'deletexid',
]);
