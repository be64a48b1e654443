/** `${NAME}`: an environment variable's value; `$${` is a literal `${`. */
const REFERENCE = /\$(\$)?\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/**
 * Replaces `${NAME}` in the string values of a warehouse's settings with the environment's
 * values, so that passwords and connection URLs stay out of the configuration file. A variable
 * that is not set is a problem named by its path and its name, never by a value.
 */
export function resolveEnvReferences(settings: unknown, path: string, env: NodeJS.ProcessEnv, problems: string[]): unknown {
  if (typeof settings === 'string') {
    return settings.replace(REFERENCE, (whole, escaped: string | undefined, name: string) => {
      if (escaped) return whole.slice(1);
      const value = env[name];
      if (value === undefined) {
        problems.push(`${path}: the environment variable ${name} is not set`);
        return '';
      }
      return value;
    });
  }
  if (Array.isArray(settings)) return settings.map((v, i) => resolveEnvReferences(v, `${path}/${i}`, env, problems));
  if (settings && typeof settings === 'object') {
    return Object.fromEntries(Object.entries(settings).map(([k, v]) => [k, resolveEnvReferences(v, `${path}/${k}`, env, problems)]));
  }
  return settings;
}

/** Where a `${…}` is data: a warehouse's settings (expanded) and an activation's mapping (its values). */
const EXPANDED_OR_DATA = [/^\/warehouses\/[^/]+\/settings$/, /^\/spaces\/[^/]+\/activations\/[^/]+\/columns$/];

/**
 * `${NAME}` anywhere else in a configuration (`stateDir`, `schemaPrefix`, a table name): only a
 * warehouse's settings are expanded, so it would be taken as written (a folder named `${HOME}`),
 * silently. Each is a problem, named by its path, so that the user writes the value itself.
 */
export function unexpandedReferences(config: unknown, path = '', problems: string[] = []): string[] {
  if (EXPANDED_OR_DATA.some((p) => p.test(path))) return problems;
  if (typeof config === 'string') {
    for (const [, escaped, name] of config.matchAll(REFERENCE)) {
      if (escaped) continue;
      problems.push(`${path || '/'}: \${${name}} is not expanded here (environment variables are read only in a warehouse's settings): write the value itself`);
      break;
    }
  } else if (Array.isArray(config)) {
    config.forEach((v, i) => unexpandedReferences(v, `${path}/${i}`, problems));
  } else if (config && typeof config === 'object') {
    for (const [k, v] of Object.entries(config)) unexpandedReferences(v, `${path}/${k}`, problems);
  }
  return problems;
}
