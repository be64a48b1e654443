import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Column, Row } from '@stowage/core';
import { DuckDBDriver } from '../src/driver.js';
import { csvLine } from '../src/csv-load.js';

/** Values that a CSV dialect gets wrong when it is sniffed, trimmed or half-quoted. */
const HOSTILE = [
  '',
  ' ',
  '  padded  ',
  'a,b',
  'say "hi"',
  '"',
  '""',
  ',',
  'line1\nline2',
  'cr\r\nlf\r',
  'back\\slash \\N \\u0000',
  'nul\u0000inside',
  'NULL',
  'null',
  '\t tab',
  "'; DROP TABLE users; --",
  '0123',
  'café ☕ 𝄞',
  // The load file's own quote (U+0001) and delimiter (U+0002), alone, doubled and mixed.
  '\u0001',
  '\u0001\u0001',
  'a\u0002b',
  '\u0002',
  'q\u0001d\u0002\n',
  '{"json":"text, with \\"quotes\\""}',
];

const COLUMNS: Column[] = [
  { name: 'id', type: 'bigint' },
  { name: 'text', type: 'string' },
  { name: 'flag', type: 'boolean' },
  { name: 'amount', type: 'double' },
  { name: 'at', type: 'timestamp' },
  { name: 'doc', type: 'json' },
];

describe('DuckDB load files (CSV)', () => {
  let dir: string;
  let driver: DuckDBDriver;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'stowage-csv-'));
    driver = await DuckDBDriver.open({ path: join(dir, 'w.duckdb') });
  });

  afterAll(async () => {
    await driver.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function roundTrip(rows: Row[], columns = COLUMNS): Promise<Record<string, unknown>[]> {
    const file = await driver.writeLoadFile(columns, rows);
    const stage = await driver.stage('_stowage_stage_t', file, { readOnce: true });
    try {
      return await driver.query(`SELECT ${columns.map((c) => `"${c.name}"${c.type === 'json' ? '::VARCHAR' : ''} AS "${c.name}"`).join(', ')} FROM ${stage} ORDER BY "id"`);
    } finally {
      await driver.dropStage(stage);
    }
  }

  it('keeps every hostile string as it was, the empty string apart from NULL', async () => {
    const rows: Row[] = [...HOSTILE.map((text, id) => ({ id, text })), { id: HOSTILE.length, text: null }];
    const back = await roundTrip(rows, COLUMNS.slice(0, 2));
    expect(back.map((r) => r.text)).toEqual([...HOSTILE, null]);
  });

  it('loads booleans, doubles, timestamps and JSON text (kept as written, line breaks too) with their types', async () => {
    const rows: Row[] = [
      { id: 1, flag: true, amount: 1e21, at: '2026-11-01T00:00:40.796Z', doc: '{"a":[1,2],"q":"say \\"hi\\", ok"}' },
      { id: 2, flag: false, amount: -0.000001, at: '0001-01-01T00:00:00.000Z', doc: '{\n  "multi": "line"\n}' },
      { id: 3 },
    ];
    const back = await roundTrip(rows);
    expect(back).toEqual([
      { id: 1, text: null, flag: true, amount: 1e21, at: '2026-11-01T00:00:40.796Z', doc: '{"a":[1,2],"q":"say \\"hi\\", ok"}' },
      { id: 2, text: null, flag: false, amount: -0.000001, at: '0001-01-01T00:00:00.000Z', doc: '{\n  "multi": "line"\n}' },
      { id: 3, text: null, flag: null, amount: null, at: null, doc: null },
    ]);
  });

  it('reads a carriage return in the first row as data, whatever the rows after it', async () => {
    // DuckDB guessed the line ending from the first line: a `\r` inside its quoted field made it
    // take `\r\n`, and the file failed as "unterminated quote": a call refused on every retry.
    for (const first of ['x\ry', 'ship to:\r\n1 Main St', '\r']) {
      const back = await roundTrip([{ id: 1, text: first }, { id: 2, text: 'plain' }, { id: 3, text: 'a\r\nb' }], COLUMNS.slice(0, 2));
      expect(back.map((r) => r.text)).toEqual([first, 'plain', 'a\r\nb']);
    }
  });

  it("keeps a byte-order mark that begins the file's first field, which DuckDB's reader drops at a file's start", async () => {
    const columns: Column[] = [{ name: 'text', type: 'string' }, { name: 'id', type: 'bigint' }];
    const file = await driver.writeLoadFile(columns, [{ text: '\uFEFFm1', id: 1 }, { text: '\uFEFFm2', id: 2 }]);
    const stage = await driver.stage('_stowage_stage_t', file, { readOnce: true });
    try {
      // Compared in SQL: @duckdb/node-api drops a leading U+FEFF from the text it reads back.
      const back = await driver.query(`SELECT "id", "text" = chr(65279) || 'm' || "id"::VARCHAR AS whole FROM ${stage} ORDER BY "id"`);
      expect(back).toEqual([{ id: 1, whole: true }, { id: 2, whole: true }]);
    } finally {
      await driver.dropStage(stage);
    }
  });

  it('takes a line longer than the CSV reader allows by default (2 MB)', async () => {
    const big = 'é'.repeat(3_000_000);
    const back = await roundTrip([{ id: 1, text: big }, { id: 2, text: 'after' }], COLUMNS.slice(0, 2));
    expect(back.map((r) => (r.text as string).length)).toEqual([3_000_000, 5]);
    // Between DuckDB's 2,000,000 bytes and 2 MiB, and about its margin.
    for (const length of [1_998_900, 1_999_500, 2_000_128, 2_096_000]) {
      const again = await roundTrip([{ id: 1, text: 'q'.repeat(length) }], COLUMNS.slice(0, 2));
      expect((again[0]!.text as string).length, String(length)).toBe(length);
    }
  });

  it('quotes only the fields that need it: commas, quotes and JSON text are written as they are', () => {
    const [Q, D] = ['\u0001', '\u0002'];
    const row = { a: 'plain', b: '', c: null, d: 'x,"y"', e: 3, f: false, h: `q${Q}`, i: 'two\nlines', j: '{"k":[1,"v"]}' };
    expect(csvLine(row, ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j'])).toBe(
      ['plain', `${Q}${Q}`, '', 'x,"y"', '3', 'false', '', `${Q}q${Q}${Q}${Q}`, `${Q}two\nlines${Q}`, '{"k":[1,"v"]}'].join(D) + '\n',
    );
  });
});
