import { describe, expect, it } from 'vitest';
import { Stowage } from '../engine/stowage.js';
import type { StowageConfig } from '../config/config.js';
import { unsupportedCapabilities, type Capabilities } from './capabilities.js';
import type { Destination } from './destination.js';

const capabilities: Capabilities = { transactionalDdl: true, multiStatementTransactions: true, merge: false, maxColumns: 100, inPlaceWidening: [], textHoldsNul: true, keyIndexes: false, maxStringBytes: Infinity };

describe('capabilities the core cannot yet honour', () => {
  it('are named, and a Stowage with such a destination is refused rather than loading twice after a crash', () => {
    expect(unsupportedCapabilities('ok', capabilities)).toEqual([]);
    // DDL that commits the open transaction is applied apart (writer/ddl-apart.ts; destinations/postgres/test/ddl-apart.test.ts).
    expect(unsupportedCapabilities('snowlike', { ...capabilities, transactionalDdl: false })).toEqual([]);
    const oneStatementAtATime = { ...capabilities, multiStatementTransactions: false };
    expect(unsupportedCapabilities('x', oneStatementAtATime)).toEqual([expect.stringMatching(/^destination "x" declares no multi-statement transactions/)]);
    const destination = { capabilities: oneStatementAtATime } as unknown as Destination;
    const config = { root: '/nonexistent', stateDir: '/nonexistent/.stowage', spaces: {}, warehouses: { lake: { name: 'lake', type: 'x' } } } as unknown as StowageConfig;
    const options = { destinations: new Map([['x', destination]]), openProfileStore: () => Promise.reject(new Error('unused')) };
    expect(() => new Stowage(config, options)).toThrow(/\/warehouses\/lake\/type: destination "x" declares no multi-statement transactions/);
    // Registered, but named by no warehouse of the configuration: not used, not refused.
    expect(() => new Stowage({ ...config, warehouses: {} }, options)).not.toThrow();
  });
});
