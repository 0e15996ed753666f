// Run by `npm run test:large` only (vitest.large.config.ts); needs about 9 GB in the temp folder.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commitArchive, reserveArchive, writeArchive } from '../../src/io/archive-writer.js';
import { verifyArchive } from '../../src/io/archive-verify.js';
import { listOwnFiles } from '../../src/io/process-tree.js';
import { zipEntries } from '../helpers/zip.js';

const GIB = 1024 ** 3;
const HEX = 'ec77f17c4c402d3a0a3877559cee51a6';
const BIG = Math.floor(4.2 * GIB);
let dir: string;

/** Incompressible, but fast to make: one random MiB repeated with a counter in each copy. */
function writeRandomish(file: string, bytes: number): void {
  const block = Buffer.from(createHash('sha512').update('seed').digest('hex').repeat(8192), 'hex');
  const fd = fs.openSync(file, 'w');
  for (let written = 0, n = 0; written < bytes; n++) {
    block.writeUInt32LE(n, 0);
    const len = Math.min(block.length, bytes - written);
    fs.writeSync(fd, block, 0, len);
    written += len;
  }
  fs.closeSync(fd);
}

async function makeArchive(processFolder: string, level: number) {
  const files = await listOwnFiles(processFolder);
  const reservation = await reserveArchive(path.join(dir, `out-${level}`), new Date());
  const started = Date.now();
  const written = await writeArchive(reservation.partialPath, processFolder, files, { compressionLevel: level });
  const writeMs = Date.now() - started;
  const check = await verifyArchive(reservation.partialPath, { fullRead: true, expected: [...files].map((f, i) => ({ name: f.name, size: f.size, crc32: written.crc32[i] ?? 0 })) });
  expect(check.problems).toEqual([]);
  await commitArchive(reservation);
  console.log(`level ${level}: ${files.length} entries, ${written.bytes} bytes → ${written.archiveBytes} in ${writeMs} ms, verified in ${Date.now() - started - writeMs} ms`);
  return { path: reservation.finalPath, archiveBytes: written.archiveBytes, files };
}

function externalChecks(zipPath: string, count: number): void {
  expect(execFileSync('unzip', ['-tq', zipPath]).toString()).toContain('No errors detected');
  const script = 'import sys, zipfile\nz = zipfile.ZipFile(sys.argv[1])\nprint(len(z.infolist()), z.testzip())';
  expect(execFileSync('python3', ['-c', script, zipPath]).toString().trim()).toBe(`${count} None`);
  const seven = execFileSync('7z', ['t', zipPath], { maxBuffer: 16 * 1024 * 1024 }).toString();
  expect(seven).toContain('Everything is Ok');
  expect(seven).not.toMatch(/Warnings?:/);
}

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ibt-4gib-'));
});

afterAll(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('archives over 4 GiB', () => {
  it('stored: a 4.2 GiB entry and entries after it, at offsets past 4 GiB', async () => {
    const root = path.join(dir, 'stored');
    const inbox = path.join(root, 'office@contoso.com', 'INBOX');
    fs.mkdirSync(inbox, { recursive: true });
    fs.writeFileSync(path.join(inbox, `${HEX}__a first__28-Mar-2022-183517.eml`), 'before the big one\r\n');
    writeRandomish(path.join(inbox, `${HEX}__b big__28-Mar-2022-183517.eml`), BIG);
    fs.writeFileSync(path.join(inbox, `${HEX}__c after__28-Mar-2022-183517.eml`), 'after the big one\r\n');
    const zip = await makeArchive(root, 0);
    expect(zip.archiveBytes).toBeGreaterThan(4 * GIB);
    fs.rmSync(root, { recursive: true });
    externalChecks(zip.path, 3);
    const entries: [string, number][] = [];
    for await (const { entry, read } of zipEntries(zip.path)) {
      entries.push([entry.fileName.split('__')[1] as string, entry.uncompressedSize]);
      if (entry.fileName.includes('after')) expect((await read()).toString()).toBe('after the big one\r\n');
    }
    expect(entries).toEqual([['a first', 20], ['b big', BIG], ['c after', 19]]);
    fs.rmSync(zip.path);
  }, 3_600_000);

  it('deflated: a 4.5 GiB entry', async () => {
    const root = path.join(dir, 'deflated');
    const inbox = path.join(root, 'office@contoso.com', 'INBOX');
    fs.mkdirSync(inbox, { recursive: true });
    // Sparse: quick to make, reads as zeros, compresses to a few MB.
    const big = path.join(inbox, `${HEX}__zeros__28-Mar-2022-183517.eml`);
    fs.closeSync(fs.openSync(big, 'w'));
    fs.truncateSync(big, 4.5 * GIB);
    const zip = await makeArchive(root, 6);
    externalChecks(zip.path, 1);
    for await (const { entry } of zipEntries(zip.path)) expect(entry.uncompressedSize).toBe(4.5 * GIB);
  }, 3_600_000);
});
