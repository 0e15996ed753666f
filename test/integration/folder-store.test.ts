import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { hash64 } from '../../src/core/compact-tables.js';
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
    await (await store.write(name('Written'), Buffer.from('two'))).committed;
    expect(store.uniqueName(name('WRITTEN'), new Set())).toBe(name('WRITTEN').replace(/\.eml$/, '__2.eml'));
    expect(store.uniqueName(name('Other'), new Set())).toBe(name('Other'));
  });
});

// The store keeps the names it wrote by a 64-bit hash. Here every name without a `__N` has one
// hash, so what is left to see is which way its mistakes go: a free name may be called taken (a
// `__2` name), a file of an earlier run is still claimed as that, and a name written stays taken.
describe('names written, kept by hash, when hashes collide', () => {
  const oneHash = (s: string) => (/__\d+\.eml$/.test(s) ? hash64(s) : ([7, 7] as const));
  const fresh = async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ibt-store-'));
    fs.writeFileSync(path.join(dir, name('Earlier')), 'earlier bytes');
    const store = new FolderStore(dir, oneHash);
    await store.scan();
    return { dir, store };
  };

  it('a free name may come out as __2, a written one never comes out free', async () => {
    const { store } = await fresh();
    expect(store.uniqueName(name('Free'), new Set())).toBe(name('Free'));
    await (await store.write(name('Written'), Buffer.from('w'))).committed;
    expect(store.uniqueName(name('Written'), new Set())).toBe(name('Written').replace(/\.eml$/, '__2.eml'));
    expect(store.uniqueName(name('Free'), new Set())).toBe(name('Free').replace(/\.eml$/, '__2.eml'));
    expect(store.count).toBe(2);
  });

  it('a file an earlier run saved is found as that, and claimed, whatever the written names hash to', async () => {
    const { store } = await fresh();
    await (await store.write(name('Written'), Buffer.from('w'))).committed;
    // A message planned as a twin of the one written, whose bytes turn out to be the earlier file's.
    expect(await store.copyOf(name('Written'), Buffer.from('earlier bytes'))).toBe('earlier run');
    // Claimed: a second message with the same bytes is a copy within this run.
    expect(await store.copyOf(name('Written'), Buffer.from('earlier bytes'))).toBe('this run');
    expect(await store.matchBySize(seg, name('Earlier'), 'earlier bytes'.length)).toBeUndefined();
  });

  it('taking back a streamed copy leaves the names it shares a hash with taken', async () => {
    const { dir, store } = await fresh();
    await (await store.write(name('Twin'), Buffer.from('same'))).committed;
    await (await store.write(name('Other'), Buffer.from('other'))).committed;
    const kept = await store.writeStreamUnlessSame(name('Copy'), Readable.from([Buffer.from('same')]), name('Twin'));
    expect(kept).toBe('this run');
    expect(fs.existsSync(path.join(dir, name('Copy')))).toBe(false);
    expect(store.count).toBe(3);
    expect(store.uniqueName(name('Other'), new Set())).toBe(name('Other').replace(/\.eml$/, '__2.eml'));
    expect(store.uniqueName(name('Twin'), new Set())).toBe(name('Twin').replace(/\.eml$/, '__2.eml'));
  });
});
