import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { archiveFileName } from '../../src/core/retention.js';
import { runCli } from '../helpers/cli.js';
import { startDovecot, type DovecotServer } from '../helpers/dovecot.js';
import { makeMessage } from '../helpers/messages.js';
import { allFiles, readTree, writeWorkspace, type Workspace } from '../helpers/setup.js';
import { readZip } from '../helpers/zip.js';

const USER = 'office@contoso.com';
const PASS = 'Archive-pw-77';
const FOLDERS = 'INBOX, Archive/2023, Grüße';
const MESSAGES = 9;
const DAY = 24 * 60 * 60 * 1000;
const OURS = /^backup-\d{4}-\d\d-\d\d_\d{6}(-\d+)?\.zip$/;

let server: DovecotServer;

beforeAll(async () => {
  server = await startDovecot();
  await server.addUser(USER, PASS);
  await server.seed(USER, 'INBOX', [
    { raw: makeMessage({ subject: 'Re: M3 Forecast' }) },
    { raw: makeMessage({ subject: '=?UTF-8?B?WmHFvMOzxYLEhyBnxJnFm2zEhSBqYcW6xYQ=?=' }) },
    { raw: makeMessage({ subject: 'attachment', body: `${'x'.repeat(300_000)}\r\n` }) },
    { raw: makeMessage({ subject: 'four' }) },
    { raw: makeMessage({ subject: 'five' }) },
  ]);
  await server.seed(USER, 'Archive/2023', [{ raw: makeMessage({ subject: 'archived one' }) }, { raw: makeMessage({ subject: 'archived two' }) }]);
  await server.seed(USER, 'Grüße', [{ raw: makeMessage({ subject: 'Grüße aus Łódź' }) }, { raw: makeMessage({ subject: 'nine' }) }]);
}, 120_000);

afterAll(async () => {
  await server?.stop();
});

/** A workspace in the original format, with these storage keys replaced. */
function workspace(storage: Record<string, string>): Workspace {
  const ws = writeWorkspace(server, [{ address: USER, password: PASS, folders: FOLDERS }]);
  let text = fs.readFileSync(ws.configPath, 'utf8');
  for (const [key, value] of Object.entries({ archiveToZip: 'True', ...storage })) {
    const line = new RegExp(`^  ${key}: .*$`, 'm');
    text = line.test(text) ? text.replace(line, `  ${key}: ${value}`) : text.replace('storage:\n', `storage:\n  ${key}: ${value}\n`);
  }
  fs.writeFileSync(ws.configPath, text);
  return ws;
}

const archivesIn = (dir: string) => (fs.existsSync(dir) ? fs.readdirSync(dir).filter((n) => OURS.test(n) && fs.statSync(path.join(dir, n)).isFile()).sort() : []);
const put = (file: string, data = 'x', mtime?: Date) => {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, data);
  if (mtime) fs.utimesSync(file, mtime, mtime);
};

/** The process folder's .eml files, '/'-separated like ZIP entry names. */
const emlTree = (processFolder: string) => new Map([...readTree(processFolder)].map(([rel, data]) => [rel.split(path.sep).join('/'), data]));

async function expectArchiveEquals(zipPath: string, tree: Map<string, Buffer>): Promise<void> {
  const entries = await readZip(zipPath);
  expect([...entries.keys()].sort()).toEqual([...tree.keys()].sort());
  for (const [name, data] of tree) expect(entries.get(name)?.equals(data), name).toBe(true);
  const test = spawnSync('unzip', ['-tq', zipPath]);
  expect(test.status, test.stdout.toString()).toBe(0);
}

describe('archive, verify, clean and roll with the original configuration', () => {
  let first: { ws: Workspace; zip: string };

  it('archives the process folder byte for byte, and only the messages', async () => {
    const ws = workspace({});
    put(path.join(ws.processFolder, 'README.txt'), 'an admin note');
    put(path.join(ws.processFolder, USER, 'INBOX', 'notes.txt'), 'an admin note');
    const r = await runCli(['--config', ws.configPath]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const archives = archivesIn(ws.outputFolder);
    expect(archives).toHaveLength(1);
    expect(fs.readdirSync(ws.outputFolder)).toEqual(archives);
    const zip = path.join(ws.outputFolder, archives[0] as string);
    const tree = emlTree(ws.processFolder);
    expect(tree.size).toBe(MESSAGES);
    await expectArchiveEquals(zip, tree);
    expect(r.stdout).toContain(`Archive: ${zip}, ${MESSAGES} entries`);
    expect(r.stdout).toMatch(/verified/);
    const log = fs.readFileSync(path.join(ws.logsFolder, fs.readdirSync(ws.logsFolder)[0] as string), 'utf8');
    expect(log).toContain(`Archive: ${zip}`);
    first = { ws, zip };
  });

  it('verify reads every entry: exit 0 on a good archive, 1 on a damaged or missing one', async () => {
    const good = await runCli(['verify', first.zip]);
    expect(good.code, good.stdout + good.stderr).toBe(0);
    expect(good.stdout).toContain(`OK, ${MESSAGES} entries`);
    const bytes = fs.readFileSync(first.zip);
    // A byte inside the first entry's compressed data.
    const at = 30 + bytes.readUInt16LE(26) + bytes.readUInt16LE(28) + 20;
    bytes.writeUInt8(bytes.readUInt8(at) ^ 0x55, at);
    const damagedPath = path.join(first.ws.dir, 'damaged.zip');
    fs.writeFileSync(damagedPath, bytes);
    const damaged = await runCli(['verify', damagedPath]);
    expect(damaged.code).toBe(1);
    expect(damaged.stdout + damaged.stderr).toContain('DAMAGED');
    const missing = await runCli(['verify', path.join(first.ws.dir, 'nope.zip')]);
    expect(missing.code).toBe(1);
    expect(missing.stdout + missing.stderr).toContain('No archive at');
  });

  it('cleaning empties the process folder of what the tool wrote, leaves foreign files, and the next run downloads all again', async () => {
    const ws = workspace({ cleanProcessFolder: 'True' });
    const foreign = [path.join(ws.processFolder, 'README.txt'), path.join(ws.processFolder, USER, 'INBOX', 'notes.txt'), path.join(ws.processFolder, 'scans', 'scan.pdf')];
    for (const f of foreign) put(f, 'admin');
    const r = await runCli(['--config', ws.configPath]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain(`Cleaned: ${MESSAGES} files removed`);
    expect(readTree(ws.processFolder).size).toBe(0);
    // The marks are gone; the record of the folders' local names stays (the next archive names them alike).
    expect(allFiles(ws.processFolder)).toEqual([path.join('.imap-backup-tool', 'names', `${USER}.json`), 'README.txt', path.join(USER, 'INBOX', 'notes.txt'), path.join('scans', 'scan.pdf')].sort());
    const [zip] = archivesIn(ws.outputFolder);
    expect((await readZip(path.join(ws.outputFolder, zip as string))).size).toBe(MESSAGES);
    const again = await runCli(['--config', ws.configPath]);
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(again.stdout).toContain(`[OK] 1 mailbox, ${MESSAGES} new`);
    const archives = archivesIn(ws.outputFolder);
    expect(archives).toHaveLength(2);
    const [a, b] = await Promise.all(archives.map((n) => readZip(path.join(ws.outputFolder, n))));
    expect([...(b as Map<string, Buffer>).keys()].sort()).toEqual([...(a as Map<string, Buffer>).keys()].sort());
    for (const f of foreign) expect(fs.existsSync(f)).toBe(true);
  });

  /** A prepared output folder: our names, the original tool's, foreign files, a .partial, a folder. */
  function prepare(outputFolder: string, now: Date) {
    const ago = (days: number, seconds = 0) => new Date(now.getTime() - days * DAY - seconds * 1000);
    const original = (d: Date, micros: string) => archiveFileName(d).replace('.zip', `${micros}.zip`);
    const named = {
      ours10: archiveFileName(ago(10)),
      ours4: archiveFileName(ago(4)),
      ours1: archiveFileName(ago(1)),
      ours1b: archiveFileName(ago(1), 2),
      original30: original(ago(30), '123456'),
      original2: original(ago(2, 5), '000042'),
    };
    // Old archives with fresh mtimes and fresh ones with old mtimes: the name's date decides.
    put(path.join(outputFolder, named.ours10), 'zip', ago(0));
    put(path.join(outputFolder, named.ours4), 'zip', ago(0));
    put(path.join(outputFolder, named.original30), 'zip', ago(0));
    put(path.join(outputFolder, named.ours1), 'zip', ago(40));
    put(path.join(outputFolder, named.ours1b), 'zip', ago(40));
    put(path.join(outputFolder, named.original2), 'zip', ago(40));
    const foreign = ['photos.zip', 'notes.txt', 'backup-old.zip', 'Backup-2001-01-01_000000.zip'];
    for (const f of foreign) put(path.join(outputFolder, f), 'foreign', ago(60));
    // Left by a killed run: deleted by the next run that holds the lock, never rolled as an archive.
    put(path.join(outputFolder, `${archiveFileName(ago(50))}.partial`), 'partial', ago(60));
    fs.mkdirSync(path.join(outputFolder, archiveFileName(ago(70))));
    return { named, foreign: [...foreign, archiveFileName(ago(70))] };
  }

  it('DAYS rolling deletes only its own archives older than N days, by the date in the name', async () => {
    const ws = workspace({ rollingMethod: "'DAYS'", deleteOlderBackupThanDays: '3' });
    const { named, foreign } = prepare(ws.outputFolder, new Date());
    const r = await runCli(['--config', ws.configPath]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const left = fs.readdirSync(ws.outputFolder).sort();
    const fresh = archivesIn(ws.outputFolder).filter((n) => !Object.values(named).includes(n));
    expect(fresh).toHaveLength(1);
    expect(left).toEqual([...foreign, named.ours1, named.ours1b, named.original2, ...fresh].sort());
    expect(r.stdout).toMatch(/Rolling \(DAYS\): deleted .*3 kept|Rolling \(DAYS\): deleted /);
    for (const gone of [named.ours10, named.ours4, named.original30]) expect(r.stdout).toContain(gone);
    expect(r.stdout + r.stderr).toMatch(/deleted backup-.*\.zip\.partial, left over from an interrupted run/);
  });

  it("ITEMS rolling ('items', any case) keeps the newest N, this run's archive among them", async () => {
    const ws = workspace({ rollingMethod: "'items'", deleteBackupsItemsToKeep: '3' });
    const { named, foreign } = prepare(ws.outputFolder, new Date());
    const r = await runCli(['--config', ws.configPath]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const fresh = archivesIn(ws.outputFolder).filter((n) => !Object.values(named).includes(n));
    expect(fresh).toHaveLength(1);
    // Newest first: this run's, then ours1b (suffix -2) and ours1 from the same second.
    expect(fs.readdirSync(ws.outputFolder).sort()).toEqual([...foreign, ...fresh, named.ours1b, named.ours1].sort());
    expect(r.stdout).toContain('Rolling (ITEMS): deleted');
  });

  it('--dry-run prints the rolling plan and changes nothing', async () => {
    const ws = workspace({ rollingMethod: "'ITEMS'", deleteBackupsItemsToKeep: '2' });
    const { named } = prepare(ws.outputFolder, new Date());
    const before = fs.readdirSync(ws.outputFolder).sort();
    const r = await runCli(['--config', ws.configPath, '--dry-run']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/would delete backup-.*\.zip\.partial, left over from an interrupted run/);
    expect(fs.readdirSync(ws.outputFolder).sort()).toEqual(before);
    expect(fs.existsSync(ws.processFolder) ? readTree(ws.processFolder).size : 0).toBe(0);
    for (const gone of [named.ours1, named.original2, named.ours4, named.original30, named.ours10]) expect(r.stdout).toMatch(new RegExp(`would delete ${gone.replace(/\./g, '\\.')}: not one of the newest 2`));
    expect(r.stdout).toContain(`would keep ${named.ours1b}`);
  });

  it('a failed archive leaves the process folder and the old archives alone, and the run is partial', async () => {
    const ws = workspace({ cleanProcessFolder: 'True', deleteOlderBackupThanDays: '1' });
    fs.mkdirSync(path.dirname(ws.outputFolder), { recursive: true });
    fs.writeFileSync(ws.outputFolder, 'a file where the output folder should be');
    const r = await runCli(['--config', ws.configPath]);
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stdout + r.stderr).toContain('a file is in the way');
    expect(r.stdout + r.stderr).toContain('[PARTIAL]');
    expect(r.stdout).toContain('Rolling (DAYS): skipped, the archive failed');
    expect(readTree(ws.processFolder).size).toBe(MESSAGES);
  });

  it('a failed archive never rotates away the last good archives', async () => {
    const ws = workspace({ deleteOlderBackupThanDays: '1' });
    const { named } = prepare(ws.outputFolder, new Date());
    const before = fs.readdirSync(ws.outputFolder).sort();
    // Root ignores permissions; the immutable flag stops even root from creating files there.
    const root = process.getuid?.() === 0;
    const lock = root ? spawnSync('chattr', ['+i', ws.outputFolder]) : (fs.chmodSync(ws.outputFolder, 0o555), { status: 0 });
    if (lock.status !== 0) return; // no chattr on this file system: covered by the test above
    try {
      const r = await runCli(['--config', ws.configPath]);
      expect(r.code, r.stdout + r.stderr).toBe(1);
      expect(r.stdout).toContain('Archive: FAILED');
      expect(r.stdout).toContain('Rolling (DAYS): skipped, the archive failed');
      expect(fs.readdirSync(ws.outputFolder).sort()).toEqual(before);
      expect(before).toContain(named.ours10);
    } finally {
      if (root) execFileSync('chattr', ['-i', ws.outputFolder]);
      else fs.chmodSync(ws.outputFolder, 0o755);
    }
  });
});
