export { openLoadDir } from './load-dir.js';
export { writeLoadLines } from './write-lines.js';
