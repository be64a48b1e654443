// Loaded with `node --import`: appends every module the process loads to $STOWAGE_MODULE_LOG,
// one URL or path a line: what ES modules resolve to (through a resolve hook), and, as the
// process exits, what CommonJS loaded (`require.cache`).
import { appendFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';

const log = process.env.STOWAGE_MODULE_LOG;
if (log) {
  register(new URL('./module-log-hooks.mjs', import.meta.url), { data: { log } });
  process.on('exit', () => appendFileSync(log, Object.keys(createRequire(import.meta.url).cache).map((p) => `${p}\n`).join('')));
}
