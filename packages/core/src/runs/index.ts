export * from './run.js';
export { parseRunHeader, parseRunProfile, RunFormatError } from './parse.js';
