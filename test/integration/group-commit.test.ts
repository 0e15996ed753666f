import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isTempName } from '../../src/io/atomic.js';
import { FolderStore } from '../../src/io/folder-store.js';
import { GroupCommit, groupCommitPossible, type SyncFs } from '../../src/io/group-commit.js';

const dirs: string[] = [];
const tmp = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'ibt-group-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

const name = (i: number) => `${i.toString(16).padStart(32, '0')}__Message ${i}__2024-01-01_00-00-00.eml`;

/** A syncfs that records what the folder held when it was asked to flush. */
function recordingSync(fail = false): { syncfs: SyncFs; calls: { dirs: string[]; temps: number; finals: number }[] } {
  const calls: { dirs: string[]; temps: number; finals: number }[] = [];
  const syncfs: SyncFs = async (ds) => {
    const entries = ds.flatMap((d) => fs.readdirSync(d));
    calls.push({ dirs: ds, temps: entries.filter(isTempName).length, finals: entries.filter((e) => e.endsWith('.eml')).length });
    await new Promise((r) => setTimeout(r, 5));
    if (fail) throw new Error('sync: error syncing: Input/output error');
  };
  return { syncfs, calls };
}

describe('group commit', () => {
  it.each([
    ['linux', '5.8.0', true], ['linux', '6.1.0-27-amd64', true], ['linux', '5.10.0', true], ['linux', '5.7.19', false],
    ['linux', '4.19.0', false], ['linux', 'weird', false], ['darwin', '23.1.0', false], ['win32', '10.0.19045', false],
  ] as const)('%s %s: group commit %s', (platform, release, expected) => {
    expect(groupCommitPossible(platform, release)).toBe(expected);
  });

  it('no message reaches its final name before its batch was flushed; the batch is flushed once for all', async () => {
    const dir = tmp();
    const { syncfs, calls } = recordingSync();
    const store = new FolderStore(dir, undefined, new GroupCommit(syncfs, true));
    const committed = await Promise.all(Array.from({ length: 20 }, (_, i) => store.write(name(i), Buffer.from(`message ${i}`))));
    // Written, not renamed: each waits for the flush of its batch.
    expect(fs.readdirSync(dir).filter((e) => e.endsWith('.eml'))).toEqual([]);
    await Promise.all(committed.map((c) => c.committed));
    expect(calls).toEqual([{ dirs: [dir], temps: 20, finals: 0 }]);
    for (let i = 0; i < 20; i++) expect(fs.readFileSync(path.join(dir, name(i)), 'utf8')).toBe(`message ${i}`);
    expect(fs.readdirSync(dir).filter(isTempName)).toEqual([]);
    expect(store.count).toBe(20);
  });

  it('cuts a batch at 1,024 files or 64 MB, or after 250 ms, or at once when a folder is done (flush)', async () => {
    const dir = tmp();
    const { syncfs, calls } = recordingSync();
    const group = new GroupCommit(syncfs, true);
    const store = new FolderStore(dir, undefined, group);
    const many = await Promise.all(Array.from({ length: 1100 }, (_, i) => store.write(name(i), Buffer.from('x'))));
    await Promise.all(many.map((c) => c.committed));
    // The first 1,024 are under their names before the rest are flushed.
    expect(calls.map((c) => c.finals)).toEqual([0, 1024]);
    expect(calls[1]?.temps).toBe(76);
    // 64 MB: of three messages of 40 MB, the second fills a batch; the third waits for the next.
    const big = Buffer.alloc(40 * 1024 * 1024, 'b');
    const large = await Promise.all([2000, 2001, 2002].map((i) => store.write(name(i), Buffer.from(big))));
    await Promise.all(large.map((c) => c.committed));
    expect(calls.slice(2).map((c) => c.finals)).toEqual([1100, 1102]);
    const t = Date.now();
    await (await store.write(name(3000), Buffer.from('alone'))).committed;
    expect(Date.now() - t).toBeGreaterThanOrEqual(240);
    const one = await store.write(name(3001), Buffer.from('last of its folder'));
    const t2 = Date.now();
    store.flushWrites();
    await one.committed;
    expect(Date.now() - t2).toBeLessThan(200);
    expect(calls).toHaveLength(6);
    expect(calls[5]?.finals).toBe(1104);
  });

  it('a failed flush of the file system: each file of the batch is flushed on its own, and later messages are written one by one', async () => {
    const dir = tmp();
    const { syncfs, calls } = recordingSync(true);
    const group = new GroupCommit(syncfs, true);
    const store = new FolderStore(dir, undefined, group);
    const written = await Promise.all([0, 1, 2].map((i) => store.write(name(i), Buffer.from(`m${i}`))));
    await Promise.all(written.map((c) => c.committed));
    expect(group.usable).toBe(false);
    for (const i of [0, 1, 2]) expect(fs.readFileSync(path.join(dir, name(i)), 'utf8')).toBe(`m${i}`);
    // Now flushed with the write itself: under its name when the write resolves.
    await store.write(name(3), Buffer.from('m3'));
    expect(fs.readFileSync(path.join(dir, name(3)), 'utf8')).toBe('m3');
    expect(calls).toHaveLength(1);
    expect(fs.readdirSync(dir).filter(isTempName)).toEqual([]);
  });

  it('a rename that fails rejects that message only, and removes its temp file', async () => {
    const dir = tmp();
    const store = new FolderStore(dir, undefined, new GroupCommit(recordingSync().syncfs, true));
    fs.mkdirSync(path.join(dir, name(1)));
    fs.writeFileSync(path.join(dir, name(1), 'x'), 'a folder in the way');
    const [ok, blocked] = await Promise.all([store.write(name(0), Buffer.from('fine')), store.write(name(1), Buffer.from('blocked'))]);
    await expect(ok!.committed).resolves.toBeUndefined();
    await expect(blocked!.committed).rejects.toMatchObject({ code: expect.stringMatching(/EISDIR|ENOTEMPTY|EEXIST/) });
    expect(fs.readdirSync(dir).sort()).toEqual([name(0), name(1)].sort());
  });

  it.runIf(groupCommitPossible(process.platform, os.release()))('flushes with the system\'s own `sync -f` here', async () => {
    const dir = tmp();
    const group = new GroupCommit();
    const store = new FolderStore(dir, undefined, group);
    const c = await store.write(name(7), Buffer.from('through sync -f'));
    store.flushWrites();
    await c.committed;
    expect(group.usable).toBe(true);
    expect(fs.readFileSync(path.join(dir, name(7)), 'utf8')).toBe('through sync -f');
  });
});
