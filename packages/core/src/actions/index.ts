export { actionsCore } from './actions-core.js';
