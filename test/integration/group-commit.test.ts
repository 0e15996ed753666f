import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it, vi } from 'vitest';
import { isTempName } from '../../src/io/atomic.js';
import { FolderStore } from '../../src/io/folder-store.js';
import { GroupCommit, type SyncFs } from '../../src/io/group-commit.js';
import { tempDirs } from '../helpers/temp-dirs.js';

const tmp = tempDirs('ibt-group-');

const name = (i: number) => `${i.toString(16).padStart(32, '0')}__Message ${i}__2024-01-01_00-00-00.eml`;

interface SyncCall { dirs: string[]; temps: number; finals: number; finalsAtEnd?: number; at: number }

/** A syncfs that records what the folder held when it was asked to flush, and when it was done. */
function recordingSync(fail = false): { syncfs: SyncFs; calls: SyncCall[] } {
  const calls: SyncCall[] = [];
  const finals = (ds: string[]) => ds.flatMap((d) => fs.readdirSync(d)).filter((e) => e.endsWith('.eml')).length;
  const syncfs: SyncFs = async (ds) => {
    const entries = ds.flatMap((d) => fs.readdirSync(d));
    const call: SyncCall = { dirs: ds, temps: entries.filter(isTempName).length, finals: finals(ds), at: Date.now() };
    calls.push(call);
    await new Promise((r) => setTimeout(r, 5));
    call.finalsAtEnd = finals(ds);
    if (fail) throw new Error('sync: error syncing: Input/output error');
  };
  return { syncfs, calls };
}

/** Counts fdatasync calls: each file is flushed through its own descriptor, whatever the syncfs did. */
function countDatasync(): { count: () => number; restore: () => void } {
  let n = 0;
  const real = fs.fdatasync;
  const spy = vi.spyOn(fs, 'fdatasync').mockImplementation(((fd: number, cb: fs.NoParamCallback) => {
    n++;
    real(fd, cb);
  }) as typeof fs.fdatasync);
  return { count: () => n, restore: () => spy.mockRestore() };
}

describe('group commit', () => {
  it('no message reaches its final name before its batch was flushed; the batch is flushed once for all', async () => {
    const dir = tmp();
    const { syncfs, calls } = recordingSync();
    const store = new FolderStore(dir, undefined, new GroupCommit(syncfs, true));
    const datasync = countDatasync();
    try {
      const committed = await Promise.all(Array.from({ length: 20 }, (_, i) => store.write(name(i), Buffer.from(`message ${i}`))));
      // Written, not renamed: each waits for the flush of its batch.
      expect(fs.readdirSync(dir).filter((e) => e.endsWith('.eml'))).toEqual([]);
      await Promise.all(committed.map((c) => c.committed));
    } finally {
      datasync.restore();
    }
    // None renamed while the syncfs ran, and each flushed through its own descriptor after it.
    expect(calls).toEqual([{ dirs: [dir], temps: 20, finals: 0, finalsAtEnd: 0, at: expect.any(Number) }]);
    expect(datasync.count()).toBe(20);
    for (let i = 0; i < 20; i++) expect(fs.readFileSync(path.join(dir, name(i)), 'utf8')).toBe(`message ${i}`);
    expect(fs.readdirSync(dir).filter(isTempName)).toEqual([]);
    expect(store.count).toBe(20);
  });

  it('cuts a batch at 512 files or 64 MB, or after 250 ms, or at once when a folder is done (flush)', async () => {
    const dir = tmp();
    const { syncfs, calls } = recordingSync();
    const group = new GroupCommit(syncfs, true);
    const store = new FolderStore(dir, undefined, group);
    const many = await Promise.all(Array.from({ length: 1100 }, (_, i) => store.write(name(i), Buffer.from('x'))));
    await Promise.all(many.map((c) => c.committed));
    // Each batch of 512 is under its names before the next is flushed.
    expect(calls.map((c) => c.finals)).toEqual([0, 512, 1024]);
    expect(calls[2]?.temps).toBe(76);
    // 64 MB: of three messages of 40 MB, the second fills a batch; the third waits for the next.
    const big = Buffer.alloc(40 * 1024 * 1024, 'b');
    const large = await Promise.all([2000, 2001, 2002].map((i) => store.write(name(i), Buffer.from(big))));
    await Promise.all(large.map((c) => c.committed));
    expect(calls.slice(3).map((c) => c.finals)).toEqual([1100, 1102]);
    const t = Date.now();
    await (await store.write(name(3000), Buffer.from('alone'))).committed;
    expect(Date.now() - t).toBeGreaterThanOrEqual(240);
    const one = await store.write(name(3001), Buffer.from('last of its folder'));
    const t2 = Date.now();
    store.flushWrites();
    await one.committed;
    // Its batch's flush began at once, not when the 250 ms were up (however slow the disk is).
    expect((calls.at(-1)?.at ?? Infinity) - t2).toBeLessThan(100);
    expect(calls).toHaveLength(7);
    expect(calls[6]?.finals).toBe(1104);
  });

  it('a failed flush of the file system: each file of the batch is flushed on its own, and later messages are written one by one', async () => {
    const dir = tmp();
    const { syncfs, calls } = recordingSync(true);
    const group = new GroupCommit(syncfs, true);
    const store = new FolderStore(dir, undefined, group);
    const datasync = countDatasync();
    try {
      const written = await Promise.all([0, 1, 2].map((i) => store.write(name(i), Buffer.from(`m${i}`))));
      await Promise.all(written.map((c) => c.committed));
    } finally {
      datasync.restore();
    }
    expect(datasync.count()).toBe(3);
    expect(group.usable).toBe(false);
    for (const i of [0, 1, 2]) expect(fs.readFileSync(path.join(dir, name(i)), 'utf8')).toBe(`m${i}`);
    // Now flushed with the write itself: under its name when the write resolves.
    await store.write(name(3), Buffer.from('m3'));
    expect(fs.readFileSync(path.join(dir, name(3)), 'utf8')).toBe('m3');
    expect(calls).toHaveLength(1);
    expect(fs.readdirSync(dir).filter(isTempName)).toEqual([]);
  });

  it('a write error its own flush reports fails that message alone: never renamed, its temp removed', async () => {
    const dir = tmp();
    const store = new FolderStore(dir, undefined, new GroupCommit(recordingSync().syncfs, true));
    const written = await Promise.all([0, 1, 2].map((i) => store.write(name(i), Buffer.from(`m${i}`))));
    let calls = 0;
    const real = fs.fdatasync;
    const spy = vi.spyOn(fs, 'fdatasync').mockImplementation(((fd: number, cb: fs.NoParamCallback) => {
      if (++calls === 2) return cb(Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' }));
      real(fd, cb);
    }) as typeof fs.fdatasync);
    try {
      const results = await Promise.allSettled(written.map((c) => c.committed));
      expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'fulfilled', 'rejected']);
    } finally {
      spy.mockRestore();
    }
    expect(fs.readdirSync(dir).filter(isTempName)).toEqual([]);
    expect(fs.readdirSync(dir)).toHaveLength(2);
  });

  it('a rename that fails rejects that message only, and removes its temp file', async () => {
    const dir = tmp();
    const store = new FolderStore(dir, undefined, new GroupCommit(recordingSync().syncfs, true));
    fs.mkdirSync(path.join(dir, name(1)));
    fs.writeFileSync(path.join(dir, name(1), 'x'), 'a folder in the way');
    const [ok, blocked] = await Promise.all([store.write(name(0), Buffer.from('fine')), store.write(name(1), Buffer.from('blocked'))]);
    // Both watched at once: the blocked one may fail before the first has settled.
    const [fine, refused] = await Promise.allSettled([ok!.committed, blocked!.committed]);
    expect(fine).toEqual({ status: 'fulfilled', value: undefined });
    expect(refused).toMatchObject({ status: 'rejected', reason: { code: expect.stringMatching(/EISDIR|ENOTEMPTY|EEXIST/) } });
    expect(fs.readdirSync(dir).sort()).toEqual([name(0), name(1)].sort());
  });

  it('a streamed message joins the batch too: written, the connection is free, and it is under its name only after the flush', async () => {
    const dir = tmp();
    const { syncfs, calls } = recordingSync();
    const store = new FolderStore(dir, undefined, new GroupCommit(syncfs, true));
    const pieces = [Buffer.alloc(1024 * 1024, 'a'), Buffer.alloc(1024 * 1024, 'b'), Buffer.from('end')];
    const datasync = countDatasync();
    try {
      const streamed = await store.writeStream(name(1), Readable.from(pieces));
      const held = await store.write(name(2), Buffer.from('small'));
      // Both in their temp files, neither flushed nor renamed yet.
      expect({ bytes: streamed.bytes, finals: fs.readdirSync(dir).filter((e) => e.endsWith('.eml')), temps: fs.readdirSync(dir).filter(isTempName).length })
        .toEqual({ bytes: 2 * 1024 * 1024 + 3, finals: [], temps: 2 });
      store.flushWrites();
      await Promise.all([streamed.committed, held.committed]);
    } finally {
      datasync.restore();
    }
    expect(calls).toEqual([{ dirs: [dir], temps: 2, finals: 0, finalsAtEnd: 0, at: expect.any(Number) }]);
    expect(datasync.count()).toBe(2);
    expect(fs.readFileSync(path.join(dir, name(1))).equals(Buffer.concat(pieces))).toBe(true);
    expect(fs.readdirSync(dir).filter(isTempName)).toEqual([]);
    expect(store.count).toBe(2);
  });

  it('a streamed message whose body fails (a connection lost mid-body) never reaches its batch: its temp is removed', async () => {
    const dir = tmp();
    const { syncfs, calls } = recordingSync();
    const store = new FolderStore(dir, undefined, new GroupCommit(syncfs, true));
    const cut = new Readable({ read() {} });
    cut.push(Buffer.alloc(64 * 1024, 'a'));
    setTimeout(() => cut.destroy(new Error('the connection closed during FETCH')), 20);
    await expect(store.writeStream(name(1), cut)).rejects.toThrow('the connection closed during FETCH');
    store.flushWrites();
    await new Promise((r) => setTimeout(r, 300));
    expect({ files: fs.readdirSync(dir), flushes: calls.length, count: store.count }).toEqual({ files: [], flushes: 0, count: 0 });
  });

  it.runIf(process.platform === 'linux')('flushes with the system\'s own `sync -f` here', async () => {
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
