import { createHash, randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { startDovecot, type DovecotServer } from '../helpers/dovecot.js';
import { makeMessage } from '../helpers/messages.js';
import { allFiles, readTree, writeWorkspace, type Workspace } from '../helpers/setup.js';
import { setKeys, zipEntries } from '../helpers/faults.js';

// A small tmpfs as the process or the output folder (root only; skipped with the reason otherwise).
const USER = 'full@example.org';
const PASS = 'pw-Disk-Full-404';
/** Two small messages and one of 2.7 MB, which is streamed to its file. */
const STREAMED_USER = 'streamed@example.org';
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const OLD_ARCHIVES = ['backup-2020-01-01_000000.zip', 'backup-2020-01-02_000000.zip'];
let server: DovecotServer;
let serverHashes: Set<string>;
const mounts: string[] = [];

function mountTmpfs(dir: string, size: string): string | undefined {
  fs.mkdirSync(dir, { recursive: true });
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0700`, 'tmpfs', dir], { stdio: 'pipe' });
    mounts.push(dir);
    return undefined;
  } catch (err) {
    return `cannot mount a tmpfs (${String((err as { stderr?: Buffer }).stderr ?? err).trim()}): run the tests as root to cover a full disk`;
  }
}
const remount = (dir: string, size: string) => execFileSync('mount', ['-o', `remount,size=${size}`, dir]);

beforeAll(async () => {
  server = await startDovecot();
  await server.addUser(USER, PASS);
  // 4.4 MB in two folders: more than the 2 MB disk.
  // Random, so that the archive does not compress it below the size of the disk either.
  const big = (i: number, bytes = 75_000) => makeMessage({ subject: `fills the disk ${i}`, body: `${randomBytes(bytes).toString('base64').replace(/.{76}/g, '$&\r\n')}\r\n` });
  await server.seed(USER, 'INBOX', Array.from({ length: 30 }, (_, i) => ({ raw: big(i) })));
  await server.seed(USER, 'Sent Items', Array.from({ length: 12 }, (_, i) => ({ raw: big(100 + i) })));
  await server.addUser(STREAMED_USER, PASS);
  await server.seed(STREAMED_USER, 'INBOX', [{ raw: big(200) }, { raw: big(201, 2_000_000) }, { raw: big(202) }]);
  serverHashes = new Set([...(await server.fetchRaw(USER, PASS, 'INBOX')).values(), ...(await server.fetchRaw(USER, PASS, 'Sent Items')).values()].map(sha));
});

afterAll(async () => {
  for (const dir of mounts.reverse()) execFileSync('umount', ['-l', dir]);
  await server?.stop();
});

function workspace(): Workspace {
  const ws = writeWorkspace(server, [{ address: USER, password: PASS, folders: 'INBOX, SENT' }], { common: ['retryDelaySeconds: 0'] });
  setKeys(ws.configPath, { archiveToZip: 'True', cleanProcessFolder: 'True', rollingMethod: "'ITEMS'", deleteBackupsItemsToKeep: '1' });
  fs.mkdirSync(ws.outputFolder, { recursive: true });
  for (const name of OLD_ARCHIVES) fs.writeFileSync(path.join(ws.outputFolder, name), 'an older archive');
  return ws;
}

/** Every .eml on disk is a server message byte for byte: nothing short or empty under a final name. */
function expectOnlyWholeMessages(ws: Workspace): number {
  const files = readTree(ws.processFolder);
  for (const [name, bytes] of files) expect(serverHashes.has(sha(bytes)), `${name} is a whole server message`).toBe(true);
  expect(allFiles(ws.processFolder).filter((f) => f.includes('.ibt-'))).toEqual([]);
  return files.size;
}

describe('disk full', () => {
  it('process folder: the run stops with advice, keeps only whole messages, neither archives, cleans nor rolls; with space the next run completes', async (ctx) => {
    const ws = workspace();
    const skip = mountTmpfs(ws.processFolder, '2m');
    if (skip) return ctx.skip(skip);
    const r = await runCli(['--config', ws.configPath]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`the disk of the process folder ${ws.processFolder} is full \\([\\d.]+ [KM]?B free\\): free space there`));
    expect(r.stderr).toContain('no archive was made, nothing was cleaned and no old archive was deleted');
    const saved = expectOnlyWholeMessages(ws);
    expect(saved).toBeGreaterThan(0);
    expect(saved).toBeLessThan(serverHashes.size);
    expect(fs.readdirSync(ws.outputFolder).sort()).toEqual(OLD_ARCHIVES);
    expect(fs.existsSync(path.join(ws.processFolder, '.imap-backup-tool', 'lock'))).toBe(false);
    console.log(`process folder on a 2 MB tmpfs: ${saved} of ${serverHashes.size} messages saved, exit ${r.code}; ${r.stderr.split('\n').find((l) => l.includes('is full'))}`);

    remount(ws.processFolder, '64m');
    const done = await runCli(['--config', ws.configPath]);
    expect(done.code, done.stderr).toBe(0);
    // Archived (then cleaned, as configured), and the old archives rolled.
    const archives = fs.readdirSync(ws.outputFolder);
    expect(archives).toHaveLength(1);
    const entries = await zipEntries(path.join(ws.outputFolder, archives[0] as string));
    expect(new Set([...entries.values()].map(sha))).toEqual(serverHashes);
    expect(readTree(ws.processFolder).size).toBe(0);
  });

  it('process folder already full: the lock cannot be written; exit 1 with advice and no empty lock left behind', async (ctx) => {
    const ws = workspace();
    const skip = mountTmpfs(ws.processFolder, '1m');
    if (skip) return ctx.skip(skip);
    const filler = path.join(ws.processFolder, 'filler');
    try {
      fs.writeFileSync(filler, Buffer.alloc(2 * 1024 * 1024));
    } catch {
      // Full now, as intended.
    }
    const r = await runCli(['--config', ws.configPath]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`the disk of the process folder ${ws.processFolder} is full`);
    expect(fs.existsSync(path.join(ws.processFolder, '.imap-backup-tool', 'lock'))).toBe(false);
    fs.rmSync(filler);
    remount(ws.processFolder, '64m');
    const done = await runCli(['--config', ws.configPath]);
    expect(done.code, done.stderr).toBe(0);
  });

  it('a streamed message on a full disk: nothing under its name, no temp left, the folder fails with advice; with space the next run saves it', async (ctx) => {
    const ws = writeWorkspace(server, [{ address: STREAMED_USER, password: PASS, folders: 'INBOX' }], { common: ['retryDelaySeconds: 0'] });
    const skip = mountTmpfs(ws.processFolder, '1m');
    if (skip) return ctx.skip(skip);
    const onServer = [...(await server.fetchRaw(STREAMED_USER, PASS, 'INBOX')).values()];
    const r = await runCli(['--config', ws.configPath]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`the disk of the process folder ${ws.processFolder} is full`);
    const saved = readTree(ws.processFolder);
    // The two small ones fit; the large one left nothing behind.
    expect([...saved.values()].map((b) => b.length).sort((a, b) => a - b)).toEqual(onServer.map((b) => b.length).filter((n) => n < 1e6).sort((a, b) => a - b));
    for (const bytes of saved.values()) expect(onServer.some((b) => b.equals(bytes))).toBe(true);
    expect(allFiles(ws.processFolder).filter((f) => f.includes('.ibt-'))).toEqual([]);
    remount(ws.processFolder, '64m');
    const done = await runCli(['--config', ws.configPath]);
    expect(done.code, done.stderr).toBe(0);
    expect(new Set([...readTree(ws.processFolder).values()].map(sha))).toEqual(new Set(onServer.map(sha)));
  });

  it('output folder: the archive fails with advice, nothing is cleaned or rolled, no partial archive is left', async (ctx) => {
    const ws = workspace();
    const skip = mountTmpfs(ws.outputFolder, '1m');
    if (skip) return ctx.skip(skip);
    for (const name of OLD_ARCHIVES) fs.writeFileSync(path.join(ws.outputFolder, name), 'an older archive');
    const r = await runCli(['--config', ws.configPath]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`the disk of ${ws.outputFolder} is full`);
    expect(fs.readdirSync(ws.outputFolder).sort()).toEqual(OLD_ARCHIVES);
    // Not cleaned: every message is still in the process folder.
    expect(expectOnlyWholeMessages(ws)).toBe(serverHashes.size);
    remount(ws.outputFolder, '64m');
    const done = await runCli(['--config', ws.configPath]);
    expect(done.code, done.stderr).toBe(0);
    expect(fs.readdirSync(ws.outputFolder).filter((n) => n.endsWith('.zip'))).toHaveLength(1);
  });
});
