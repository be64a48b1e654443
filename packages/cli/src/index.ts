export { main, program } from './program.js';
export { openStowage } from './open.js';
// Runs handed over in code may give an entity context as its JSON text; a reader of calls a line too long as its size alone.
export { JsonText, LineTooLong } from '@stowage/core';
// The errors a caller can act on (library.md), for code outside the checkout, which imports this entry by its path.
export { ConfigError, RunFormatError, StowageError, UsageError } from '@stowage/core';
// The types of what the library takes and gives (library.md): TypeScript code outside the checkout
// imports this entry alone, and could not name a run's profiles or a result without reaching into core's dist.
export type {
  ActivationOutcome,
  ApplyOptions,
  Destination,
  FlushOptions,
  FlushProgress,
  FlushResult,
  IngestResult,
  RunHeader,
  RunProfile,
  RunProgress,
  RunResult,
  Stowage,
  StowageConfig,
  SyncProgress,
  SyncRecord,
  SyncStatus,
} from '@stowage/core';
export { destinations, loadDestinationsOf, useDestination } from './registry.js';
export { random } from './demo/sample.js';
