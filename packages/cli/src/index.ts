export { main, program } from './program.js';
export { openStowage } from './open.js';
export { destinations, loadDestinationsOf, useDestination } from './registry.js';
export { random } from './demo/sample.js';
