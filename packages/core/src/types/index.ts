export { inferType } from './infer.js';
export { castTo, holdsEveryValueOf, widerTypeFor, type CastResult } from './cast.js';
export { clampToStorable, parseTimestamp, timestampMillis } from './timestamp.js';
export { jsonValueProblem, MAX_JSON_DEPTH } from './json-value.js';
export { parseJsonExactly } from './exact-json.js';
export { exactJsonText, exactNumberText } from './exact-json-text.js';
export { canonicalJsonEnd, foundCanonical, isCanonicalJson, plainFrom, wasFoundCanonical } from './canonical-json.js';
