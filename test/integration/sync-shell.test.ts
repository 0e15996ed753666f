import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { GroupCommit } from '../../src/io/group-commit.js';
import { syncFileSystems, syncShellPids, warmSyncShell } from '../../src/io/sync-shell.js';
import { tempDirs } from '../helpers/temp-dirs.js';

const tmp = tempDirs('ibt-syncsh-');

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
/** Fields of /proc/PID/stat after the command name: state, ppid, pgrp, ... */
const statOf = (pid: number) => fs.readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ');

describe.runIf(process.platform === 'linux')('sync shell', () => {
  it('one shell per file system runs `sync -f` for every batch, in a process group of its own', async () => {
    const root = tmp();
    const a = path.join(root, 'INBOX');
    const b = path.join(root, 'Sent');
    fs.mkdirSync(a);
    fs.mkdirSync(b);
    await syncFileSystems([a]);
    const [shell] = syncShellPids();
    for (let i = 0; i < 5; i++) await syncFileSystems([a, b]);
    // The same shell answered all six: this process started no process per batch.
    expect(syncShellPids()).toEqual([shell]);
    const [state, , pgrp] = statOf(shell as number);
    expect({ running: state !== 'Z', ownGroup: Number(pgrp) === shell }).toEqual({ running: true, ownGroup: true });
  });

  it('a shell whose folder is gone is replaced by one started from a folder of the batch', async () => {
    const root = tmp();
    const first = path.join(root, 'first');
    fs.mkdirSync(first);
    // A file system of its own is not at hand: the shell of this one is closed first.
    await syncFileSystems([first]);
    const before = syncShellPids();
    fs.rmSync(first, { recursive: true });
    const next = path.join(root, 'next');
    fs.mkdirSync(next);
    await syncFileSystems([next]);
    const after = syncShellPids();
    expect(after).toHaveLength(before.length);
    expect(after.filter((p) => !before.includes(p))).toHaveLength(1);
  });

  it('fails for a folder that does not exist (the group then flushes file by file)', async () => {
    await expect(syncFileSystems([path.join(tmp(), 'missing')])).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('keeps no process alive: the run ends when its work does, and the shell with it', async () => {
    const dir = tmp();
    const out = path.join(dir, 'probe.mjs');
    const probe = `
import { syncFileSystems, syncShellPids } from ${JSON.stringify(path.resolve('src/io/sync-shell.ts'))};
await syncFileSystems([process.argv[2]]);
console.log(syncShellPids().join(','));
`;
    await build({ stdin: { contents: probe, resolveDir: process.cwd(), loader: 'ts' }, bundle: true, platform: 'node', format: 'esm', outfile: out, logLevel: 'silent' });
    const started = Date.now();
    const run = spawnSync(process.execPath, [out, dir], { encoding: 'utf8', timeout: 20_000 });
    expect({ status: run.status, quick: Date.now() - started < 10_000 }).toEqual({ status: 0, quick: true });
    const shell = Number(run.stdout.trim());
    expect(shell).toBeGreaterThan(0);
    // Its input closed with the process: it ends at once.
    for (let i = 0; i < 50 && alive(shell); i++) await new Promise((r) => setTimeout(r, 20));
    expect(alive(shell) && statOf(shell)[0] !== 'Z').toBe(false);
  }, 30_000);
  it('warmSyncShell starts the shell a later batch uses; a folder that is not there starts none', async () => {
    // /dev/shm is a file system of its own, with no shell from the tests above.
    const dir = fs.mkdtempSync('/dev/shm/ibt-warm-');
    try {
      const before = new Set(syncShellPids());
      warmSyncShell(path.join(dir, 'not-there'));
      await new Promise((r) => setTimeout(r, 200));
      expect(syncShellPids().filter((p) => !before.has(p))).toEqual([]);
      warmSyncShell(dir);
      for (let i = 0; i < 50 && syncShellPids().length === before.size; i++) await new Promise((r) => setTimeout(r, 10));
      const started = syncShellPids().filter((p) => !before.has(p));
      expect(started).toHaveLength(1);
      warmSyncShell(dir);
      await syncFileSystems([dir]);
      // The batch was flushed by the shell started ahead, and no second one was started.
      expect(syncShellPids().filter((p) => !before.has(p))).toEqual(started);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a group commit warms the shell only while it uses one', () => {
    const warmed: string[] = [];
    const group = new GroupCommit(async () => undefined, true, (dir) => warmed.push(dir));
    group.warm('/a');
    group.usable = false;
    group.warm('/b');
    expect(warmed).toEqual(['/a']);
  });
});
