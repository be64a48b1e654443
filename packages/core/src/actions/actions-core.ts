import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/**
 * `@segment/actions-core`, loaded through CommonJS: its ESM entry does not load under native Node
 * ESM (3.170). Types come from the package itself.
 */
const require = createRequire(import.meta.url);
export const actionsCore = require('@segment/actions-core') as typeof import('@segment/actions-core');

/**
 * What `executeBatch` does to each mapped payload before validating it. It is not among the
 * package's exports, so it is reached by its file, as the pinned version lays it out.
 */
export const removeEmptyValues = (require(join(dirname(require.resolve('@segment/actions-core')), 'remove-empty-values.js')) as {
  removeEmptyValues: (payload: unknown, schema: unknown) => Record<string, unknown>;
}).removeEmptyValues;
