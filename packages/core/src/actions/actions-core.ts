import { createRequire } from 'node:module';

/**
 * `@segment/actions-core`, loaded through CommonJS: its ESM entry does not load under native Node
 * ESM (3.170). Types come from the package itself.
 */
const require = createRequire(import.meta.url);
export const actionsCore = require('@segment/actions-core') as typeof import('@segment/actions-core');
