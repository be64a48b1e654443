import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { duckdb } from '@stowage/destination-duckdb';
import { ConfigError, type Destination } from '@stowage/core';
import { openStowage } from './open.js';
import { destinations, loadDestinationsOf, useDestination } from './registry.js';

const dir = mkdtempSync(join(tmpdir(), 'registry-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the warehouse types the CLI knows', () => {
  it('takes one handed over in code, and leaves a type no package is installed for to the configuration', async () => {
    const config = join(dir, 'stowage.config.json');
    writeFileSync(config, JSON.stringify({ spaces: { s: { computations: {} } }, warehouses: { wh: { type: 'duck-three', settings: { path: 'w.duckdb' } } } }));
    await loadDestinationsOf(config);
    expect(destinations.has('duck-three')).toBe(false);
    expect(() => openStowage(config)).toThrow(/unknown warehouse type "duck-three"/);
    useDestination({ ...duckdb, type: 'duck-three' } as unknown as Destination);
    const stowage = openStowage(config);
    expect(stowage.warehouse('wh').type).toBe('duck-three');
    await stowage.close();
  });
});

describe("a warehouse package whose package.json is no JSON (an install cut short)", () => {
  // It failed with a bare SyntaxError ("Expected double-quoted property name in JSON at position 16"), naming neither the package nor its file.
  it('is a configuration error naming the package and the file', async () => {
    const folder = join(dir, 'broken');
    const pkg = join(folder, 'node_modules', '@stowage', 'destination-half');
    mkdirSync(pkg, { recursive: true });
    writeFileSync(join(pkg, 'package.json'), '{ "name": "x", ');
    const config = join(folder, 'stowage.config.json');
    writeFileSync(config, JSON.stringify({ spaces: { s: { computations: {} } }, warehouses: { wh: { type: 'half', settings: {} } } }));
    const error = await loadDestinationsOf(config).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain(`/warehouses: warehouse type "half": the package @stowage/destination-half could not be loaded: its ${join(pkg, 'package.json')} cannot be read as JSON (`);
  });
});

describe('a destination the writer cannot yet load with (no multi-statement transactions), registered in the process', () => {
  // Every Stowage of the process was refused, whatever its warehouses, with a plain Error.
  it('refuses only a configuration that names its type, as a configuration error', async () => {
    useDestination({ ...duckdb, type: 'autocommit-ddl', capabilities: { ...duckdb.capabilities, multiStatementTransactions: false } } as unknown as Destination);
    const plain = join(dir, 'plain.json');
    writeFileSync(plain, JSON.stringify({ spaces: { s: { computations: {} } }, warehouses: { wh: { type: 'duckdb', settings: { path: 'w.duckdb' } } } }));
    await openStowage(plain).close();
    const named = join(dir, 'named.json');
    writeFileSync(named, JSON.stringify({ spaces: { s: { computations: {} } }, warehouses: { lake: { type: 'autocommit-ddl', settings: { path: 'w.duckdb' } } } }));
    expect(() => openStowage(named)).toThrow(ConfigError);
    expect(() => openStowage(named)).toThrow('/warehouses/lake/type: destination "autocommit-ddl" declares no multi-statement transactions');
  });
});
