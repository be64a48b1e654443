import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RunMarks } from './run-marks.js';

describe('RunMarks', () => {
  it('keeps each latest run with the epoch of the state that applied it, and reads marks from before epochs as runs alone', () => {
    const dir = mkdtempSync(join(tmpdir(), 'marks-'));
    const latest = join(dir, 'runs', 'latest', 'default.json');
    mkdirSync(join(dir, 'runs', 'latest'), { recursive: true });
    // As a version before epochs wrote them.
    writeFileSync(latest, JSON.stringify({ vip: 'r1', ltv: 't1' }));
    const marks = new RunMarks(dir);
    expect(marks.latestRuns('default')).toEqual([
      { computation: 'vip', run: 'r1' },
      { computation: 'ltv', run: 't1' },
    ]);
    marks.applied('default', 'vip', 'r2', 'e1', ['wh']);
    expect(marks.latestRuns('default')).toEqual([
      { computation: 'vip', run: 'r2', epoch: 'e1' },
      { computation: 'ltv', run: 't1' },
    ]);
    // What a warehouse received, and the latest by id alone, as before.
    expect(marks.latest('default')).toEqual({ vip: 'r2', ltv: 't1' });
    expect(marks.sent('wh', 'default')).toEqual({ vip: 'r2' });
    expect(JSON.parse(readFileSync(latest, 'utf8'))).toEqual({ vip: { run: 'r2', epoch: 'e1' }, ltv: 't1' });
    expect(marks.latestRuns('other')).toEqual([]);
  });
});
