import { describe, expect, it } from 'vitest';
import { actionsCore, fieldsToJsonSchema } from './actions-core.js';
import { sendCustomEventFields } from './fields.js';
import { PayloadValidator } from './payload-validation.js';

const SCHEMA = fieldsToJsonSchema(sendCustomEventFields as never);
const OPTIONS = { throwIfInvalid: true as const, exempt: ['dynamicAuthSettings'] };

const valid = () => ({ event: 'carts', properties: { user_id: 'u1', entity_context: '{"cart_id":"c1"}' }, messageId: 'm1', receivedAt: '2026-12-04T10:00:00.000Z', schema: 'shop', schemaOverride: false, maxEntityContextBytes: 32768 });

/** What validateSchema with the whole schema does to a payload: its error, and the payload as it leaves it (coerced, pruned). */
function whole(payload: Record<string, unknown>, key: string): { error?: string; payload: Record<string, unknown> } {
  try {
    actionsCore().validateSchema(payload, SCHEMA, { ...OPTIONS, schemaKey: key });
    return { payload };
  } catch (error) {
    return { error: (error as Error).message, payload };
  }
}

function fast(validator: PayloadValidator, payload: Record<string, unknown>): { error?: string; payload: Record<string, unknown> } {
  try {
    validator.validate(payload);
    return { payload };
  } catch (error) {
    return { error: (error as Error).message, payload };
  }
}

describe('PayloadValidator', () => {
  it('accepts, refuses and rewrites each payload as validateSchema with the whole schema does, formats checked once per value', () => {
    const validator = new PayloadValidator(SCHEMA as never, { ...OPTIONS, schemaKey: 'test:fast' });
    const cases: Array<Record<string, unknown>> = [
      valid(),
      valid(), // the same time again: its format is not checked again, and still passes
      { ...valid(), receivedAt: 'not a date' },
      { ...valid(), receivedAt: '2026-12-04T10:00:00.000Z', messageId: undefined },
      { ...valid(), receivedAt: 1764842400 },
      { ...valid(), receivedAt: true },
      { ...valid(), event: 42 }, // coerced to "42"
      { ...valid(), maxEntityContextBytes: '2048' }, // coerced to 2048
      { ...valid(), maxEntityContextBytes: 'lots' },
      { ...valid(), unknown: 'dropped' }, // removed, as additionalProperties is false
      { ...valid(), properties: 'not an object' },
      { ...valid(), receivedAt: 'not a date', properties: 'not an object' }, // both errors, worded once
      { ...valid(), receivedAt: 'not a date' }, // a refused value is never remembered as valid
    ];
    for (const [i, c] of cases.entries()) {
      const expected = whole(structuredClone(c), 'test:whole');
      expect(fast(validator, structuredClone(c)), `case ${i}: ${JSON.stringify(c)}`).toEqual(expected);
    }
    expect(whole(structuredClone(cases[2]!), 'test:whole').error).toMatch(/Received At must be a valid date-like/);
  });

  it('remembers only a bounded number of checked values', () => {
    const validator = new PayloadValidator(SCHEMA as never, { ...OPTIONS, schemaKey: 'test:bounded' });
    for (let s = 0; s < 3_000; s++) validator.validate({ ...valid(), receivedAt: new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString() });
    const remembered = (validator as unknown as { formatted: Array<{ valid: Set<unknown> }> }).formatted[0]!.valid.size;
    expect(remembered).toBeLessThanOrEqual(1_000);
    expect(() => validator.validate({ ...valid(), receivedAt: 'not a date' })).toThrow(/Received At must be a valid date-like/);
  });
});
