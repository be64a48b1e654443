export type { Call } from './call.js';
export { acceptCall, acceptLine, LineTooLong, MAX_CALL_BYTES, type Accepted } from './validate.js';
export { messageIdOf } from './message-id-of.js';
export { utf8Problem } from './utf8.js';
export { jsonErrorMessage } from './json-error.js';
