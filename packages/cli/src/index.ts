export { main, program } from './program.js';
export { openStowage } from './open.js';
// Runs handed over in code may give an entity context as its JSON text.
export { JsonText } from '@stowage/core';
export { destinations, loadDestinationsOf, useDestination } from './registry.js';
export { random } from './demo/sample.js';
