import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

type ActionsCore = typeof import('@segment/actions-core');

/**
 * `@segment/actions-core`, loaded through CommonJS: its ESM entry does not load under native Node
 * ESM (3.170). Types come from the package itself.
 */
const require = createRequire(import.meta.url);
const root = dirname(require.resolve('@segment/actions-core'));

let loaded: ActionsCore | undefined;

/**
 * The whole package, loaded on first use. It takes ~140 ms and ~25 MB of memory to load (the
 * mapping kit, liquidjs, Ajv), which a Classic sync, `stowage history` or `--help` never need.
 */
export function actionsCore(): ActionsCore {
  return (loaded ??= require('@segment/actions-core') as ActionsCore);
}

/**
 * Parts every command needs (the settings' JSON Schemas, the presets' default mapping, the error a
 * definition throws), reached by their files as the pinned version lays them out: each requires
 * nothing heavy, and they are the very modules the package's entry re-exports.
 */
function part<K extends keyof ActionsCore>(file: string, name: K): ActionsCore[K] {
  return (require(join(root, file)) as Pick<ActionsCore, K>)[name];
}
export const fieldsToJsonSchema = part('destination-kit/fields-to-jsonschema.js', 'fieldsToJsonSchema');
export const defaultValues = part('defaults.js', 'defaultValues');
export const IntegrationError = part('errors.js', 'IntegrationError');

/**
 * What `executeBatch` does to each mapped payload before validating it. It is not among the
 * package's exports, so it is reached by its file too.
 */
export const removeEmptyValues = (require(join(root, 'remove-empty-values.js')) as {
  removeEmptyValues: (payload: unknown, schema: unknown) => Record<string, unknown>;
}).removeEmptyValues;
