export type { Call } from './call.js';
export { acceptCall, acceptLine, MAX_CALL_BYTES, type Accepted } from './validate.js';
export { messageIdOf } from './message-id-of.js';
