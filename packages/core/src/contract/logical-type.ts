/** The warehouse-independent column types Stowage infers; each dialect maps them to physical types. */
export type LogicalType = 'boolean' | 'bigint' | 'double' | 'timestamp' | 'string' | 'json';

export const LOGICAL_TYPES: readonly LogicalType[] = ['boolean', 'bigint', 'double', 'timestamp', 'string', 'json'];

/** A column as the writer sees it: a final (already named) identifier and its logical type. */
export interface Column {
  name: string;
  type: LogicalType;
}
