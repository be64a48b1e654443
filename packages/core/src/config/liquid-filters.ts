import { createRequire } from 'node:module';
import { actionsCore } from '../actions/actions-core.js';
import { pointerToken } from './json-pointer.js';

const require = createRequire(import.meta.url);

type Liquid = import('liquidjs').Liquid;

/**
 * A Liquid engine that refuses a filter it does not have as it parses (the mapping kit's skips
 * one), and the filters the mapping kit's engine has but disables (`map`, `sort`, `uniq`…).
 */
let strict: { engine: Liquid; disabled: ReadonlySet<string> } | undefined;

/**
 * The strict engine, without the filters the mapping kit disables: those throw only when a
 * template applies them, so a check on one event passes a template that applies one in a branch
 * the event does not take (`{% if items %}{{ items | map: 'sku' }}{% endif %}`), and every event
 * that takes it was refused when written. Which ones are disabled is asked of the mapping kit
 * (it does not list them), once.
 */
function strictEngine(): { engine: Liquid; disabled: ReadonlySet<string> } {
  if (strict) return strict;
  const engine = new (require('liquidjs') as typeof import('liquidjs')).Liquid({ strictFilters: true });
  const filters = (engine as unknown as { filters: Record<string, unknown> }).filters;
  const disabled = new Set<string>();
  for (const name of Object.keys(filters)) {
    try {
      actionsCore().transform({ x: { '@liquid': `{{ 0 | ${name} }}` } } as never, {} as never);
    } catch (error) {
      if ((error as Error).message.startsWith(`filter "${name}" is disabled`)) disabled.add(name);
    }
  }
  for (const name of disabled) delete filters[name];
  return (strict = { engine, disabled });
}

/**
 * A `@liquid` template of the mapping that names a filter Liquid does not have (`| upcse`): the
 * mapping kit's engine leaves an unknown filter out without a word, and every row would get the
 * value unfiltered (`c1`, not `C1`); or one the mapping kit disables (`| map: 'sku'`), which
 * fails every event it is applied to. Undefined when there is none.
 */
export function unknownLiquidFilter(mapping: unknown, at = '', inDirective = false): string | undefined {
  if (typeof mapping !== 'object' || mapping === null) return undefined;
  for (const [key, value] of Object.entries(mapping)) {
    if (key === '@liquid' && typeof value === 'string') {
      const { engine, disabled } = strictEngine();
      try {
        engine.parse(value);
      } catch (error) {
        const message = (error as Error).message.split('\n')[0]!;
        // Other faults of a template are the mapping kit's to tell (`failure`).
        const filter = /^undefined filter: ([^,]+)/.exec(message)?.[1];
        if (filter !== undefined && disabled.has(filter)) return `${at || '/'}: @liquid ${JSON.stringify(value)} uses the filter "${filter}", which the mapping kit disables: every event it is applied to would be refused, not written`;
        if (filter !== undefined) return `${at || '/'}: @liquid ${JSON.stringify(value)} uses the filter "${filter}", which Liquid does not have: every row would get the value unfiltered`;
      }
      continue;
    }
    // The column's own keys name it (an object's leaves are columns too); a directive's options do not.
    const within = inDirective || key.startsWith('@');
    const found = unknownLiquidFilter(value, within ? at : `${at}/${pointerToken(key)}`, within);
    if (found) return found;
  }
  return undefined;
}
