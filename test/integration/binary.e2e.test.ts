import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MALLOC_TUNABLE } from '../../src/cli/allocator.js';
import { CLI, runCli } from '../helpers/cli.js';
import { startDovecot, type DovecotServer } from '../helpers/dovecot.js';
import { makeMessage } from '../helpers/messages.js';
import { allFiles, archivingConfig, readTree, soleArchive, writeWorkspace, type Workspace } from '../helpers/setup.js';

// The Linux single-file executable, as an admin gets it: copied alone into a folder with only its
// configuration beside it, no Node and no node_modules anywhere above it, started from another folder.
const ROOT = path.resolve(__dirname, '../..');
const BUILT = path.join(ROOT, 'dist/bin/imap-backup-tool-linux-x64');
const NAME = path.basename(BUILT);
const USER = 'office@contoso.com';
const PASS = 'Bin-S3cret-pw';
const VERSION = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version as string;
// SEA binaries honour NODE_OPTIONS; whatever the test runner set must not reach the "admin's" run.
// Nor a malloc setting, which would stop the restart for malloc.
const CLEAN_ENV = { NODE_OPTIONS: '', NODE_PATH: '', GLIBC_TUNABLES: '' };

let server: DovecotServer;
let cliWs: Workspace;
let binWs: Workspace;

/** A binary older than the bundle under test would test yesterday's code: rebuild (linux-x64 only). */
function ensureBinary(): void {
  const fresh = fs.existsSync(BUILT) && fs.statSync(BUILT).mtimeMs >= fs.statSync(path.join(ROOT, 'dist/main.cjs')).mtimeMs;
  if (fresh) return;
  // --no-bundle: other test files are running dist/main.cjs right now; it must not be rewritten.
  execFileSync(process.execPath, ['build/sea.mjs', '--target', 'linux-x64', '--no-zip', '--no-bundle'], { cwd: ROOT, stdio: 'inherit', timeout: 280_000 });
}

function noNodeModulesAbove(dir: string): boolean {
  for (let d = dir; ; d = path.dirname(d)) {
    if (fs.existsSync(path.join(d, 'node_modules'))) return false;
    if (path.dirname(d) === d) return true;
  }
}

const runBin = (ws: Workspace, args: string[]) => runCli(args, { command: [path.join(ws.dir, NAME)], cwd: '/', env: CLEAN_ENV });

beforeAll(async () => {
  ensureBinary();
  server = await startDovecot();
  await server.addUser(USER, PASS);
  await server.seed(USER, 'INBOX', [
    { raw: makeMessage({ messageId: '<bin-1@example.org>', subject: 'Quarterly report' }) },
    { raw: makeMessage({ subject: '=?UTF-8?B?WmHFvMOzxYLEhyBnxJnFm2zEhSBqYcW6xYQ=?=' }) },
    { raw: makeMessage({ messageId: null, subject: 'no id' }) },
  ]);
  await server.seed(USER, 'Sent Items', [{ raw: makeMessage({ subject: 'sent one' }) }]);
  await server.seed(USER, 'Grüße', [{ raw: makeMessage({ subject: 'non-ascii folder' }) }]);
  const mailbox = { address: USER, password: PASS, folders: 'INBOX, SENT, Grüße' };
  cliWs = writeWorkspace(server, [mailbox]);
  binWs = writeWorkspace(server, [mailbox]);
  fs.copyFileSync(BUILT, path.join(binWs.dir, NAME));
  fs.chmodSync(path.join(binWs.dir, NAME), 0o755);
}, 300_000);

afterAll(async () => {
  await server?.stop();
  for (const ws of [cliWs, binWs]) if (ws) fs.rmSync(ws.dir, { recursive: true, force: true });
});

describe('the Linux single-file executable', () => {
  it('stands alone: nothing but itself and its configuration, no node_modules on its path', () => {
    expect(fs.readdirSync(binWs.dir).sort()).toEqual(['configuration.yml', 'dovecot-ca.pem', 'imap-backup-tool-linux-x64', 'mailboxes_to_backup.yml']);
    expect(noNodeModulesAbove(binWs.dir)).toBe(true);
  });

  it('prints its version', async () => {
    const r = await runBin(binWs, ['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(VERSION);
    expect(r.stderr).toBe('');
  });

  it('finds configuration.yml beside itself and backs up the same files as the CLI', async () => {
    const viaCli = await runCli(['--config', cliWs.configPath], { env: CLEAN_ENV });
    expect(viaCli.code, viaCli.stdout + viaCli.stderr).toBe(0);
    // No --config, started in /: the configuration is found beside the executable.
    const viaBin = await runBin(binWs, []);
    expect(viaBin.stderr).toBe('');
    expect(viaBin.code, viaBin.stdout).toBe(0);
    expect(viaBin.stdout).toContain(binWs.configPath);
    const fromCli = readTree(cliWs.processFolder);
    const fromBin = readTree(binWs.processFolder);
    expect(fromCli.size).toBe(5);
    expect([...fromBin.keys()].sort()).toEqual([...fromCli.keys()].sort());
    for (const [name, bytes] of fromCli) expect(fromBin.get(name)?.equals(bytes), name).toBe(true);
    expect(allFiles(binWs.processFolder)).toEqual(allFiles(cliWs.processFolder));
    expect(fs.readdirSync(binWs.logsFolder)).toHaveLength(1);
  }, 120_000);

  it('archives with its worker threads, and verify reads the archive back (both from inside the executable)', async () => {
    const r = await runBin(binWs, ['--config', archivingConfig(binWs)]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/5 entries, .* verified \(every entry read back, CRCs match\)/);
    const { zipPath, names } = soleArchive(binWs);
    expect(names).toEqual([...readTree(binWs.processFolder).keys()].sort());
    const v = await runBin(binWs, ['verify', zipPath]);
    expect(v.code, v.stdout + v.stderr).toBe(0);
    expect(v.stdout).toContain('5 entries');
  }, 120_000);

  it('check logs in from the binary too', async () => {
    const r = await runBin(binWs, ['check']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain(`${USER}: login OK`);
  });

  it('init writes the samples beside itself, then refuses to overwrite them', async () => {
    const dir = fs.mkdtempSync(path.join(path.dirname(binWs.dir), 'ibt-init-'));
    try {
      fs.copyFileSync(BUILT, path.join(dir, NAME));
      const ws = { ...binWs, dir };
      const first = await runBin(ws, ['init']);
      expect(first.code, first.stderr).toBe(0);
      for (const f of ['configuration.yml', 'mailboxes_to_backup.yml']) {
        expect(fs.readFileSync(path.join(dir, f), 'utf8')).toBe(fs.readFileSync(path.join(ROOT, 'dist-config', f), 'utf8'));
      }
      fs.writeFileSync(path.join(dir, 'configuration.yml'), '# edited by the admin\n');
      const second = await runBin(ws, ['init']);
      expect(second.code).toBe(2);
      expect(second.stderr).toContain(`${path.join(dir, 'configuration.yml')} already exists`);
      expect(fs.readFileSync(path.join(dir, 'configuration.yml'), 'utf8')).toBe('# edited by the admin\n');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  // The admin of the original tool: its configuration.yml beside the executable, no mailbox list, no dist-config.
  it('without the mailbox list, says to run its own init, which writes the list and keeps configuration.yml', async () => {
    const dir = fs.mkdtempSync(path.join(path.dirname(binWs.dir), 'ibt-init-'));
    try {
      fs.copyFileSync(BUILT, path.join(dir, NAME));
      const ws = { ...binWs, dir };
      const config = fs.readFileSync(binWs.configPath, 'utf8').replace(/mailboxList: .*\n/, "mailboxList: 'office.yml'\n");
      expect(config).toContain("mailboxList: 'office.yml'");
      fs.writeFileSync(path.join(dir, 'configuration.yml'), config);
      const missing = await runBin(ws, ['check']);
      expect(missing.code).toBe(2);
      expect(missing.stderr).toContain(`${path.join(dir, 'office.yml')}: does not exist; run "${path.join(dir, NAME)} init" to write a commented sample of it beside configuration.yml`);
      expect(missing.stderr).not.toContain('dist-config');
      const init = await runBin(ws, ['init']);
      expect(init.code, init.stderr).toBe(0);
      expect(fs.readFileSync(path.join(dir, 'configuration.yml'), 'utf8')).toBe(config);
      expect(fs.readFileSync(path.join(dir, 'office.yml'), 'utf8')).toBe(fs.readFileSync(path.join(ROOT, 'dist-config', 'mailboxes_to_backup.yml'), 'utf8'));
      expect(fs.existsSync(path.join(dir, 'mailboxes_to_backup.yml'))).toBe(false);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  // Found in review: "imap-backup-tool notify --test" and "imap-backup-tool notify --help", which this admin cannot type (the folder is not on PATH).
  it('names itself by its full path in the commands its advice gives', async () => {
    const r = await runBin(binWs, ['notify']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`notify only sends a test message: use "${path.join(binWs.dir, NAME)} notify --test".\nRun "${path.join(binWs.dir, NAME)} notify --help" for the commands and flags.\n`);
  });

  it('schedule names the binary itself and the absolute configuration beside it', async () => {
    const r = await runBin(binWs, ['schedule', '--platform', 'windows', '--time', '03:15']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`/TR "\\"${path.join(binWs.dir, NAME)}\\" --config \\"${binWs.configPath}\\""`);
    expect(r.stdout).toContain('/ST 03:15');
  });
  it('starts itself again once, in the same process, with the malloc mmap threshold fixed, for the runs that pay for it (see src/cli/allocator.ts)', async () => {
    /** The GLIBC_TUNABLES values the process had while it ran. */
    const tunablesSeen = async (config: string): Promise<Set<string>> => {
      const child = spawn(path.join(binWs.dir, NAME), ['--config', config], { cwd: '/', env: { ...process.env, ...CLEAN_ENV }, stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const seen = new Set<string>();
      const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
      let done = false;
      void exited.then(() => (done = true));
      while (!done) {
        try {
          // Between fork and exec the child still carries this test runner's environment; the
          // image is read first because exec only ever goes one way, so the environment read
          // after it is the executable's.
          if (fs.readlinkSync(`/proc/${child.pid}/exe`) === path.join(binWs.dir, NAME)) {
            const env = fs.readFileSync(`/proc/${child.pid}/environ`, 'utf8').split('\0');
            seen.add(env.find((v) => v.startsWith('GLIBC_TUNABLES=')) ?? 'none');
          }
        } catch {
          // Between the exit and the wait.
        }
        await new Promise((r) => setTimeout(r, 2));
      }
      expect(await exited).toBe(0);
      expect(stderr).toBe('');
      return seen;
    };
    const restarted = `GLIBC_TUNABLES=${MALLOC_TUNABLE}`;
    // A first backup (no marks of an earlier run): every message is downloaded.
    fs.rmSync(path.join(binWs.processFolder, '.imap-backup-tool', 'state'), { recursive: true, force: true });
    const logs = () => (fs.existsSync(binWs.logsFolder) ? fs.readdirSync(binWs.logsFolder).length : 0);
    const logsBefore = logs();
    expect(await tunablesSeen(binWs.configPath)).toContain(restarted);
    // It started again before anything was written: one run, one log.
    expect(logs()).toBe(logsBefore + 1);
    // The next run only looks for new mail: no second start-up.
    expect(fs.existsSync(path.join(binWs.processFolder, '.imap-backup-tool', 'state', `${USER}.json`))).toBe(true);
    expect([...(await tunablesSeen(binWs.configPath))]).toEqual(['GLIBC_TUNABLES=']);
    // The zip stage reads every file again.
    expect(await tunablesSeen(archivingConfig(binWs))).toContain(restarted);
  }, 60_000);
});
