import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { JsonText, jsonValue, parseJsonExactly, parseRunProfile } from '@stowage/core';
import { readRun } from './read-run.js';

const dir = mkdtempSync(join(tmpdir(), 'read-run-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let files = 0;
function file(content: string | Buffer): string {
  const path = join(dir, `run-${++files}.json`);
  writeFileSync(path, content);
  return path;
}

async function read(path: string) {
  const { header, profiles } = readRun(path);
  const all = [];
  for await (const chunk of profiles) all.push(...chunk);
  return { header, profiles: all };
}

const header = { space: 'default', computation: 'carts', id: 'r1', kind: 'snapshot', completedAt: '2026-11-23T10:00:00.000Z' };

describe('a JSON run', () => {
  it('is read a profile at a time, the header wherever its fields are, values with brackets, quotes and escapes in strings, past the reading window', async () => {
    // An integer past 2^53, which JavaScript would round: written as its digits.
    const exact = (m: unknown) => JSON.stringify(m).replaceAll('"__BIG__"', '12345678901234567891');
    // Contexts longer than the 1 MiB window, and strings that look like the structure around them.
    const tricky = { note: 'a } ] , " \\" \\\\ [ { : "', emoji: 'é€😀', nested: [[{ a: [] }], {}], big: '__BIG__' };
    const members = Array.from({ length: 12_000 }, (_, i) => ({ userId: `u${i}`, entityContext: { cart_id: `c${i}`, ...(i % 5_000 === 7 ? { blob: 'x'.repeat(1_500_000) } : {}), tricky } }));
    const text = `\ufeff \n{"profiles" :\t[ ${members.map(exact).join(' ,\n')} ] , "space":"default","computation":"carts","id":"r1","kind":"snapshot","completedAt":"2026-11-23T10:00:00.000Z"}\n\n`;
    const run = await read(file(text));
    expect(run.header).toMatchObject(header);
    expect(run.profiles.length).toBe(12_000);
    // As a profile of an NDJSON line is read (its integer past 2^53 as exact).
    expect(run.profiles[7]).toEqual(parseRunProfile(parseJsonExactly(exact(members[7]))));
    expect((run.profiles[7]!.entityContext as { tricky: { big: unknown } }).tricky.big).toBe('12345678901234567891');
    expect(run.profiles[11_999]).toMatchObject({ userId: 'u11999' });
  });

  it('with no profiles, or profiles first and the header after', async () => {
    expect((await read(file(JSON.stringify({ ...header, profiles: [] })))).profiles).toEqual([]);
    expect((await read(file(`{"profiles":[{"userId":"u1"}],${JSON.stringify(header).slice(1)}`))).profiles).toMatchObject([{ userId: 'u1' }]);
  });

  it('that is not one says where, and a bad profile says which', async () => {
    const ok = (profiles: string) => `{"space":"default","computation":"carts","id":"r1","completedAt":"2026-11-23T10:00:00Z","profiles":${profiles}}`;
    expect(() => readRun(file(`${ok('[]')} trailing`))).toThrow(/run-\d+\.json is neither a JSON run nor NDJSON with a header line: unexpected text after the run's closing '}', at byte \d+/);
    expect(() => readRun(file(ok('[{"userId":"u1"}').slice(0, -1)))).toThrow(/is neither a JSON run nor NDJSON with a header line: the value that begins at byte \d+ does not end before the end of the file/);
    expect(() => readRun(file(`{"space" "default"}`))).toThrow(/expected ':' after the key "space" at byte 9, found '"'/);
    // NDJSON whose header follows a blank line: said so, where it read as a JSON run with text after it.
    expect(() => readRun(file(`\n\n${JSON.stringify(header)}\n{"userId":"u1"}\n`))).toThrow(/is neither a JSON run nor NDJSON with a header line \(its first line is blank: an NDJSON run's header is its first line; remove the blank lines before it\): unexpected text/);
    expect(() => readRun(file(ok('{"userId":"u1"}')))).toThrow(/"profiles" must be an array/);
    // An NDJSON header line that is not JSON: said by its line, not by a byte as a JSON run.
    expect(() => readRun(file(`{"space":"default","computation":"carts","id":"r1",}\n{"userId":"u1"}\n`))).toThrow(
      /run-\d+\.json:1: the header line is not valid JSON \(Expected double-quoted property name in JSON at position 51\); read as one JSON run instead, it is none either \(expected a value at byte 51, found '\}'\); nothing of this run was applied/,
    );
    // A JSON run over several lines whose first line is its opening brace is told as a JSON run.
    expect(() => readRun(file(`{\n"space" "default"}`))).toThrow(/is neither a JSON run nor NDJSON with a header line: expected ':' after the key "space"/);
    // A first byte of a byte-order mark, not the mark.
    expect(() => readRun(file(`\ufeef${ok('[]')}`))).toThrow(/found byte 0xef/);
    expect(() => readRun(file(`{"__proto__":{"space":"default","computation":"carts","id":"r1","completedAt":"2026-11-23T10:00:00Z"},"profiles":[]}`))).toThrow(/__proto__/);
    await expect(read(file(ok('[{"userId":"u1"} {"userId":"u2"}]')))).rejects.toThrow(/: expected ',' or the closing '\]' of "profiles" after profiles\[0\] at byte \d+, found '\{'/);
    await expect(read(file(ok('[{"userId":"u1"},{"userId":u2}]')))).rejects.toThrow(/: profiles\[1\]: not valid JSON \(.+\); nothing of this run was applied/);
    await expect(read(file(ok('[{"userId":"u1"},{"valeu":1}]')))).rejects.toThrow(/: profiles\[1\]: the profile has an unknown key "valeu"/);
    await expect(read(file(Buffer.concat([Buffer.from(ok('\n[{"userId":"u')), Buffer.from([0xff]), Buffer.from('"}]}')])))).rejects.toThrow(/: profiles\[0\]: .*UTF-8/);
  });
});

describe('a run header with a key written twice', () => {
  it('is refused, in either format: JSON.parse would keep the last, and "kind" twice decides whether every member not listed exits', () => {
    const twice = /the run header has the key "kind" twice; which one is meant cannot be told \(a snapshot exits every member it does not list, a delta none\): write it once; nothing of this run was applied/;
    const head = '"space":"default","computation":"carts","id":"r1","kind":"delta","completedAt":"2026-11-23T10:00:00Z"';
    expect(() => readRun(file(`{${head},"kind":"snapshot"}\n{"userId":"u1"}\n`))).toThrow(twice);
    // A key spelt with an escape is the same key to JSON.
    expect(() => readRun(file(`{${head},"k\\u0069nd":"snapshot"}\n{"userId":"u1"}\n`))).toThrow(twice);
    expect(() => readRun(file(`{${head},"profiles":[{"userId":"u1"}],"kind":"snapshot"}`))).toThrow(twice);
    expect(() => readRun(file(`{${head},"profiles":[{"userId":"u1"}],"profiles":[]}`))).toThrow(/the run header has the key "profiles" twice/);
    expect(readRun(file(`{${head}}\n{"userId":"u1"}\n`)).header).toMatchObject({ kind: 'delta' });
  });
});

describe('a profile with a key written twice', () => {
  it('refuses the run naming the line or index and the key, in either format: JSON.parse would keep the last without a word', async () => {
    const twice = (at: string) => new RegExp(`${at}: the profile has the key "userId" twice; which one is meant cannot be told \\(JSON readers keep either\\): write it once; nothing of this run was applied`);
    await expect(read(file(`${JSON.stringify(header)}\n{"userId":"u0"}\n{"userId":"u1","value":1,"userId":"u2"}\n`))).rejects.toThrow(twice(':3'));
    await expect(read(file(JSON.stringify({ ...header, profiles: [{ userId: 'u0' }] }).replace(']', ',{"userId":"u1","userId":"u2"}]')))).rejects.toThrow(twice(' profiles\\[1\\]'));
    await expect(read(file(`${JSON.stringify(header)}\n{"userId":"u1","entities":[{"id":"c1","id":"c2"}]}\n`))).rejects.toThrow(/:2: entities\[0\] has the key "id" twice/);
  });
});

describe('an NDJSON run', () => {
  it('is told from a JSON run by a header line of any length (padded, or with a long run id), not only its first 64 KiB', async () => {
    const padded = file(`${' '.repeat(70_000)}${JSON.stringify(header)}\n{"userId":"u1"}\n`);
    expect(await read(padded)).toMatchObject({ header: { id: 'r1' }, profiles: [{ userId: 'u1' }] });
    const longId = file(`${JSON.stringify({ ...header, id: 'r'.repeat(200_000) })}\r\n{"userId":"u2"}`);
    expect(await read(longId)).toMatchObject({ header: { id: 'r'.repeat(200_000) }, profiles: [{ userId: 'u2' }] });
  });
});

describe("a run's entity contexts", () => {
  it('are kept as their text where it is written as JSON.stringify writes it, in either format, and parsed where not', async () => {
    const context = { cart_id: 'c1', total: 0.30000000000000004, items: [{ sku: 'a', price: 12.5 }] };
    const compact = JSON.stringify(context);
    const lines = [{ userId: 'u1', entityContext: context }];
    const spaced = `{"userId":"u2","entityContext":${compact.replaceAll(',', ', ')}}`;
    const ndjson = `${JSON.stringify(header)}\n${JSON.stringify(lines[0])}\n${spaced}\n`;
    // Pretty-printed around the profiles, not inside them.
    const json = `${JSON.stringify(header, null, 2).slice(0, -2)},\n  "profiles": [\n    ${JSON.stringify(lines[0])},\n    ${spaced}\n  ]\n}\n`;
    for (const text of [ndjson, json]) {
      const { profiles } = await read(file(text));
      expect(profiles[0]!.entityContext).toBeInstanceOf(JsonText);
      expect((profiles[0]!.entityContext as JsonText).text).toBe(compact);
      // Spaced out: parsed, the same value.
      expect(jsonValue(profiles[1]!.entityContext)).toEqual(context);
    }
  });
});

describe('a run file that is a pipe', () => {
  it('is refused as such, not as empty: a run is read more than once', async () => {
    const { execFileSync } = await import('node:child_process');
    const fifo = join(dir, 'run.fifo');
    execFileSync('mkfifo', [fifo]);
    expect(() => readRun(fifo)).toThrow(`${fifo} is not a regular file (a pipe or a device): a run is read from a file, more than once; save it to a file first`);
  });

  // `stowage ingest <(zcat calls.gz)`: the look for a compressed file's first bytes opened the pipe
  // and waited for a writer (or took the bytes ingest then lacked). In a process of its own, which
  // a wait would not hang.
  it('is no file ingest refuses, and is not read to look for compression', async () => {
    const { execFileSync } = await import('node:child_process');
    const fifo = join(dir, 'calls.fifo');
    execFileSync('mkfifo', [fifo]);
    const built = new URL('../dist/read-run.js', import.meta.url).href;
    const script = `import(${JSON.stringify(built)}).then((m) => console.log(JSON.stringify(m.fileProblem(${JSON.stringify(fifo)}, { empty: true }) ?? null)))`;
    expect(execFileSync(process.execPath, ['-e', script], { timeout: 10_000, encoding: 'utf8' }).trim()).toBe('null');
  });
});

describe('a compressed run file', () => {
  it('is refused as compressed, saying how to decompress it, not as text that is not UTF-8', async () => {
    const { gzipSync } = await import('node:zlib');
    const path = file(gzipSync(`${JSON.stringify(header)}\n{"userId":"u1"}\n`));
    expect(() => readRun(path)).toThrow(`${path} is gzip-compressed, not text: decompress it first (\`gunzip -k ${path}\`)`);
    const zip = file(Buffer.from('PK\x03\x04rest', 'latin1'));
    expect(() => readRun(zip)).toThrow(`${zip} is a zip archive, not text`);
  });
});

describe('a run file given as `-`', () => {
  it('is refused as standard input, which a run is not read from, not as a file missing', () => {
    expect(() => readRun('-')).toThrow('a run is not read from standard input (`-`): it is read from a file, more than once (its first line, then its profiles); save it to a file first');
  });
});

describe('an NDJSON run with a line past what a string holds', () => {
  it('is refused naming the line, not with the bare error of the decode', async () => {
    // 0x1fffffe8 characters is V8's longest string: a line of ASCII one byte longer cannot be decoded.
    const path = join(dir, 'huge.ndjson');
    const { openSync, writeSync, closeSync } = await import('node:fs');
    const fd = openSync(path, 'w');
    writeSync(fd, `${JSON.stringify(header)}\n{"userId":"u1","value":"`);
    const block = Buffer.alloc(64 * 1024 * 1024, 'x');
    for (let written = 0; written <= 0x1fffffe8; written += block.length) writeSync(fd, block);
    writeSync(fd, '"}\n');
    closeSync(fd);
    try {
      await expect(read(path)).rejects.toThrow(/^.*huge\.ndjson:2: the line is \d+ bytes, more than one string of this process holds \(about 512 MB: Cannot create a string longer than .*\); a value that size cannot be read; nothing of this run was applied$/);
    } finally {
      rmSync(path, { force: true });
    }
  }, 60_000);
});
