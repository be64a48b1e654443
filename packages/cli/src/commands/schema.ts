import { configSchema, type Destination } from '@stowage/core';

/** A value holding `${NAME}`: what a number, yes/no or one-of-a-list setting may be written as (configuration.md). */
const REFERENCE = { type: 'string', pattern: '\\$\\{[A-Za-z_][A-Za-z0-9_]*\\}', description: 'An environment variable, `${NAME}`, whose value is read as this setting' };

/**
 * A settings schema whose number and yes/no settings, and text settings held to a list or a
 * pattern (`sslmode`, `bulkLoad`), also take `${NAME}`: `check` reads the variable's value as the
 * setting, and an editor must not mark the reference wrong.
 */
function withReferences(settings: Record<string, unknown>): Record<string, unknown> {
  const properties = settings.properties as Record<string, Record<string, unknown>> | undefined;
  if (!properties) return settings;
  const typed = Object.entries(properties).map(([key, given]) => {
    // actions-core marks a secret `format: "password"`, a format draft-07 does not have (a
    // validator in its strict mode refused the whole schema): draft-07 says it as `writeOnly`.
    const { format, ...rest } = given;
    const property: Record<string, unknown> = format === 'password' ? { ...rest, writeOnly: true } : given;
    const types = ([] as unknown[]).concat(property.type ?? []);
    const heldText = types.includes('string') && (property.enum !== undefined || property.pattern !== undefined);
    if (types.length === 0 || (types.includes('string') && !heldText)) return [key, property];
    const { description, ...shape } = property;
    return [key, { ...(description === undefined ? {} : { description }), anyOf: [shape, REFERENCE] }];
  });
  return { ...settings, properties: Object.fromEntries(typed) };
}

/**
 * The configuration's JSON Schema for editors (`"$schema": "./stowage.schema.json"`): the shape
 * `stowage check` validates, with each known warehouse type's settings in place of `object`, so
 * that an editor completes and checks them too. What the schema cannot say (a computation that
 * names no configured warehouse, a schema name the warehouse refuses) only `check` tells.
 */
export function configurationSchema(destinations: ReadonlyMap<string, Destination>): object {
  const warehouse = configSchema.properties.warehouses.additionalProperties;
  const typed = [...destinations].map(([type, destination]) => {
    // Each settings schema as a part of this one: its own `$schema` would name another dialect.
    const { $schema: _dialect, ...settings } = destination.settingsSchema as Record<string, unknown>;
    return { if: { properties: { type: { const: type } }, required: ['type'] }, then: { properties: { settings: withReferences(settings) } } };
  });
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    ...configSchema,
    properties: {
      ...configSchema.properties,
      warehouses: {
        ...configSchema.properties.warehouses,
        additionalProperties: {
          ...warehouse,
          properties: { ...warehouse.properties, type: { type: 'string', description: `The warehouse type: ${[...destinations.keys()].join(', ')}, or another whose package (@stowage/destination-<type>) is installed` } },
          allOf: typed,
        },
      },
    },
  };
}
