import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commitArchive, reserveArchive, writeArchive } from '../../src/io/archive-writer.js';
import { verifyArchive } from '../../src/io/archive-verify.js';
import { listOwnFiles } from '../../src/io/process-tree.js';
import { zipEntries } from '../helpers/zip.js';

// More than 65,535 entries: the classic end record cannot count them, only the ZIP64 one can.
const COUNT = 70_000;
const FOLDERS = ['INBOX', 'Sent Items', 'Archive/2023', 'Grüße'];
// tmpfs when there is one: creating 70,000 files on ext4 costs seconds more.
const base = fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir();
let dir: string;
let zipPath: string;
let stats: { ms: number; archiveBytes: number };

const nameOf = (i: number) => `${i.toString(16).padStart(32, '0')}__Message ${i}__28-Mar-2022-183517.eml`;
const relOf = (i: number) => `box${i % 3}@example.org/${FOLDERS[i % FOLDERS.length]}/${nameOf(i)}`;
const bodyOf = (i: number) => `Message-ID: <${i}@example.org>\r\nSubject: Message ${i}\r\n\r\nBody of message ${i}\r\n`;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(base, 'ibt-zip64-'));
  const root = path.join(dir, 'process');
  for (let b = 0; b < 3; b++) for (const f of FOLDERS) fs.mkdirSync(path.join(root, `box${b}@example.org`, ...f.split('/')), { recursive: true });
  for (let i = 0; i < COUNT; i++) fs.writeFileSync(path.join(root, ...relOf(i).split('/')), bodyOf(i));
  const started = Date.now();
  const files = await listOwnFiles(root);
  const reservation = await reserveArchive(path.join(dir, 'output'), new Date());
  const written = await writeArchive(reservation.partialPath, root, files, { compressionLevel: 6 });
  const check = await verifyArchive(reservation.partialPath, { fullRead: true, expected: [...files].map((f, i) => ({ name: f.name, size: f.size, crc32: written.crc32[i] ?? 0 })) });
  expect(check.problems).toEqual([]);
  expect(check.entries).toBe(COUNT);
  await commitArchive(reservation);
  zipPath = reservation.finalPath;
  stats = { ms: Date.now() - started, archiveBytes: written.archiveBytes };
}, 300_000);

afterAll(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe(`ZIP64: an archive of ${COUNT.toLocaleString('en-US')} entries`, () => {
  it('has the ZIP64 end records', () => {
    const tail = Buffer.alloc(200);
    const fd = fs.openSync(zipPath, 'r');
    fs.readSync(fd, tail, 0, tail.length, stats.archiveBytes - tail.length);
    fs.closeSync(fd);
    const eocd = tail.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
    expect(tail.readUInt16LE(eocd + 10)).toBe(0xffff);
    expect(tail.includes(Buffer.from([0x50, 0x4b, 0x06, 0x06]))).toBe(true);
    expect(tail.includes(Buffer.from([0x50, 0x4b, 0x06, 0x07]))).toBe(true);
  });

  it('passes unzip -t', () => {
    const out = execFileSync('unzip', ['-tq', zipPath], { maxBuffer: 64 * 1024 * 1024 }).toString();
    expect(out).toContain('No errors detected');
  }, 120_000);

  it("passes Python's zipfile", () => {
    const script = 'import sys, zipfile\nz = zipfile.ZipFile(sys.argv[1])\nprint(len(z.infolist()), z.testzip())';
    expect(execFileSync('python3', ['-c', script, zipPath]).toString().trim()).toBe(`${COUNT} None`);
  }, 120_000);

  it('passes 7-Zip (7z t)', () => {
    const out = execFileSync('7z', ['t', zipPath], { maxBuffer: 64 * 1024 * 1024 }).toString();
    expect(out).toContain('Everything is Ok');
    expect(out).toMatch(new RegExp(`Files: ${COUNT}\\b`));
    expect(out).not.toMatch(/Warnings?:/);
  }, 120_000);

  it('reads back every entry with yauzl, names, sizes and contents', async () => {
    const seen = new Set<string>();
    for await (const { entry, read } of zipEntries(zipPath)) {
      seen.add(entry.fileName);
      const i = Number.parseInt(entry.fileName.split('/').pop()?.slice(0, 32) ?? '', 16);
      expect(entry.fileName).toBe(relOf(i));
      expect(entry.uncompressedSize).toBe(Buffer.byteLength(bodyOf(i)));
      // Contents of a sample; Python, unzip and 7-Zip above checked every CRC.
      if (i % 97 === 0) expect((await read()).toString()).toBe(bodyOf(i));
    }
    expect(seen.size).toBe(COUNT);
    console.log(`zip64: ${COUNT} entries written and verified in ${stats.ms} ms, ${stats.archiveBytes} bytes`);
  }, 120_000);
});
