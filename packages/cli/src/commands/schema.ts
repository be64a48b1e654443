import { configSchema, type Destination } from '@stowage/core';

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
    return { if: { properties: { type: { const: type } }, required: ['type'] }, then: { properties: { settings } } };
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
