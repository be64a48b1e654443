/** JSON Schema of the configuration file; `docs/configuration.md` documents every key. */
export const configSchema = {
  $id: 'https://stowage.dev/schema/config.json',
  type: 'object',
  additionalProperties: false,
  required: ['spaces', 'warehouses'],
  properties: {
    $schema: { type: 'string' },
    stateDir: { type: 'string', minLength: 1, description: 'Where Stowage keeps its log, profile state and history. Default: .stowage' },
    batchSize: { type: 'integer', minimum: 1, maximum: 10_000_000, description: 'Calls per sync batch (one transaction each). Default: 20000' },
    batchBytes: { type: 'integer', minimum: 1024, maximum: 4_294_967_296, description: 'Most bytes of logged calls per sync batch; a batch closes at batchSize calls or at this, whichever comes first. Default: 16777216 (16 MiB)' },
    spaces: {
      type: 'object',
      minProperties: 1,
      propertyNames: { pattern: '^[a-z0-9_]{1,40}$' },
      additionalProperties: {
        type: 'object',
        additionalProperties: false,
        properties: {
          id: { type: 'string', minLength: 1 },
          computations: {
            type: 'object',
            propertyNames: { minLength: 1, maxLength: 1000 },
            additionalProperties: {
              type: 'object',
              additionalProperties: false,
              required: ['type'],
              properties: {
                type: { enum: ['audience', 'trait', 'linked_audience', 'journey_step'] },
                id: { type: 'string', minLength: 1 },
                valueType: { enum: ['double', 'bigint', 'string', 'boolean', 'timestamp'] },
                warehouses: {
                  type: 'object',
                  additionalProperties: {
                    type: 'object',
                    additionalProperties: false,
                    properties: {
                      identify: { type: 'boolean' },
                      track: { type: 'boolean' },
                      enteredEvent: { type: 'string', minLength: 1 },
                      exitedEvent: { type: 'string', minLength: 1 },
                      computedEvent: { type: 'string', minLength: 1 },
                      includeAnonymous: { type: 'boolean' },
                      includeMobileIds: { type: 'boolean' },
                    },
                  },
                },
              },
            },
          },
          activations: {
            type: 'object',
            propertyNames: { pattern: '^[A-Za-z0-9_-]{1,64}$' },
            additionalProperties: {
              type: 'object',
              additionalProperties: false,
              required: ['computation', 'warehouse', 'table'],
              properties: {
                id: { type: 'string', minLength: 1 },
                computation: { type: 'string', minLength: 1 },
                warehouse: { type: 'string', minLength: 1 },
                table: { type: 'string', minLength: 1, maxLength: 1000 },
                schema: { type: 'string', minLength: 1, maxLength: 1000 },
                preset: { enum: ['linked-audience', 'journey-step'] },
                events: {
                  type: 'object',
                  additionalProperties: false,
                  properties: {
                    entered: { type: 'string', minLength: 1 },
                    exited: { type: 'string', minLength: 1 },
                    entityAdded: { type: 'string', minLength: 1 },
                    entityRemoved: { type: 'string', minLength: 1 },
                    stepEntered: { type: 'string', minLength: 1 },
                  },
                },
                columns: { type: 'object', propertyNames: { minLength: 1, maxLength: 1000 } },
                maxEntityContextBytes: { type: 'integer', minimum: 1, maximum: 1073741824 },
              },
            },
          },
        },
      },
    },
    warehouses: {
      type: 'object',
      minProperties: 1,
      propertyNames: { pattern: '^[A-Za-z0-9_-]{1,64}$' },
      additionalProperties: {
        type: 'object',
        additionalProperties: false,
        required: ['type', 'settings'],
        properties: {
          type: { type: 'string' },
          settings: { type: 'object' },
          spaces: { type: 'array', items: { type: 'string' }, uniqueItems: true },
          schedule: { type: 'string', minLength: 1, description: 'Cron expression (UTC), five, six (seconds first) or seven (a year last) fields, or a nickname such as @hourly. Default: 0 * * * *' },
          schemaPrefix: { type: 'string', pattern: '^[a-z][a-z0-9_]{0,30}$' },
          disabled: {
            type: 'object',
            additionalProperties: false,
            properties: {
              tables: { type: 'array', items: { type: 'string' }, uniqueItems: true },
              columns: { type: 'object', additionalProperties: { type: 'array', items: { type: 'string' }, uniqueItems: true } },
            },
          },
        },
      },
    },
  },
} as const;
