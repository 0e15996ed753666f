import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { commitArchive, planBatches, reserveArchive, STREAM_ABOVE, writeArchive } from '../../src/io/archive-writer.js';
import { verifyArchive } from '../../src/io/archive-verify.js';
import { cleanProcessFolder } from '../../src/io/cleaner.js';
import { listOwnFiles } from '../../src/io/process-tree.js';
import { zipEntries } from '../helpers/zip.js';
import { tempDirs } from '../helpers/temp-dirs.js';

const HEX = 'ec77f17c4c402d3a0a3877559cee51a6';
const tmp = tempDirs('ibt-aw-');

function put(root: string, rel: string, data: string | Buffer, mtime?: Date): string {
  const file = path.join(root, ...rel.split('/'));
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, data);
  if (mtime) fs.utimesSync(file, mtime, mtime);
  return file;
}

interface ReadBack { name: string; data: Buffer; mtime: Date; method: number }
async function readZip(file: string): Promise<ReadBack[]> {
  const out: ReadBack[] = [];
  for await (const { entry, read } of zipEntries(file)) {
    out.push({ name: entry.fileName, data: await read(), mtime: entry.getLastModDate(), method: entry.compressionMethod });
  }
  return out;
}

async function archive(processFolder: string, outputFolder: string, level = 6) {
  const files = await listOwnFiles(processFolder);
  const reservation = await reserveArchive(outputFolder, new Date(2024, 4, 10, 2, 0, 0));
  const written = await writeArchive(reservation.partialPath, processFolder, files, { compressionLevel: level });
  const check = await verifyArchive(reservation.partialPath, { fullRead: true, expected: [...files].map((f, i) => ({ name: f.name, size: f.size, crc32: written.crc32[i] ?? 0 })) });
  await commitArchive(reservation);
  return { files, written, check, path: reservation.finalPath };
}

describe('archive writer', () => {
  it('streams files above the worker limit, stores what deflate cannot shrink, and all readers agree', async () => {
    const root = tmp();
    const big = Buffer.concat(Array.from({ length: 5 }, (_, i) => Buffer.alloc(1024 * 1024, 65 + i)));
    const noise = crypto.randomBytes(300 * 1024);
    put(root, 'box@example.org/INBOX/00000000000000000000000000000001__big__01-Jan-2024-000000.eml', big);
    put(root, 'box@example.org/INBOX/00000000000000000000000000000002__noise__01-Jan-2024-000000.eml', noise);
    put(root, 'box@example.org/INBOX/00000000000000000000000000000003__text__01-Jan-2024-000000.eml', 'Subject: x\r\n\r\n' + 'hello '.repeat(5000));
    const { files, check, path: zipPath } = await archive(root, path.join(root, 'out'));
    expect(check.problems).toEqual([]);
    expect([...files].map((f) => f.size)).toEqual([big.length, noise.length, 30014]);
    expect(big.length).toBeGreaterThan(STREAM_ABOVE);
    const back = await readZip(zipPath);
    expect(new Map(back.map((e) => [e.name.split('__')[1], e.method]))).toEqual(new Map([['big', 8], ['noise', 0], ['text', 8]]));
    for (const e of back) expect(e.data.equals(fs.readFileSync(path.join(root, ...e.name.split('/'))))).toBe(true);
    execFileSync('unzip', ['-tq', zipPath]);
    execFileSync('python3', ['-c', 'import sys,zipfile; z=zipfile.ZipFile(sys.argv[1]); assert z.testzip() is None', zipPath]);
  });

  it('plans batches in file order: limits by count and bytes, large files alone', () => {
    const limits = { bytes: 100, entries: 3, streamAbove: 60 };
    const plan = (sizes: number[]) => planBatches(sizes, limits).map((b) => `${b.stream ? 's' : 'b'}${b.first}+${b.count}`).join(' ');
    expect(plan([])).toBe('');
    expect(plan([10, 10, 10, 10])).toBe('b0+3 b3+1');
    expect(plan([50, 50, 50])).toBe('b0+2 b2+1');
    expect(plan([10, 61, 10])).toBe('b0+1 s1+1 b2+1');
    expect(plan([60, 60])).toBe('b0+1 b1+1');
    expect(plan([0, 0, 0, 0])).toBe('b0+3 b3+1');
  });

  it("takes only the tool's own .eml files, with UTF-8 names and '/' separators", async () => {
    const root = tmp();
    put(root, `office@contoso.com/INBOX/${HEX}__Zażółć gęślą jaźń__28-Mar-2022-183517.eml`, 'a');
    put(root, `office@contoso.com/Archive/2023/${HEX}__nested__28-Mar-2022-183517.eml`, 'b');
    put(root, `office@contoso.com/Gr%C3%BC%C3%9Fe/${HEX}__x__28-Mar-2022-183517__2.eml`, 'c');
    // Not ours: state, temp files, an admin's files, a message straight in the mailbox folder.
    put(root, '.imap-backup-tool/state/office@contoso.com.json', '{}');
    put(root, `office@contoso.com/INBOX/.ibt-0011aabbccdd.tmp`, 'tmp');
    put(root, 'office@contoso.com/INBOX/notes.txt', 'admin');
    put(root, 'office@contoso.com/INBOX/forwarded.eml', 'admin eml');
    put(root, `office@contoso.com/${HEX}__top__28-Mar-2022-183517.eml`, 'misplaced');
    put(root, `${HEX}__root__28-Mar-2022-183517.eml`, 'root');
    const { check, path: zipPath } = await archive(root, path.join(tmp(), 'out'));
    expect(check.problems).toEqual([]);
    const names = (await readZip(zipPath)).map((e) => e.name).sort();
    expect(names).toEqual([
      `office@contoso.com/Archive/2023/${HEX}__nested__28-Mar-2022-183517.eml`,
      `office@contoso.com/Gr%C3%BC%C3%9Fe/${HEX}__x__28-Mar-2022-183517__2.eml`,
      `office@contoso.com/INBOX/${HEX}__Zażółć gęślą jaźń__28-Mar-2022-183517.eml`,
    ]);
    expect(execFileSync('unzip', ['-Z1', zipPath]).toString('utf8')).toContain('Zażółć gęślą jaźń');
  });

  it('clamps modification times to what ZIP holds (1980-2107) and keeps ordinary ones', async () => {
    const root = tmp();
    put(root, `m/INBOX/${HEX}__1970__x.eml`, 'x', new Date(1970, 0, 1, 12));
    put(root, `m/INBOX/${HEX}__1960__x.eml`, 'x', new Date(1960, 0, 1, 12));
    put(root, `m/INBOX/${HEX}__2022__x.eml`, 'x', new Date(2022, 2, 28, 18, 35, 16));
    put(root, `m/INBOX/${HEX}__2050__x.eml`, 'x', new Date(2050, 5, 1, 10, 0, 0));
    put(root, `m/INBOX/${HEX}__2200__x.eml`, 'x', new Date(2200, 0, 1));
    const { check, path: zipPath } = await archive(root, path.join(tmp(), 'out'));
    expect(check.problems).toEqual([]);
    const byName = new Map((await readZip(zipPath)).map((e) => [e.name.split('__')[1], e.mtime.getTime()]));
    expect(byName.get('1970')).toBe(new Date(1980, 0, 1).getTime());
    expect(byName.get('1960')).toBe(new Date(1980, 0, 1).getTime());
    expect(byName.get('2022')).toBe(new Date(2022, 2, 28, 18, 35, 16).getTime());
    // Past 2038 only the DOS time is written (2-second steps), so readers do not see 2038.
    expect(byName.get('2050')).toBe(new Date(2050, 5, 1, 10, 0, 0).getTime());
    expect(byName.get('2200')).toBe(new Date(2107, 11, 31, 23, 59, 58).getTime());
    expect(() => execFileSync('unzip', ['-tqq', zipPath])).not.toThrow();
  });

  it('deflates by default and stores with zipCompressionLevel 0, byte for byte either way', async () => {
    const root = tmp();
    const text = 'Subject: hello\r\n\r\n' + 'the quick brown fox jumps over the lazy dog\r\n'.repeat(2000);
    put(root, `m/INBOX/${HEX}__a__x.eml`, text);
    put(root, `m/INBOX/${HEX}__empty__x.eml`, '');
    put(root, `m/INBOX/${HEX}__big__x.eml`, Buffer.alloc(6 * 1024 * 1024, 'y'));
    for (const [level, method] of [[6, 8], [0, 0]] as const) {
      const { check, path: zipPath } = await archive(root, path.join(tmp(), 'out'), level);
      expect(check.problems).toEqual([]);
      const entries = await readZip(zipPath);
      expect(entries).toHaveLength(3);
      for (const e of entries) {
        expect(e.data.equals(fs.readFileSync(path.join(root, ...e.name.split('/'))))).toBe(true);
        if (e.data.length > 0) expect(e.method).toBe(method);
      }
    }
  });

  it('takes a new name for a second archive in the same second, and never reuses a leftover .partial', async () => {
    const out = tmp();
    const now = new Date(2024, 4, 10, 2, 0, 0);
    fs.writeFileSync(path.join(out, 'backup-2024-05-10_020000.zip.partial'), 'left over');
    const a = await reserveArchive(out, now);
    const b = await reserveArchive(out, now);
    expect(path.basename(a.finalPath)).toBe('backup-2024-05-10_020000-2.zip');
    expect(path.basename(b.finalPath)).toBe('backup-2024-05-10_020000-3.zip');
    fs.writeFileSync(a.partialPath, 'x');
    await commitArchive(a);
    fs.rmSync(b.partialPath);
    const c = await reserveArchive(out, now);
    expect(path.basename(c.finalPath)).toBe('backup-2024-05-10_020000-3.zip');
    expect(fs.readFileSync(path.join(out, 'backup-2024-05-10_020000.zip.partial'), 'utf8')).toBe('left over');
  });

  it('fails, leaving only the .partial, when a file changes while it is archived or when interrupted', async () => {
    const root = tmp();
    const out = tmp();
    put(root, `m/INBOX/${HEX}__a__x.eml`, 'short');
    const files = await listOwnFiles(root);
    put(root, `m/INBOX/${HEX}__a__x.eml`, 'longer now');
    const r = await reserveArchive(out, new Date());
    await expect(writeArchive(r.partialPath, root, files, { compressionLevel: 6 })).rejects.toThrow(/changed while/);
    const controller = new AbortController();
    controller.abort();
    const r2 = await reserveArchive(out, new Date());
    await expect(writeArchive(r2.partialPath, root, await listOwnFiles(root), { compressionLevel: 6, signal: controller.signal })).rejects.toThrow(/Interrupted/);
    // A large (streamed) file that changes, and a small one gone before its worker reads it.
    const big = put(root, `m/INBOX/${'1'.repeat(32)}__big__x.eml`, Buffer.alloc(STREAM_ABOVE + 1, 66));
    const listed = await listOwnFiles(root);
    fs.appendFileSync(big, 'more');
    await expect(writeArchive((await reserveArchive(out, new Date())).partialPath, root, listed, { compressionLevel: 6 })).rejects.toThrow(/big__x.eml changed while/);
    const relisted = await listOwnFiles(root);
    fs.rmSync(path.join(root, `m/INBOX/${HEX}__a__x.eml`));
    await expect(writeArchive((await reserveArchive(out, new Date())).partialPath, root, relisted, { compressionLevel: 6 })).rejects.toMatchObject({ code: 'ENOENT', path: expect.stringContaining(`${HEX}__a__x.eml`) });
    expect(fs.readdirSync(out)).toHaveLength(4);
    expect(fs.readdirSync(out).every((n) => n.endsWith('.zip.partial'))).toBe(true);
  });

  it('verification reports a flipped byte, a missing entry and a wrong CRC', async () => {
    const root = tmp();
    put(root, `m/INBOX/${HEX}__a__x.eml`, 'the quick brown fox '.repeat(500));
    put(root, `m/INBOX/${HEX}__b__x.eml`, 'jumps over the lazy dog '.repeat(500));
    const { files, written, path: zipPath } = await archive(root, path.join(tmp(), 'out'));
    const expected = [...files].map((f, i) => ({ name: f.name, size: f.size, crc32: written.crc32[i] ?? 0 }));
    expect((await verifyArchive(zipPath, { fullRead: false, expected: [...expected].reverse() })).problems).toEqual([]);
    // Columns read an entry at a time, as the run passes them, out of order too.
    const reversed = [...expected].reverse();
    expect((await verifyArchive(zipPath, { fullRead: true, expected: { length: reversed.length, at: (i) => reversed[i] } })).problems).toEqual([]);
    const lazyWrong = await verifyArchive(zipPath, { fullRead: false, expected: { length: 3, at: (i) => [{ ...expected[0]!, size: 1 }, expected[1], { name: 'm/INBOX/gone.eml', size: 1, crc32: 1 }][i] } });
    expect(lazyWrong.problems.join('\n')).toMatch(/1 written/);
    expect(lazyWrong.problems.join('\n')).toContain('m/INBOX/gone.eml: written but missing');
    const wrong = await verifyArchive(zipPath, { fullRead: false, expected: [...expected.slice(0, 1), { ...expected[1]!, crc32: 1 }, { name: 'm/INBOX/gone.eml', size: 1, crc32: 1 }] });
    expect(wrong.problems.join('\n')).toMatch(/recorded CRC .* differs/);
    expect(wrong.problems.join('\n')).toContain('m/INBOX/gone.eml: written but missing');
    const bytes = fs.readFileSync(zipPath);
    const dataStart = 30 + bytes.readUInt16LE(26) + bytes.readUInt16LE(28);
    bytes.writeUInt8(bytes.readUInt8(dataStart + 10) ^ 0xff, dataStart + 10);
    fs.writeFileSync(zipPath, bytes);
    const damaged = await verifyArchive(zipPath, { fullRead: true });
    expect(damaged.problems.length).toBeGreaterThan(0);
    expect((await verifyArchive(path.join(root, 'nope.zip'), { fullRead: true })).problems[0]).toContain('ENOENT');
  });

  it('cleaning removes what was archived, the folders it empties and the state, nothing else', async () => {
    const root = tmp();
    put(root, `m/INBOX/${HEX}__a__x.eml`, 'a');
    put(root, `m/Archive/2023/${HEX}__b__x.eml`, 'b');
    put(root, `m/Sent/${HEX}__c__x.eml`, 'c');
    put(root, 'm/Sent/keep.txt', 'admin');
    put(root, 'readme.txt', 'admin');
    put(root, '.imap-backup-tool/state/m.json', '{}');
    put(root, '.imap-backup-tool/lock', 'held');
    const files = await listOwnFiles(root);
    put(root, `m/INBOX/${HEX}__new__x.eml`, 'arrived after the archive');
    const result = await cleanProcessFolder(root, files);
    expect(result).toEqual({ removedFiles: 3, removedFolders: 2, problems: [] });
    const left: string[] = [];
    const walk = (d: string) => { for (const e of fs.readdirSync(d, { withFileTypes: true })) e.isDirectory() ? walk(path.join(d, e.name)) : left.push(path.relative(root, path.join(d, e.name))); };
    walk(root);
    expect(left.sort()).toEqual(['.imap-backup-tool/lock', `m/INBOX/${HEX}__new__x.eml`, 'm/Sent/keep.txt', 'readme.txt']);
  });
});
