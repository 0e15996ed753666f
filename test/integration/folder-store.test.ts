import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FolderStore, foldName } from '../../src/io/folder-store.js';

const seg = 'a'.repeat(32);
const name = (subject: string) => `${seg}__${subject}__01-Jan-2020-000000.eml`;

describe('unique names as case-insensitive file systems see them', () => {
  it('a name that differs only in letter case or Unicode form is taken', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ibt-store-'));
    fs.writeFileSync(path.join(dir, name('Re Hello')), 'one');
    const store = new FolderStore(dir);
    await store.scan();
    // On NTFS or APFS these are the file above: writing them would replace it.
    expect(store.uniqueName(name('RE HELLO'), new Set())).toBe(name('RE HELLO').replace(/\.eml$/, '__2.eml'));
    expect(store.uniqueName(name('re hello'), new Set())).toBe(name('re hello').replace(/\.eml$/, '__2.eml'));
    // "é" composed and decomposed.
    const composed = name('caf\u00e9');
    const decomposed = name('cafe\u0301');
    expect(store.uniqueName(decomposed, new Set([foldName(composed)]))).toBe(decomposed.replace(/\.eml$/, '__2.eml'));
    // Final and medial sigma are one letter there too.
    const greek = name('ΟΔΟΣ');
    expect(store.uniqueName(name('οδοσ'), new Set([foldName(greek)]))).toBe(name('οδοσ').replace(/\.eml$/, '__2.eml'));
    expect(store.uniqueName(name('οδος'), new Set([foldName(greek)]))).toBe(name('οδος').replace(/\.eml$/, '__2.eml'));
    // Names written in this run count too.
    await store.write(name('Written'), Buffer.from('two'));
    expect(store.uniqueName(name('WRITTEN'), new Set())).toBe(name('WRITTEN').replace(/\.eml$/, '__2.eml'));
    expect(store.uniqueName(name('Other'), new Set())).toBe(name('Other'));
  });
});
