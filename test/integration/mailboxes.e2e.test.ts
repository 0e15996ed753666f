import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { startDovecot, type DovecotServer } from '../helpers/dovecot.js';
import { makeMessage } from '../helpers/messages.js';
import { allFiles, readTree, writeWorkspace } from '../helpers/setup.js';

const PASS = { a: 'pw-Alpha-1234', b: 'pw-Bravo-5678', c: 'pw-Charlie-9012' };
let server: DovecotServer;

beforeAll(async () => {
  server = await startDovecot();
  for (const [u, p] of Object.entries(PASS)) {
    await server.addUser(`${u}@example.org`, p);
    await server.seed(`${u}@example.org`, 'INBOX', [{ raw: makeMessage({ subject: `${u} inbox 1` }) }, { raw: makeMessage({ subject: `${u} inbox 2` }) }]);
  }
  await server.seed('a@example.org', 'Sent Items', [{ raw: makeMessage({ subject: 'sent' }) }]);
  await server.seed('a@example.org', 'Trash', [{ raw: makeMessage({ subject: 'trash' }) }]);
  await server.seed('a@example.org', 'Projects/Alpha', [{ raw: makeMessage({ subject: 'alpha' }) }]);
  await server.seed('a@example.org', 'Projects/Beta', [{ raw: makeMessage({ subject: 'beta' }) }]);
});

afterAll(async () => {
  await server?.stop();
});

describe('many mailboxes and their failures', () => {
  it('a wrong password fails that mailbox only: the others complete, exit 1', async () => {
    const ws = writeWorkspace(server, [
      { address: 'a@example.org', password: PASS.a },
      { address: 'b@example.org', password: 'wrong-password' },
      { address: 'c@example.org', password: PASS.c },
    ], { common: ['retries: 1', 'retryDelaySeconds: 0'] });
    const r = await runCli(['--config', ws.configPath, '--verbose']);
    expect(r.code).toBe(1);
    expect(readTree(path.join(ws.processFolder, 'a@example.org')).size).toBe(2);
    expect(readTree(path.join(ws.processFolder, 'c@example.org')).size).toBe(2);
    expect(fs.existsSync(path.join(ws.processFolder, 'b@example.org', 'INBOX'))).toBe(false);
    expect(r.stderr).toContain('login refused for "b@example.org"');
    expect(r.stderr).toContain('check the password of b@example.org');
    expect(r.stderr + r.stdout).toContain('[PARTIAL] 3 mailboxes');
    const log = fs.readFileSync(path.join(ws.logsFolder, fs.readdirSync(ws.logsFolder)[0] as string), 'utf8');
    for (const p of [...Object.values(PASS), 'wrong-password']) expect(log + r.stdout + r.stderr).not.toContain(p);
  });

  it('--mailbox limits the run to the named mailboxes', async () => {
    const ws = writeWorkspace(server, [{ address: 'a@example.org', password: PASS.a }, { address: 'c@example.org', password: PASS.c }]);
    const r = await runCli(['--config', ws.configPath, '--mailbox', 'c@example.org']);
    expect(r.code, r.stderr).toBe(0);
    expect(fs.readdirSync(ws.processFolder).filter((n) => !n.startsWith('.'))).toEqual(['c@example.org']);
    // Repeated --mailbox flags all count (citty alone keeps only the last one).
    const both = writeWorkspace(server, [{ address: 'a@example.org', password: PASS.a }, { address: 'b@example.org', password: PASS.b }, { address: 'c@example.org', password: PASS.c }]);
    const two = await runCli(['--config', both.configPath, '--mailbox', 'a@example.org', '--mailbox', 'c@example.org']);
    expect(two.code, two.stderr).toBe(0);
    expect(fs.readdirSync(both.processFolder).filter((n) => !n.startsWith('.')).sort()).toEqual(['a@example.org', 'c@example.org']);
    const unknown = await runCli(['--config', ws.configPath, '--mailbox', 'zzz@example.org']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('zzz@example.org');
  });

  it('special-use names resolve, a missing folder fails alone and lists what exists', async () => {
    const ws = writeWorkspace(server, [{ address: 'a@example.org', password: PASS.a, folders: 'inbox, SENT, Nonexistent, TRASH' }]);
    const r = await runCli(['--config', ws.configPath]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('folder "Nonexistent" does not exist on the server; folders there: ');
    expect(r.stderr).toContain('Sent Items');
    const files = allFiles(path.join(ws.processFolder, 'a@example.org'));
    expect(files.map((f) => path.dirname(f)).sort()).toEqual(['SENT', 'TRASH', 'inbox', 'inbox']);
  });

  it("imapFolder '*' takes every selectable folder, minus excludeFolders", async () => {
    const ws = writeWorkspace(server, [{ address: 'a@example.org', password: PASS.a, folders: '*', extra: ["excludeFolders: 'TRASH, Projects/Beta'"] }]);
    const r = await runCli(['--config', ws.configPath]);
    expect(r.code, r.stderr).toBe(0);
    const dirs = [...new Set(allFiles(path.join(ws.processFolder, 'a@example.org')).map((f) => path.dirname(f)))].sort();
    expect(dirs).toEqual(['INBOX', 'Projects/Alpha', 'Sent Items']);
  });

  it('STARTTLS on the plain port works; a login without TLS is refused unless allowed', async () => {
    const ws = writeWorkspace(server, [{ address: 'a@example.org', password: PASS.a, port: server.imapPort }]);
    const r = await runCli(['--config', ws.configPath]);
    expect(r.code, r.stderr).toBe(0);
    expect(readTree(path.join(ws.processFolder, 'a@example.org', 'INBOX')).size).toBe(2);
    const insecure = writeWorkspace(server, [{ address: 'a@example.org', password: PASS.a, port: server.imapPort, extra: ['tls: none'] }]);
    const refused = await runCli(['--config', insecure.configPath]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('a@example.org.tls: is none: the password would cross the network unencrypted');
  });

  it('the server certificate is verified: without its CA the login is refused with advice', async () => {
    const ws = writeWorkspace(server, [{ address: 'a@example.org', password: PASS.a }]);
    const list = fs.readFileSync(path.join(ws.dir, 'mailboxes_to_backup.yml'), 'utf8').replace(/\n\s*tlsCaFile: .*\n/, '\n');
    fs.writeFileSync(path.join(ws.dir, 'mailboxes_to_backup.yml'), list);
    const r = await runCli(['--config', ws.configPath]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('is not trusted');
    expect(r.stderr).toContain('tlsCaFile');
  });

  it('check logs in, lists the resolved folders, and downloads nothing', async () => {
    const ws = writeWorkspace(server, [{ address: 'a@example.org', password: PASS.a, folders: 'INBOX, SENT' }, { address: 'b@example.org', password: PASS.b }]);
    const r = await runCli(['check', '--config', ws.configPath]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('a@example.org: login OK');
    expect(r.stdout).toContain('SENT → Sent Items');
    expect(fs.existsSync(ws.processFolder)).toBe(false);
    fs.writeFileSync(path.join(ws.dir, 'mailboxes_to_backup.yml'), fs.readFileSync(path.join(ws.dir, 'mailboxes_to_backup.yml'), 'utf8').replace(PASS.b, 'nope'));
    const bad = await runCli(['check', '--config', ws.configPath]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('login refused for "b@example.org"');
  });

  it('a configuration error exits 2 with file, key and advice, and no stack trace', async () => {
    const ws = writeWorkspace(server, [{ address: 'a@example.org', password: PASS.a }]);
    fs.writeFileSync(ws.configPath, fs.readFileSync(ws.configPath, 'utf8').replace('archiveToZip: False', 'archiveToZip: perhaps').replace("rollingMethod: 'DAYS'", "rollingMethod: 'WEEKS'"));
    const r = await runCli(['--config', ws.configPath]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${ws.configPath}: storage.archiveToZip: expected True or False, found string 'perhaps'`);
    expect(r.stderr).toContain('storage.rollingMethod');
    expect(r.stderr).not.toMatch(/\n\s+at /);
    const missing = await runCli(['--config', path.join(ws.dir, 'nope.yml')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('nope.yml');
  });

  it('finds configuration.yml in the working directory when --config is not given', async () => {
    const ws = writeWorkspace(server, [{ address: 'c@example.org', password: PASS.c }]);
    const r = await runCli([], { cwd: ws.dir });
    expect(r.code, r.stderr).toBe(0);
    expect(readTree(ws.processFolder).size).toBe(2);
    const none = await runCli([], { cwd: path.dirname(ws.dir) });
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('no configuration.yml found');
  });
});
