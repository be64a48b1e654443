/** `${NAME}`: an environment variable's value; `$${` is a literal `${`. */
const REFERENCE = /\$(\$)?\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/**
 * As expanded: any `$${` is a literal `${`, a name after it or not. The refusal of a `${` that
 * begins no reference tells the user to write `$${`: kept as written where no `NAME}` followed
 * (`pa$${ss`), it gave the password `pa$${ss`, not `pa${ss`.
 */
const EXPANDED = /\$(\$)\{|\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/**
 * Replaces `${NAME}` in the string values of a warehouse's settings with the environment's
 * values, so that passwords and connection URLs stay out of the configuration file. A variable
 * that is not set is a problem named by its path and its name, never by a value.
 */
export function resolveEnvReferences(settings: unknown, path: string, env: NodeJS.ProcessEnv, problems: string[]): unknown {
  if (typeof settings === 'string') {
    // `${PGPASSWORD` or `${PG-PASSWORD}` would be taken as written: a password that fails to log in, a host named so.
    if (/(?<!\$)\$\{(?![A-Za-z_][A-Za-z0-9_]*\})/.test(settings)) {
      problems.push(`${path}: a \`\${\` in it begins no reference to an environment variable (\`\${NAME}\`, NAME of letters, digits and _, not beginning with a digit): close or correct the reference, or write \`$\${\` for a literal \`\${\``);
    }
    return settings.replace(EXPANDED, (whole, escaped: string | undefined, name: string) => {
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

/**
 * A setting of a number or a yes/no written as a reference (`"port": "${PGPORT}"`): its
 * variable's text read as the type the settings' schema gives the key (`5432`, `true`), where it
 * reads as one; otherwise left as text, for the schema to refuse. Top-level keys only: settings
 * are flat.
 */
export function typedReferences(written: unknown, resolved: Record<string, unknown>, schema: { properties?: Record<string, { type?: unknown }> }): Record<string, unknown> {
  if (!written || typeof written !== 'object' || Array.isArray(written)) return resolved;
  const out = { ...resolved };
  for (const [key, value] of Object.entries(written as Record<string, unknown>)) {
    if (typeof value !== 'string' || !value.match(REFERENCE)?.some((m) => !m.startsWith('$$'))) continue;
    const text = out[key];
    if (typeof text !== 'string') continue;
    const type = schema.properties?.[key]?.type;
    const types = Array.isArray(type) ? type : [type];
    if (types.includes('string')) continue;
    const trimmed = text.trim();
    if ((types.includes('integer') && /^-?\d+$/.test(trimmed)) || (types.includes('number') && /^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(trimmed))) out[key] = Number(trimmed);
    else if (types.includes('boolean') && (trimmed === 'true' || trimmed === 'false')) out[key] = trimmed === 'true';
  }
  return out;
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
