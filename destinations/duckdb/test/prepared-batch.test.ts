import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FIXED_TYPES, TableWriter } from '@stowage/core';
import { capabilities, dialect } from '../src/index.js';
import { DuckDBDriver } from '../src/driver.js';

describe('a prepared batch', () => {
  const dir = mkdtempSync(join(tmpdir(), 'stowage-prepared-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('holds its load files and DDL, not its rows: batches wait prepared while another is applied', async () => {
    const driver = await DuckDBDriver.open({ path: join(dir, 'w.duckdb') });
    try {
      const writer = new TableWriter(driver, dialect, capabilities);
      const rows = Array.from({ length: 3 }, (_, i) => ({ id: `m${i}`, received_at: '2026-11-23T10:00:00.000Z', plan: 'pro' }));
      const prepared = await writer.prepare({ schema: 'engage_x', tables: [{ table: 'identifies', rows, fixedTypes: FIXED_TYPES, key: 'id' }], latest: [] });
      const [entry] = prepared.tables;
      expect(Object.keys(entry!.change).sort()).toEqual(['added', 'columns', 'exists', 'pinned', 'table', 'widened']);
      expect(entry!.file?.rows).toBe(3);
      const result = await writer.apply(prepared);
      expect(result.rows).toEqual({ identifies: 3 });
    } finally {
      await driver.close();
    }
  });
});
