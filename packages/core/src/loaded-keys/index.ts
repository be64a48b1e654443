export { keyHash, quickKeyHashes } from './key-hash.js';
export { HashSet64 } from './hash-set.js';
export { LoadedKeys } from './loaded-keys.js';
