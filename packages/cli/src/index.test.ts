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

// `openStowage(path, null)` failed as "Cannot read properties of null (reading 'quiet')", a TypeError of its own.
describe('openStowage', () => {
  // A library caller was told of `--config` and STOWAGE_CONFIG, which it never used: the command line's words.
  it('says a configuration file that does not exist without the command line\'s flags', () => {
    let error: unknown;
    try {
      cli.openStowage('/no/such/stowage.config.json');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(cli.ConfigError);
    expect((error as Error).message).toBe('Invalid /no/such/stowage.config.json:\n  - /no/such/stowage.config.json does not exist (/no/such/stowage.config.json): give the path of your configuration file (docs/configuration.md; `stowage demo` writes an example)');
    expect((error as InstanceType<typeof cli.ConfigError>).missingFile).toBe('/no/such/stowage.config.json');
  });

  it("refuses options that are not its own, saying what it takes, before it reads the configuration", () => {
    for (const [options, said] of [
      [null, 'options must be an object ({ quiet?, startedAt? }) or left out, not null'],
      [5, 'options must be an object ({ quiet?, startedAt? }) or left out, not a number (5)'],
      [{ quiet: 'yes' }, 'options.quiet must be true or false, not "yes"'],
      [{ startedAt: new Date(0) }, 'options.startedAt must be a time in milliseconds since 1970 (Date.now()), not an object'],
    ] as const) {
      expect(() => cli.openStowage('/no/such/stowage.config.json', options as never)).toThrow(cli.UsageError);
      expect(() => cli.openStowage('/no/such/stowage.config.json', options as never)).toThrow(`openStowage(configPath, options): ${said}`);
    }
  });
});
