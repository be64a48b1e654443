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
});
