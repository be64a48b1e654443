import { actionsCore } from './actions-core.js';

/** A JSON Schema as `fieldsToJsonSchema` makes one: an object whose fields are its properties. */
interface ObjectSchema {
  properties?: Record<string, Record<string, unknown>>;
  [keyword: string]: unknown;
}

/** Values of formatted fields kept once checked: a run's events share a few (its time, for `receivedAt`). */
const MOST_REMEMBERED = 1_000;

/**
 * Validates payloads as `executeBatch` does (`validateSchema` with the action's schema, throwing
 * its error), with the format checks of repeated values made once. A format such as
 * actions-core's `date-like` parses the value with dayjs: two thirds of validating a payload,
 * for a value every event of a run shares. A payload is validated against the schema without its
 * formats, and each formatted field's value against that field's own schema, once per value.
 * Formats bear on one field each, so a payload passes both exactly when it passes the whole
 * schema; when either fails, the whole schema is run for the error `executeBatch` would give.
 */
export class PayloadValidator {
  private readonly unformatted: ObjectSchema;
  /** Each formatted field's schema alone: an object with that one field. */
  private readonly formatted: Array<{ field: string; schema: ObjectSchema; valid: Set<unknown> }>;

  constructor(
    private readonly schema: ObjectSchema,
    private readonly options: { schemaKey: string; throwIfInvalid: true; exempt?: string[] },
  ) {
    const properties = schema.properties ?? {};
    this.formatted = Object.entries(properties)
      .filter(([, field]) => field.format !== undefined)
      .map(([field, fieldSchema]) => ({ field, schema: { type: 'object', properties: { [field]: fieldSchema } }, valid: new Set() }));
    const stripped = Object.fromEntries(Object.entries(properties).map(([field, fieldSchema]) => [field, withoutFormat(fieldSchema)]));
    this.unformatted = { ...schema, properties: stripped };
  }

  /** Throws what `validateSchema(payload, schema)` throws, or nothing. */
  validate(payload: Record<string, unknown>): void {
    const core = actionsCore();
    try {
      core.validateSchema(payload, this.unformatted as never, { ...this.options, schemaKey: `${this.options.schemaKey}:unformatted` });
      for (const { field, schema, valid } of this.formatted) {
        const value = payload[field];
        if (value === undefined || valid.has(value)) continue;
        core.validateSchema({ [field]: value }, schema as never, { ...this.options, schemaKey: `${this.options.schemaKey}:${field}` });
        if (valid.size >= MOST_REMEMBERED) valid.clear();
        valid.add(value);
      }
    } catch {
      // The error as the whole schema words it; a payload it passes (none should) passes.
      core.validateSchema(payload, this.schema as never, this.options);
    }
  }
}

function withoutFormat(fieldSchema: Record<string, unknown>): Record<string, unknown> {
  if (fieldSchema.format === undefined) return fieldSchema;
  const { format: _format, ...rest } = fieldSchema;
  return rest;
}
