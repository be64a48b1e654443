export { main, program } from './program.js';
export { openStowage } from './open.js';
export { destinations } from './registry.js';
export { random } from './demo/sample.js';
