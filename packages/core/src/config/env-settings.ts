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
