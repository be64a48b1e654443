import { describe, expect, it } from 'vitest';
import type { SyncRecord } from '@stowage/core';
import { summarize } from './sync.js';

const record = (rows: Record<string, number>) =>
  ({ status: 'Success', warehouse: 'wh', path: 'classic', calls: 10, rows, startedAt: '2026-12-06T10:00:00.000Z', endedAt: '2026-12-06T10:00:01.500Z', casts: 0, rejects: 0, duplicates: 0, notices: [] }) as unknown as SyncRecord;

describe("a sync's summary line", () => {
  it('names each table and its rows', () => {
    expect(summarize(record({ identifies: 5, users: 2, tracks: 5, audience_entered: 5 }))).toBe('Success: warehouse wh, 10 calls in 1.5 s → identifies 5, users 2, tracks 5, audience_entered 5');
    expect(summarize(record({}))).toContain('→ no new rows');
    // A table nothing was added to is left out.
    expect(summarize(record({ identifies: 5, order_done: 0 }))).toBe('Success: warehouse wh, 10 calls in 1.5 s → identifies 5');
    expect(summarize(record({ order_done: 0 }))).toContain('→ no new rows');
  });

  it('counts the tables past the first eleven, with their rows, rather than print hundreds on one line', () => {
    const rows = Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`event_${i}`, i + 1]));
    const line = summarize(record(rows));
    expect(line).toContain('→ event_0 1, event_1 2,');
    expect(line).toContain('event_10 11, 289 more tables with 45,084 rows (stowage history --json names them)');
    expect(line).not.toContain('event_11 ');
    // Twelve are named as they are.
    expect(summarize(record(Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`t${i}`, 1]))))).toMatch(/t10 1, t11 1$/);
  });
});
