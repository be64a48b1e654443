export { keyHash } from './key-hash.js';
export { LoadedKeys } from './loaded-keys.js';
