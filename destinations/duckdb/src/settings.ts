/** Settings of a DuckDB warehouse. */
export interface DuckDBSettings {
  /** Database file; `:memory:` for a throw-away warehouse. Relative paths are resolved by the caller. */
  path: string;
  /** DuckDB's memory_limit for the load (e.g. `512MB`); keeps a sync's footprint bounded. */
  memoryLimit?: string;
  /** DuckDB's threads setting; defaults to DuckDB's own choice. */
  threads?: number;
  [key: string]: unknown;
}
