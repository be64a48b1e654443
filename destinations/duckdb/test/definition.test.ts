import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { actionsCore } from '@stowage/core';
import { definition, duckdb } from '../src/index.js';

describe('the DuckDB destination definition', () => {
  it('loads in @segment/actions-core and tests a connection through testAuthentication', async () => {
    const destination = new (actionsCore().Destination)(definition as never);
    await expect(destination.testAuthentication({ path: join(mkdtempSync(join(tmpdir(), 'def-')), 'w.duckdb') })).resolves.not.toThrow();
    await expect(destination.testAuthentication({ path: '/proc/no/such/dir/w.duckdb' })).rejects.toThrow(/Cannot open DuckDB database/);
  });

  it('derives the settings JSON Schema from the same fields', () => {
    expect(duckdb.settingsSchema).toMatchObject({ required: ['path'], properties: { path: { type: 'string' }, memoryLimit: { type: 'string' }, threads: { type: 'integer' } } });
  });
});
