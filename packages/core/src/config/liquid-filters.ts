import { createRequire } from 'node:module';
import { pointerToken } from './json-pointer.js';

const require = createRequire(import.meta.url);

/** A Liquid engine that refuses a filter it does not have as it parses (the mapping kit's skips one). */
let strict: { parse(template: string): unknown } | undefined;

/**
 * A `@liquid` template of the mapping that names a filter Liquid does not have (`| upcse`): the
 * mapping kit's engine leaves an unknown filter out without a word, and every row would get the
 * value unfiltered (`c1`, not `C1`). Undefined when there is none.
 */
export function unknownLiquidFilter(mapping: unknown, at = '', inDirective = false): string | undefined {
  if (typeof mapping !== 'object' || mapping === null) return undefined;
  for (const [key, value] of Object.entries(mapping)) {
    if (key === '@liquid' && typeof value === 'string') {
      try {
        strict ??= new (require('liquidjs') as typeof import('liquidjs')).Liquid({ strictFilters: true });
        strict.parse(value);
      } catch (error) {
        const message = (error as Error).message.split('\n')[0]!;
        // Other faults of a template are the mapping kit's to tell (`failure`).
        const filter = /^undefined filter: ([^,]+)/.exec(message)?.[1];
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
