import { describe, expect, it } from 'vitest';
import { refusalReason } from './refusal-reason.js';

describe('refusalReason', () => {
  it('keeps a short reason whole', () => {
    expect(refusalReason(new Error('NOT NULL constraint failed: identifies.email'))).toBe('NOT NULL constraint failed: identifies.email');
  });

  it('cuts a reason that quotes a whole row to 300 characters, marked as cut', () => {
    const reason = refusalReason(new Error(`null value in column "email" violates not-null constraint; Failing row contains (${'x'.repeat(5000)})`));
    expect(reason).toHaveLength(301);
    expect(reason.endsWith('…')).toBe(true);
    expect(reason.startsWith('null value in column "email"')).toBe(true);
  });

  it('redacts a secret before it cuts, so that no part of one is left', () => {
    const secret = 's3cr3t-password-value';
    const message = `${'y'.repeat(290)}${secret} and more`;
    const reason = refusalReason(new Error(message), [secret]);
    expect(reason).not.toContain('s3cr3t');
    expect(reason).toHaveLength(301);
  });
});
