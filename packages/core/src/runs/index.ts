export * from './run.js';
export { parseRunHeader, parseRunProfile, RunFormatError } from './parse.js';
export { JsonText, jsonValue } from './json-text.js';
export { parseProfileText, repeatedKey } from './profile-text.js';
