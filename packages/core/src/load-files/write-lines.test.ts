import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeLoadLines } from './write-lines.js';

const dir = mkdtempSync(join(tmpdir(), 'write-lines-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('writeLoadLines', () => {
  it('writes every line whole, in order, across chunk boundaries and for a line larger than a chunk', async () => {
    // Multi-byte text (2, 3 and 4 bytes a character), lines that straddle the chunks and their groups, and
    // one line of 6 MB of UTF-8 that no chunk holds.
    const rows = [
      ...Array.from({ length: 3000 }, (_, i) => ({ v: `${i} é€😀 ${'x'.repeat(i % 997)}` })),
      { v: '€'.repeat(2 * 1024 * 1024) },
      ...Array.from({ length: 10 }, (_, i) => ({ v: `after ${i} 😀` })),
    ];
    const line = (row: Record<string, unknown>) => `${JSON.stringify(row)}\n`;
    const file = await writeLoadLines(dir, 'ndjson', [{ name: 'v', type: 'string' }], rows, line);
    expect(readFileSync(file.path, 'utf8')).toBe(rows.map(line).join(''));
    expect(file.rows).toBe(rows.length);
    // Measured in bytes where it is long (the 6 MB line), where 3 a code unit would say 6 MiB.
    expect(file.longestRow).toBe(Buffer.byteLength(line(rows[3000]!)));
    const short = await writeLoadLines(dir, 'ndjson', [{ name: 'v', type: 'string' }], rows.slice(0, 10), line);
    expect(short.longestRow).toBe(Math.max(...rows.slice(0, 10).map((r) => line(r).length * 3)));
    // A long line of ASCII: its bytes, a third of the bound.
    const ascii = await writeLoadLines(dir, 'ndjson', [{ name: 'v', type: 'string' }], [{ v: 'x'.repeat(2 * 1024 * 1024) }], line);
    expect(ascii.longestRow).toBe(2 * 1024 * 1024 + '{"v":""}\n'.length);
  });

  it('fails saying which file and why, without ending the process, when the file cannot be written (its folder removed)', async () => {
    // A stream's error with no listener on it ended the process: a full disk did it mid-sync.
    const gone = join(dir, 'removed');
    const line = (row: Record<string, unknown>) => `${String(row.v)}\n`;
    const many = Array.from({ length: 50_000 }, (_, i) => ({ v: `${i} ${'x'.repeat(40)}` }));
    for (const rows of [many, [{ v: 'one' }]]) {
      await expect(writeLoadLines(gone, 'csv', [{ name: 'v', type: 'string' }], rows, line)).rejects.toThrow(/^writing the load file \S+\/removed\/\S+\.csv failed: ENOENT: no such file or directory/);
    }
  });

  it('writes an empty file for no rows', async () => {
    const file = await writeLoadLines(dir, 'txt', [], [], () => 'never');
    expect(readFileSync(file.path, 'utf8')).toBe('');
  });
});
