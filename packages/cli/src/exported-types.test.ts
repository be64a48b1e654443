import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { afterAll, expect, it } from 'vitest';

const entry = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'index.js');
const dir = mkdtempSync(join(tmpdir(), 'stowage-types-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Code outside the checkout imports the built entry by its path (library.md), and nothing else.
it("names what the library takes and gives from the CLI's entry alone, for TypeScript code outside the checkout", () => {
  const consumer = join(dir, 'consumer.ts');
  writeFileSync(
    consumer,
    `import { openStowage, type RunHeader, type RunProfile, type RunResult, type SyncRecord, type Stowage, type IngestResult, type FlushResult } from ${JSON.stringify(entry)};
const stowage: Stowage = openStowage('stowage.config.json');
const header: Pick<RunHeader, 'space' | 'computation' | 'id'> = { space: 'default', computation: 'vip', id: 'r1' };
const profiles: RunProfile[] = [{ profileId: 'p1', userId: 'u1', anonymousIds: [], emails: [], mobileIds: [] }];
export async function go(): Promise<[RunResult, SyncRecord, IngestResult, FlushResult[]]> {
  return [await stowage.applyRun(header, [profiles]), await stowage.sync('wh'), await stowage.ingestCalls('default', []), await stowage.flush('wh')];
}
`,
  );
  const program = ts.createProgram([consumer], { strict: true, noEmit: true, skipLibCheck: true, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022 });
  const errors = ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
  expect(errors).toEqual([]);
}, 60_000);
