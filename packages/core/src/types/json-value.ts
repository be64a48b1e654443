/**
 * Deepest nesting accepted in a call's or a run's values. Deeper JSON parses, but serialising it
 * again (into the call log, the profile state, a JSON column) overflows the stack at a few
 * thousand levels, and BigQuery's JSON holds 500.
 */
export const MAX_JSON_DEPTH = 500;

/**
 * Why a parsed JSON value cannot be kept whole, or undefined when it can: a number JSON.parse read
 * as Infinity (`1e400`, beyond a double), which would be written back as null and lost, or
 * nesting deeper than MAX_JSON_DEPTH. Walked without recursion, so that no input can overflow
 * the stack here. `what` names the value in the message (`traits`); `''` for a whole call,
 * whose fields then name themselves.
 */
export function jsonValueProblem(what: string, value: unknown): string | undefined {
  // `top`: the field named in a depth problem (the path itself may be thousands of levels long).
  const stack: Array<{ value: unknown; path: string; top: string; depth: number }> = [{ value, path: what, top: what, depth: 0 }];
  while (stack.length > 0) {
    const { value: v, path, top, depth } = stack.pop()!;
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) return `${path} is a number beyond the range of a double (read as ${v}); send it as a string`;
      continue;
    }
    if (v === null || typeof v !== 'object') continue;
    if (depth >= MAX_JSON_DEPTH) return `${top} is nested deeper than ${MAX_JSON_DEPTH} levels`;
    const child = (key: string) => (path === '' ? key : `${path}.${key}`);
    if (Array.isArray(v)) v.forEach((item, i) => stack.push({ value: item, path: `${path}[${i}]`, top: top || `[${i}]`, depth: depth + 1 }));
    else for (const key of Object.keys(v)) stack.push({ value: (v as Record<string, unknown>)[key], path: child(key), top: top || key, depth: depth + 1 });
  }
  return undefined;
}
