export type { LogicalType, Column, ColumnBounds } from './logical-type.js';
export { LOGICAL_TYPES } from './logical-type.js';
export type { Capabilities } from './capabilities.js';
export { unsupportedCapabilities } from './capabilities.js';
export type { RowLimit } from './row-limit.js';
export type { Dialect, IdentifierRules } from './dialect.js';
export type { ActivationTable, Driver, LoadFile, Row, SqlValue, StageOptions } from './driver.js';
export type { ConnectContext, Destination, WarehouseSettings } from './destination.js';
export { inheritedName, inheritedNames, loadValue, rowValue } from './row-value.js';
