import { UsageError } from './errors.js';

/**
 * The history's trigger a library caller names a sync or a flush by, checked: stored as given, a
 * number or an object was printed by `stowage history` as `5` or `[object Object]`, and one
 * reading `run <id>` was counted among that run's own write attempts.
 */
export function triggerOf(method: 'sync' | 'flush', trigger: unknown): string {
  if (trigger === undefined) return 'manual';
  const said = typeof trigger === 'string' ? JSON.stringify(trigger.length > 40 ? `${trigger.slice(0, 40)}…` : trigger) : trigger === null ? 'null' : typeof trigger === 'object' ? 'an object' : `a ${typeof trigger}`;
  if (typeof trigger !== 'string' || trigger.trim() === '' || trigger.length > 200 || /[\r\n\u0000]/.test(trigger)) {
    throw new UsageError(`${method}(warehouse, { trigger }): trigger names the ${method} in the history: a line of text of 1 to 200 characters, not ${said}`);
  }
  if (/^run /.test(trigger)) throw new UsageError(`${method}(warehouse, { trigger }): a trigger "run <id>" names a run's own writes in the history, not a ${method}'s: name it otherwise (not ${said})`);
  return trigger;
}
