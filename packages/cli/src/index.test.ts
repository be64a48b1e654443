import { describe, expect, it } from 'vitest';
import * as core from '@stowage/core';
import * as cli from './index.js';

describe('the library entry code outside the checkout imports (library.md)', () => {
  it('exports the errors a caller can act on, the same classes the core throws', () => {
    for (const name of ['StowageError', 'UsageError', 'RunFormatError', 'ConfigError'] as const) {
      expect(cli[name], name).toBeTypeOf('function');
      expect(cli[name]).toBe(core[name]);
    }
    expect(() => core.parseConfig({ spaces: 1 }, '/tmp', new Map())).toThrow(cli.ConfigError);
  });

  it('exports the values a caller hands over, the same classes the core tells by instanceof', () => {
    // ingestCalls takes a line too long as `new LineTooLong(byteLength)` (library.md): one the caller cannot import it refuses as no text.
    for (const name of ['JsonText', 'LineTooLong'] as const) {
      expect(cli[name], name).toBeTypeOf('function');
      expect(cli[name]).toBe(core[name]);
    }
  });
});
