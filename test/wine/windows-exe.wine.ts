import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { startDovecot, type DovecotServer } from '../helpers/dovecot.js';
import { makeMessage } from '../helpers/messages.js';
import { archivingConfig, readTree, soleArchive, writeWorkspace, type Workspace } from '../helpers/setup.js';

// Run by test/wine/run.sh, which builds the .exe and sets WINEPREFIX to a throw-away prefix.
const ROOT = path.resolve(__dirname, '../..');
const EXE = path.join(ROOT, 'dist/bin/imap-backup-tool-win-x64.exe');
const VERSION = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version as string;
const USER = 'office@contoso.com';
const PASS = 'W1ne-S3cret-pw';

/** Wine shows the Linux root as drive Z:. */
const winPath = (p: string) => `Z:${p.replace(/\//g, '\\')}`;

interface WineResult { code: number | null; stdout: string; stderr: string; ms: number }

/** Wine gives a Windows program EBADF on pipes, so its output goes to files. */
async function wine(args: string[], program = EXE): Promise<WineResult> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ibt-wine-out-'));
  const out = fs.openSync(path.join(dir, 'stdout'), 'w');
  const err = fs.openSync(path.join(dir, 'stderr'), 'w');
  const started = Date.now();
  try {
    const code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn('wine', [program, ...args], {
        cwd: dir,
        stdio: ['ignore', out, err],
        env: { ...process.env, WINEDEBUG: '-all', NODE_OPTIONS: '' },
      });
      const timer = setTimeout(() => child.kill('SIGKILL'), 150_000);
      child.on('error', reject);
      child.on('close', (c) => { clearTimeout(timer); resolve(c); });
    });
    const read = (f: string) => fs.readFileSync(path.join(dir, f), 'utf8');
    return { code, stdout: read('stdout'), stderr: read('stderr'), ms: Date.now() - started };
  } finally {
    fs.closeSync(out);
    fs.closeSync(err);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

let server: DovecotServer;
let cliWs: Workspace;
let wineWs: Workspace;

beforeAll(async () => {
  if (!process.env.WINEPREFIX) throw new Error('run this through npm run test:wine (it sets WINEPREFIX)');
  // Under Wine's default Windows 7 Node refuses to start (exit 216).
  const cfg = await wine(['-v', 'win10'], 'winecfg');
  expect(cfg.code).toBe(0);
  server = await startDovecot();
  await server.addUser(USER, PASS);
  await server.seed(USER, 'INBOX', [
    { raw: makeMessage({ messageId: '<wine-1@example.org>', subject: 'Quarterly report' }) },
    { raw: makeMessage({ subject: '=?UTF-8?B?WmHFvMOzxYLEhyBnxJnFm2zEhSBqYcW6xYQ=?=' }) },
    { raw: makeMessage({ subject: 'CON: a\\b/c <x> "y" | z? * ../../etc/passwd' }) },
  ]);
  await server.seed(USER, 'Grüße', [{ raw: makeMessage({ subject: 'non-ascii folder' }) }]);
  const mailbox = { address: USER, password: PASS, folders: 'INBOX, Grüße' };
  cliWs = writeWorkspace(server, [mailbox]);
  wineWs = writeWorkspace(server, [mailbox]);
});

afterAll(async () => {
  await server?.stop();
  for (const ws of [cliWs, wineWs]) if (ws) fs.rmSync(ws.dir, { recursive: true, force: true });
});

describe('the Windows .exe under Wine', () => {
  it('--version', async () => {
    const r = await wine(['--version']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe(VERSION);
    console.log(`--version under Wine: ${r.ms} ms`);
  });

  it('init --dir writes both samples, with Windows line endings, and refuses a second time', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ibt-wine-init-'));
    try {
      const first = await wine(['init', '--dir', winPath(dir)]);
      expect(first.code, first.stderr).toBe(0);
      const written = fs.readFileSync(path.join(dir, 'configuration.yml'), 'utf8');
      expect(written).toBe(fs.readFileSync(path.join(ROOT, 'dist-config/configuration.yml'), 'utf8').replace(/\n/g, '\r\n'));
      expect(fs.existsSync(path.join(dir, 'mailboxes_to_backup.yml'))).toBe(true);
      const second = await wine(['init', '--dir', winPath(dir)]);
      expect(second.code).toBe(2);
      expect(second.stderr).toContain('already exists');
      expect(fs.readFileSync(path.join(dir, 'configuration.yml'), 'utf8')).toBe(written);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('check logs in to the test Dovecot over 127.0.0.1', async () => {
    const r = await wine(['check', '--config', winPath(wineWs.configPath)]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain(`${USER}: login OK`);
    expect(r.stdout).toContain('Grüße');
  });

  it('a real backup writes the same files as the CLI', async () => {
    const viaCli = await runCli(['--config', cliWs.configPath]);
    expect(viaCli.code, viaCli.stdout + viaCli.stderr).toBe(0);
    const r = await wine(['--config', winPath(wineWs.configPath)]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const fromCli = readTree(cliWs.processFolder);
    const fromWine = readTree(wineWs.processFolder);
    expect(fromCli.size).toBe(4);
    expect([...fromWine.keys()].sort()).toEqual([...fromCli.keys()].sort());
    for (const [name, bytes] of fromCli) expect(fromWine.get(name)?.equals(bytes), name).toBe(true);
  });

  it('archives with its worker threads on Windows: every message in the zip, read back by unzip and verify', async () => {
    const r = await wine(['--config', winPath(archivingConfig(wineWs))]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/4 entries, .* verified \(every entry read back, CRCs match\)/);
    const { zipPath, names } = soleArchive(wineWs);
    expect(names).toEqual([...readTree(wineWs.processFolder).keys()].sort());
    const v = await wine(['verify', winPath(zipPath)]);
    expect(v.code, v.stdout + v.stderr).toBe(0);
  });

  it('schedule prints the schtasks line with the exe and the absolute configuration', async () => {
    const r = await wine(['schedule', '--config', winPath(wineWs.configPath), '--time', '03:30']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`/TR "\\"${winPath(EXE)}\\" --config \\"${winPath(wineWs.configPath)}\\""`);
    expect(r.stdout).toContain('/SC DAILY /ST 03:30 /RU SYSTEM /F');
  });
});
