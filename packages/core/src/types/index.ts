export { inferType } from './infer.js';
export { castTo, widerTypeFor, type CastResult } from './cast.js';
export { parseTimestamp, timestampMillis } from './timestamp.js';
