export * from './run.js';
export { parseRunHeader, parseRunProfile, identifierProblem, RunFormatError } from './parse.js';
export { JsonText, jsonValue } from './json-text.js';
