export { snakeCase } from './snake-case.js';
export { stableHash } from './stable-hash.js';
export { applyIdentifierRules } from './identifier.js';
export { flatten, MAX_FLATTEN_DEPTH } from './flatten.js';
export { ColumnNamer, type NameCollision } from './column-namer.js';
