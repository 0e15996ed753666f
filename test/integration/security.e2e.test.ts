import fs from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, type CliResult } from '../helpers/cli.js';
import { startDovecot, type DovecotServer } from '../helpers/dovecot.js';
import { makeMessage } from '../helpers/messages.js';
import { leaves, parseMime } from '../helpers/mime.js';
import { allFiles, readTree, writeWorkspace, type MailboxEntry, type Workspace } from '../helpers/setup.js';
import { notificationYaml, startSmtp, type SmtpSink } from '../helpers/smtp.js';
import { setKeys } from '../helpers/faults.js';
import { startPlainImap, startWiretap } from '../helpers/wiretap.js';

const PW = { a: 'pw-Sec-Alpha-7Q1', b: 'pw-Sec-Bravo-8R2', env: 'pw-Sec-Env-9S3', file: 'pw-Sec-File-0T4', smtp: 'pw-Sec-Smtp-6Y8' };
const WRONG = { imap: 'pw-Sec-Wrong-5X9', smtp: 'pw-Sec-SmtpWrong-3Z7' };
const ALL_SECRETS = [...Object.values(PW), ...Object.values(WRONG)];
const USERS = { a: 'sa@example.org', b: 'sb@example.org', env: 'senv@example.org', file: 'sfile@example.org' };
let server: DovecotServer;
let smtp: SmtpSink;

beforeAll(async () => {
  server = await startDovecot();
  for (const k of ['a', 'b', 'env', 'file'] as const) {
    await server.addUser(USERS[k], PW[k]);
    await server.seed(USERS[k], 'INBOX', [{ raw: makeMessage({ subject: `secret test ${k}` }) }]);
  }
  // A password that also occurs in mail: --verbose logs each file name, which holds the subject's start.
  await server.seed(USERS.a, 'INBOX', [{ raw: makeMessage({ subject: `${PW.a} was my password` }) }]);
  smtp = await startSmtp({ tls: 'starttls', users: { alerts: PW.smtp } });
});

afterAll(async () => {
  await smtp?.stop();
  await server?.stop();
});

/** A password as it would show up anywhere: plain, or inside an AUTH PLAIN / LOGIN exchange. */
function forms(secret: string): string[] {
  const users = [...Object.values(USERS), 'alerts'];
  return [secret, Buffer.from(secret).toString('base64'), ...users.map((u) => Buffer.from(`\0${u}\0${secret}`).toString('base64'))];
}

function expectNoSecret(where: string, text: string | Buffer): void {
  const s = Buffer.isBuffer(text) ? text.toString('latin1') : text;
  for (const secret of ALL_SECRETS) for (const f of forms(secret)) expect(s.includes(f), `${where} contains ${secret}`).toBe(false);
}

function workspace(opts: { wrongImap?: boolean; wrongSmtp?: boolean } = {}): Workspace {
  const mailboxes: MailboxEntry[] = [
    { address: USERS.a, password: PW.a },
    { address: USERS.b, password: opts.wrongImap ? WRONG.imap : PW.b },
    { address: USERS.env, password: '${IBT_SECRET_TEST_PW}' },
    { address: USERS.file, password: '', extra: ["passwordFile: 'imap.secret'"] },
  ];
  const ws = writeWorkspace(server, mailboxes, {
    common: ['retries: 0'],
    notification: notificationYaml(smtp, 'smtp-ca.pem', ["user: 'alerts'", `password: '${opts.wrongSmtp ? WRONG.smtp : PW.smtp}'`]),
  });
  fs.writeFileSync(path.join(ws.dir, 'smtp-ca.pem'), smtp.certPem);
  fs.writeFileSync(path.join(ws.dir, 'imap.secret'), `${PW.file}\n`);
  // An empty password line next to passwordFile: drop it, passwordFile is the source.
  const list = path.join(ws.dir, 'mailboxes_to_backup.yml');
  fs.writeFileSync(list, fs.readFileSync(list, 'utf8').replace("    password: ''\n", ''));
  return ws;
}

const cli = (ws: Workspace, args: string[]) => runCli([...args, '--config', ws.configPath], { env: { IBT_SECRET_TEST_PW: PW.env } });

/** stdout, stderr, every file the tool wrote except the messages, and every mail it sent (decoded). */
function scanAll(label: string, ws: Workspace, results: CliResult[], mailsBefore: number): void {
  results.forEach((r, i) => expectNoSecret(`${label} run ${i} stdout/stderr`, r.stdout + r.stderr));
  for (const f of allFiles(path.join(ws.dir, 'backup')).filter((f) => !f.endsWith('.eml'))) {
    expectNoSecret(`${label}: ${f}`, fs.readFileSync(path.join(ws.dir, 'backup', f)));
  }
  for (const mail of smtp.messages.slice(mailsBefore)) {
    expectNoSecret(`${label}: notification`, mail.raw);
    for (const part of leaves(parseMime(mail.raw))) {
      expectNoSecret(`${label}: notification part ${part.type}`, part.type === 'application/gzip' ? gunzipSync(part.body) : part.body);
    }
  }
}

describe('secrets never leave the configuration', () => {
  it('good, verbose, wrong-password, check, notify --test and config-error runs: no password in console, log, state, lock or mail', async () => {
    const mailsBefore = smtp.messages.length;
    const good = workspace();
    const results = [await cli(good, ['run', '--verbose']), await cli(good, ['run'])];
    expect(results[0]?.code, results[0]?.stderr).toBe(0);
    expect(readTree(good.processFolder).size).toBe(5);
    expect(results[0]?.stdout).toContain('__*** was__');
    results.push(await cli(good, ['check', '--verbose']), await cli(good, ['notify', '--test', '--verbose']));
    expect(results.map((r) => r.code)).toEqual([0, 0, 0, 0]);
    expect(smtp.messages.length - mailsBefore).toBe(3);
    scanAll('good', good, results, mailsBefore);

    const wrong = workspace({ wrongImap: true, wrongSmtp: true });
    const failed = [await cli(wrong, ['run', '--verbose']), await cli(wrong, ['check', '--verbose'])];
    expect(failed[0]?.code).toBe(1);
    expect(failed[0]?.stderr).toContain(`login refused for "${USERS.b}"`);
    expect(failed[0]?.stderr).toContain('The notification e-mail was not sent');
    scanAll('wrong passwords', wrong, failed, smtp.messages.length);

    // Configuration errors, one of them on the password's own line.
    const broken = workspace();
    const list = path.join(broken.dir, 'mailboxes_to_backup.yml');
    const original = fs.readFileSync(list, 'utf8');
    const cases = [
      original.replace(`imapPort: ${server.imapsPort}`, "imapPort: 'not-a-port'"),
      original.replace(`password: '${PW.a}'`, `password: '${PW.a}' trailing'`),
      original.replace(`password: '${PW.b}'`, `password: [${PW.b}]`),
      original.replace(`password: '${PW.a}'`, `password: "${PW.a}`),
    ];
    const errors: CliResult[] = [];
    for (const text of cases) {
      fs.writeFileSync(list, text);
      const r = await cli(broken, ['run', '--verbose']);
      expect(r.code, r.stderr).toBe(2);
      errors.push(r);
    }
    scanAll('config errors', broken, errors, smtp.messages.length);
  }, 120_000);
});

describe('files and folders the tool creates are readable only by the user', () => {
  it.skipIf(process.platform === 'win32')('logs folder and log 0700/0600, state folder and files 0700/0600, messages and archive 0600', async () => {
    const ws = workspace();
    setKeys(ws.configPath, { archiveToZip: 'True' });
    expect((await cli(ws, ['run'])).code).toBe(0);
    const mode = (p: string) => (fs.statSync(p).mode & 0o777).toString(8);
    expect(mode(path.join(ws.dir, 'backup'))).toBe('700');
    expect(mode(ws.outputFolder)).toBe('700');
    const archives = fs.readdirSync(ws.outputFolder);
    expect(archives).toHaveLength(1);
    expect(mode(path.join(ws.outputFolder, archives[0] as string))).toBe('600');
    expect(mode(ws.logsFolder)).toBe('700');
    for (const f of fs.readdirSync(ws.logsFolder)) expect(mode(path.join(ws.logsFolder, f)), f).toBe('600');
    const stateRoot = path.join(ws.processFolder, '.imap-backup-tool');
    expect(mode(ws.processFolder)).toBe('700');
    expect(mode(stateRoot)).toBe('700');
    expect(mode(path.join(stateRoot, 'state'))).toBe('700');
    const stateFiles = fs.readdirSync(path.join(stateRoot, 'state'));
    expect(stateFiles.length).toBe(4);
    for (const f of stateFiles) expect(mode(path.join(stateRoot, 'state', f)), f).toBe('600');
    for (const f of allFiles(ws.processFolder)) expect(mode(path.join(ws.processFolder, f)), f).toBe('600');
    for (const f of allFiles(ws.processFolder)) expect(mode(path.dirname(path.join(ws.processFolder, f))), path.dirname(f)).toBe('700');
  });
});

describe('TLS and plaintext logins', () => {
  const run = async (port: number, extra: string[]) => {
    const ws = writeWorkspace(server, [{ address: USERS.a, password: PW.a, port, extra }], { common: ['retries: 0'] });
    return { ws, r: await runCli(['--config', ws.configPath]) };
  };
  const inClear = (wire: Buffer) => forms(PW.a).some((f) => wire.toString('latin1').includes(f));

  it('tls: none with allowInsecure against a server that refuses plaintext logins (LOGINDISABLED): the password is not sent, the advice says starttls', async () => {
    const tap = await startWiretap(server.imapPort, server.insecureHost);
    const { r } = await run(tap.port, ['tls: none', 'allowInsecure: true']);
    await tap.close();
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('accepts no login without TLS (it announces LOGINDISABLED), so the password was not sent: set tls: starttls');
    expect(r.stderr).not.toContain('check the password');
    expect(inClear(tap.fromClient())).toBe(false);
  });

  it('tls: starttls on the plain port of that server: upgraded first, then logged in; the password never crosses in clear', async () => {
    const tap = await startWiretap(server.imapPort, server.insecureHost);
    const { r, ws } = await run(tap.port, ['tls: starttls']);
    await tap.close();
    expect(r.code, r.stderr).toBe(0);
    expect(readTree(ws.processFolder).size).toBe(2);
    expect(tap.fromClient().toString('latin1')).toMatch(/^\d+ STARTTLS\r\n\x16\x03/);
    expect(inClear(tap.fromClient())).toBe(false);
  });

  it('tls: none with allowInsecure where plaintext is accepted: logs in without TLS as configured, never upgrading on its own', async () => {
    const tap = await startWiretap(server.imapPort, server.host);
    const { r, ws } = await run(tap.port, ['tls: none', 'allowInsecure: true']);
    await tap.close();
    expect(r.code, r.stderr).toBe(0);
    expect(readTree(ws.processFolder).size).toBe(2);
    expect(tap.fromClient().toString('latin1')).not.toContain('STARTTLS');
    expect(inClear(tap.fromClient())).toBe(true);
  });

  it('tls: starttls against a server that offers no STARTTLS (a downgrade): refused before anything is sent', async () => {
    const fake = await startPlainImap();
    const { r } = await run(fake.port, ['tls: starttls']);
    await fake.close();
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('does not offer STARTTLS, so the password would travel unencrypted');
    expect(inClear(fake.fromClient())).toBe(false);
    expect(fake.fromClient().toString('latin1')).not.toMatch(/LOGIN|AUTHENTICATE/);
  });

  it('a server that refuses plaintext logins only when tried (PRIVACYREQUIRED): the advice says starttls, not "check the password"', async () => {
    const fake = await startPlainImap({ refusal: '[PRIVACYREQUIRED] Plaintext authentication disallowed on non-secure (SSL/TLS) connections.' });
    const { r } = await run(fake.port, ['tls: none', 'allowInsecure: true']);
    await fake.close();
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('refuses logins without TLS: set tls: starttls');
    expect(r.stderr).not.toContain('check the password');
  });

  it('SMTP: a self-signed certificate is refused unless its CA is configured; nothing is sent to it', async () => {
    const ws = workspace();
    const config = fs.readFileSync(ws.configPath, 'utf8').replace(/\n\s*tlsCaFile: 'smtp-ca.pem'/, '');
    fs.writeFileSync(ws.configPath, config);
    const before = { mails: smtp.messages.length, logins: smtp.logins.length };
    const r = await cli(ws, ['run']);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/The TLS certificate of the SMTP server .* is not trusted/);
    expect(smtp.messages.length).toBe(before.mails);
    expect(smtp.logins.length).toBe(before.logins);
  });
});
