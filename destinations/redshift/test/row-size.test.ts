import { describe, expect, it } from 'vitest';
import { planTable, type Column } from '@stowage/core';
import { capabilities, jsonLine } from '../src/index.js';
import { rowLimit } from '../src/row-size.js';

const lineBytes = (columns: readonly Column[], row: Record<string, unknown>) => Buffer.byteLength(jsonLine(columns, row), 'utf8');

/** A deterministic generator, so that a failure names the row it failed on. */
function random(seed: number): () => number {
  let s = seed;
  return () => ((s = (s * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
}

/** Text that stresses the encoding: control characters, quotes, backslashes, accents, emoji, lone surrogates. */
const HOSTILE = ['a', '"', '\\', '\n', '\u0001', '\u001f', 'é', '中', '😀', '\ud800', ' '];

describe('Redshift row limit: the JSON line COPY reads, at most 4 MB', () => {
  it('never puts a row under the bytes of its line (hostile text, JSON numbers that grow when written again)', () => {
    const next = random(7);
    const columns: Column[] = [
      { name: 'id', type: 'string' },
      { name: 'n', type: 'double' },
      { name: 'flag', type: 'boolean' },
      { name: 'doc', type: 'json' },
      ...Array.from({ length: 20 }, (_, i): Column => ({ name: `t${i}`, type: 'string' })),
    ];
    for (let r = 0; r < 300; r++) {
      const row: Record<string, unknown> = { id: `m${r}`, n: -1.2345678901234567e-308, flag: next() < 0.5, doc: next() < 0.5 ? '[1e20, 1e21, -0, 1E2]' : '{ "a" : "\\u00e9" }' };
      for (let i = 0; i < 20; i++) {
        if (next() < 0.3) continue;
        const length = Math.floor(next() * 2000);
        row[`t${i}`] = Array.from({ length }, () => HOSTILE[Math.floor(next() * HOSTILE.length)]).join('');
      }
      expect(rowLimit.rowBytes(columns, row), `row ${r}`).toBeGreaterThanOrEqual(lineBytes(columns, row));
    }
  });

  it('measures a row its bound puts over the limit exactly, so that a row that fits loses nothing', () => {
    // 70 values of 60,000 plain characters: 4.2 MB by the line, 25 MB by the bound.
    const columns: Column[] = Array.from({ length: 70 }, (_, i) => ({ name: `t${i}`, type: 'string' }));
    const row = Object.fromEntries(columns.map((c) => [c.name, 'x'.repeat(60_000)]));
    expect(rowLimit.rowBytes(columns, row)).toBe(lineBytes(columns, row));
    // 66 such values (3.96 MB) fit, though their bound is six times over.
    const fits = Object.fromEntries(columns.slice(0, 66).map((c) => [c.name, 'x'.repeat(60_000)]));
    expect(rowLimit.rowBytes(columns, fits)).toBe(lineBytes(columns, fits));
    expect(rowLimit.rowBytes(columns, fits)).toBeLessThanOrEqual(rowLimit.maxBytes);
  });

  it('counts each pipe twice, as COPY does toward its 4 MB', () => {
    // 2.1 MB of `|`: 2.1 MB of line, 4.2 MB as COPY counts it, which refused the row.
    const columns: Column[] = Array.from({ length: 35 }, (_, i) => ({ name: `t${i}`, type: 'string' }));
    const row = Object.fromEntries(columns.map((c) => [c.name, '|'.repeat(60_000)]));
    expect(lineBytes(columns, row)).toBeLessThan(rowLimit.maxBytes);
    expect(rowLimit.rowBytes(columns, row)).toBe(lineBytes(columns, row) + 35 * 60_000);
    expect(rowLimit.rowBytes(columns, row)).toBeGreaterThan(rowLimit.maxBytes);
  });

  it("quarantines a row's newest values until its line is within 4 MB, and nothing of a row within it", () => {
    const traits = (n: number, char: string) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`t${i}`, char.repeat(60_000)]));
    const plan = planTable({
      table: 'identifies',
      existing: undefined,
      rows: [{ id: 'wide', ...traits(80, 'x') }, { id: 'fits', ...traits(66, 'y') }],
      fixedTypes: new Map(),
      keyColumn: 'id',
      capabilities,
    });
    const [wide, fits] = plan.rows;
    const kept = Object.keys(wide!).filter((k) => k !== 'id' && wide![k] !== null);
    // The oldest traits stay, as many as fit.
    expect(kept).toEqual(Object.keys(traits(kept.length, 'x')));
    expect(lineBytes(plan.loaded, wide!)).toBeLessThanOrEqual(rowLimit.maxBytes);
    // The next trait would not have fit (its column, holding no value of the batch, is not made).
    const next = `t${kept.length}`;
    expect(plan.columns.map((c) => c.name)).not.toContain(next);
    expect(lineBytes([...plan.loaded, { name: next, type: 'string' }], { ...wide!, [next]: 'x'.repeat(60_000) })).toBeGreaterThan(rowLimit.maxBytes);
    expect(plan.rejects.filter((r) => r.messageId === 'wide').map((r) => r.column).sort()).toEqual(Object.keys(traits(80, 'x')).slice(kept.length).sort());
    expect(plan.rejects[0]!.reason).toContain('over the 4000000 bytes this warehouse stores in one row');
    expect(fits).toEqual({ id: 'fits', ...traits(66, 'y') });
  });
});
