import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { GZIP_OVER_BYTES, prepareLog } from '../../src/io/mailer.js';
import { runCli, type CliResult } from '../helpers/cli.js';
import { startDovecot, type DovecotServer } from '../helpers/dovecot.js';
import { makeMessage } from '../helpers/messages.js';
import { decodedSubject, fileName, leaves, parseMime, type MimePart } from '../helpers/mime.js';
import { writeWorkspace, type MailboxEntry, type Workspace } from '../helpers/setup.js';
import { notificationYaml, startSmtp, type SmtpOptions, type SmtpSink } from '../helpers/smtp.js';

const USER1 = 'office@contoso.com';
const PASS1 = 'Mailbox-One-S3cret';
const USER2 = 'contact@contoso.com';
const PASS2 = 'Mailbox-Two-S3cret';
const WRONG = 'Wrong-Pa55word-Typo';
const SMTP_USER = 'alerts';
const SMTP_PASS = 'Smtp-Relay-S3cret';
const SECRETS = [PASS1, PASS2, WRONG, SMTP_PASS];
const SUBJECT = 'Notification form MailboxBackupTool';
const smtpLogin = [`user: '${SMTP_USER}'`, `password: '${SMTP_PASS}'`];

let server: DovecotServer;
const sinks: SmtpSink[] = [];

beforeAll(async () => {
  server = await startDovecot();
  await server.addUser(USER1, PASS1);
  await server.addUser(USER2, PASS2);
  await server.seed(USER1, 'INBOX', [1, 2, 3].map((i) => ({ raw: makeMessage({ subject: `one ${i}` }) })));
  await server.seed(USER2, 'INBOX', [1, 2].map((i) => ({ raw: makeMessage({ subject: `two ${i}` }) })));
}, 120_000);

afterEach(async () => {
  await Promise.all(sinks.splice(0).map((s) => s.stop()));
});

afterAll(async () => {
  await server?.stop();
});

interface Outcome {
  r: CliResult;
  sink: SmtpSink;
  ws: Workspace;
  /** The run's log file, read after the run. */
  log: string;
  logPath: string;
}

async function runWith(smtp: SmtpOptions, notification: string[], opts: { mailboxes?: MailboxEntry[]; prepare?: (ws: Workspace) => void; args?: string[] } = {}): Promise<Outcome> {
  const sink = await startSmtp(smtp);
  sinks.push(sink);
  const mailboxes = opts.mailboxes ?? [{ address: USER1, password: PASS1 }, { address: USER2, password: PASS2 }];
  const ws = writeWorkspace(server, mailboxes, { notification: notificationYaml(sink, 'smtp-ca.pem', notification) });
  fs.writeFileSync(path.join(ws.dir, 'smtp-ca.pem'), sink.certPem);
  opts.prepare?.(ws);
  const r = await runCli([...(opts.args ?? ['run']), '--config', ws.configPath]);
  const logs = fs.existsSync(ws.logsFolder) && fs.statSync(ws.logsFolder).isDirectory() ? fs.readdirSync(ws.logsFolder) : [];
  const logPath = logs.length === 1 ? path.join(ws.logsFolder, logs[0] as string) : '';
  return { r, sink, ws, logPath, log: logPath ? fs.readFileSync(logPath, 'utf8') : '' };
}

interface Mail {
  root: MimePart;
  subject: string;
  text: string;
  html: string;
  attachments: MimePart[];
}

function onlyMail(o: Outcome): Mail {
  expect(o.sink.messages, `${o.r.stdout}\n${o.r.stderr}`).toHaveLength(1);
  const msg = o.sink.messages[0]!;
  const root = parseMime(msg.raw);
  const parts = leaves(root);
  const text = parts.find((p) => p.type === 'text/plain' && !fileName(p));
  const html = parts.find((p) => p.type === 'text/html');
  expect(text, 'a text/plain part').toBeDefined();
  expect(html, 'a text/html part').toBeDefined();
  const attachments = parts.filter((p) => fileName(p) !== undefined);
  expect(root.type).toBe(attachments.length > 0 ? 'multipart/mixed' : 'multipart/alternative');
  // Transfer encodings use CRLF line ends; the builder's text has LF.
  const decode = (p: MimePart) => p.body.toString('utf8').replace(/\r\n/g, '\n');
  return { root, subject: decodedSubject(root), text: decode(text!), html: decode(html!), attachments };
}

/** No password of any mailbox nor of SMTP in the raw mail, the log, or the console. */
function expectNoSecrets(o: Outcome): void {
  const everything = [...o.sink.messages.map((m) => m.raw.toString('latin1')), o.log, o.r.stdout, o.r.stderr].join('\n');
  for (const s of SECRETS) expect(everything, `secret ${s.slice(0, 4)}…`).not.toContain(s);
  // base64 of the raw mail would hide a leak from the check above: decode every part too.
  for (const m of o.sink.messages) for (const p of leaves(parseMime(m.raw))) for (const s of SECRETS) expect(p.body.toString('utf8')).not.toContain(s);
}

/** The attachment is the log as it was when the mail was built: the log goes on only with the send result. */
function expectLogAttached(o: Outcome, mail: Mail): string {
  expect(mail.attachments).toHaveLength(1);
  const att = mail.attachments[0]!;
  expect(fileName(att)).toBe(path.basename(o.logPath));
  const attached = att.body.toString('utf8');
  expect(attached.length).toBeGreaterThan(100);
  expect(o.log.startsWith(attached), 'attachment is the log up to the send').toBe(true);
  expect(attached.trimEnd().split('\n').at(-1)).toMatch(/Sending the \w+ notification e-mail to admin@contoso\.com, second-admin@contoso\.com/);
  return o.log.slice(attached.length);
}

describe('notification e-mail', () => {
  it('587-style STARTTLS: [OK] report, text and HTML parts, the log attached', async () => {
    const o = await runWith({ tls: 'starttls', users: { [SMTP_USER]: SMTP_PASS } }, smtpLogin);
    expect(o.r.code, o.r.stdout + o.r.stderr).toBe(0);
    const mail = onlyMail(o);
    expect(mail.subject).toBe(`${SUBJECT} [OK] 2 mailboxes, 5 new`);
    expect(o.sink.messages[0]!.secure).toBe(true);
    expect(o.sink.messages[0]!.to.sort()).toEqual(['admin@contoso.com', 'second-admin@contoso.com']);
    expect(o.sink.logins).toEqual([{ user: SMTP_USER, secure: true, ok: true }]);
    expect(mail.root.headers.get('auto-submitted')).toBe('auto-generated');
    expect(mail.text).toContain('The mailbox copy has been triggered. The log is attached. Do not reply.');
    expect(mail.text).toMatch(new RegExp(`${USER1}[\\s\\S]*INBOX\\s+3\\s+0\\s+0`));
    expect(mail.text).toContain(`The log is attached as ${path.basename(o.logPath)}`);
    expect(mail.html).toContain('<table');
    expect(mail.html).toContain(`>${USER2}</td>`);
    const after = expectLogAttached(o, mail);
    expect(after).toMatch(/Notification e-mail sent to admin@contoso\.com, second-admin@contoso\.com/);
    expectNoSecrets(o);
  });

  it('465-style implicit TLS (tls: implicit, as the port is random)', async () => {
    const o = await runWith({ tls: 'implicit', users: { [SMTP_USER]: SMTP_PASS } }, [...smtpLogin, "tls: 'implicit'"]);
    expect(o.r.code, o.r.stdout + o.r.stderr).toBe(0);
    const mail = onlyMail(o);
    expect(mail.subject).toBe(`${SUBJECT} [OK] 2 mailboxes, 5 new`);
    expect(o.sink.messages[0]!.secure).toBe(true);
    expectLogAttached(o, mail);
    expectNoSecrets(o);
  });

  it('a server without STARTTLS gets nothing, not a plaintext mail; exit 4 and the log says why', async () => {
    const o = await runWith({ tls: 'none', users: { [SMTP_USER]: SMTP_PASS } }, [...smtpLogin, 'useTLS: True']);
    expect(o.r.code, o.r.stdout + o.r.stderr).toBe(4);
    expect(o.sink.connections).toBeGreaterThan(0);
    expect(o.sink.messages).toHaveLength(0);
    expect(o.sink.logins).toHaveLength(0);
    expect(o.log).toContain('[OK] 2 mailboxes');
    expect(o.log).toMatch(/The notification e-mail was not sent: The SMTP server 127\.0\.0\.1:\d+ \(STARTTLS\) does not offer STARTTLS/);
    expect(o.r.stdout + o.r.stderr).toContain('does not offer STARTTLS');
    expectNoSecrets(o);
  });

  it('a failing mailbox (wrong password) sends [PARTIAL] with the advice', async () => {
    const o = await runWith({ tls: 'starttls', users: { [SMTP_USER]: SMTP_PASS } }, smtpLogin, {
      mailboxes: [{ address: USER1, password: PASS1 }, { address: USER2, password: WRONG }],
    });
    expect(o.r.code, o.r.stdout + o.r.stderr).toBe(1);
    const mail = onlyMail(o);
    expect(mail.subject).toBe(`${SUBJECT} [PARTIAL] 1 of 2 mailboxes failed, 3 new`);
    expect(mail.text).toMatch(new RegExp(`Errors:\\n- ${USER2}: login refused for "${USER2}"[^\\n]*check the password of ${USER2}`));
    expect(mail.html).toContain(`<li>${USER2}: login refused for &quot;${USER2}&quot;`);
    expectLogAttached(o, mail);
    expectNoSecrets(o);
  });

  it('a run that crashes (the process folder is a file) still sends [FAILED] with the error and its log', async () => {
    const o = await runWith({ tls: 'starttls', users: { [SMTP_USER]: SMTP_PASS } }, smtpLogin, {
      prepare: (ws) => {
        fs.mkdirSync(path.dirname(ws.processFolder), { recursive: true });
        fs.writeFileSync(ws.processFolder, 'not a folder');
      },
    });
    expect(o.r.code, o.r.stdout + o.r.stderr).toBe(1);
    const mail = onlyMail(o);
    expect(mail.subject).toMatch(new RegExp(`^${SUBJECT} \\[FAILED\\] run stopped: (EEXIST|ENOTDIR)`));
    expect(mail.text).toContain('stopped with an error after reading its configuration');
    expect(mail.text).toContain(o.ws.processFolder);
    const after = expectLogAttached(o, mail);
    expect(after).toContain('Notification e-mail sent');
    expectNoSecrets(o);
  });

  it('a logs folder that cannot be used still sends [FAILED], saying no log was written', async () => {
    const o = await runWith({ tls: 'starttls', users: { [SMTP_USER]: SMTP_PASS } }, smtpLogin, {
      prepare: (ws) => {
        fs.mkdirSync(path.dirname(ws.logsFolder), { recursive: true });
        fs.writeFileSync(ws.logsFolder, 'not a folder');
      },
    });
    expect(o.r.code).toBe(1);
    const mail = onlyMail(o);
    expect(mail.subject).toContain('[FAILED] run stopped: The logs folder');
    expect(mail.text).toContain('check common.logsFolderFullPath');
    expect(mail.text).toContain('No log file was written for this run');
    expect(mail.attachments).toHaveLength(0);
    expect(o.r.stdout).toContain('Notification e-mail sent');
    expectNoSecrets(o);
  });

  it('a configuration error in a scheduled run is logged and mailed: [FAILED] not started, the problems listed, exit 2', async () => {
    const o = await runWith({ tls: 'starttls', users: { [SMTP_USER]: SMTP_PASS } }, smtpLogin, {
      // One mailbox without its password, the other's port mistyped: nothing may run.
      prepare: (ws) => {
        const list = path.join(ws.dir, 'mailboxes_to_backup.yml');
        fs.writeFileSync(list, fs.readFileSync(list, 'utf8').replace(`    password: '${PASS2}'\n`, '').replace(/imapPort: \d+/, 'imapPort: 99999'));
      },
    });
    expect(o.r.code, o.r.stdout + o.r.stderr).toBe(2);
    expect(fs.existsSync(o.ws.processFolder), 'nothing was backed up').toBe(false);
    const mail = onlyMail(o);
    expect(mail.subject).toBe(`${SUBJECT} [FAILED] not started: mailboxes_to_backup.yml: ${USER1}.imapPort: expected a whole number from 1 to 65535, found number '99999' (+1 more)`);
    expect(mail.text).toContain('did not start: its configuration has 2 problems, so nothing was backed up');
    expect(mail.text).toContain(`- ${path.join(o.ws.dir, 'mailboxes_to_backup.yml')}: ${USER2}.password: is missing`);
    expect(mail.html).toContain(`${USER2}.password: is missing`);
    // Typed as it stands, from any folder: --config of this configuration.
    expect(mail.text).toContain(`Fix them; "imap-backup-tool check --config ${o.ws.configPath}" shows whether the files are right`);
    // The log is where every run's log is, and says the same.
    expect(path.dirname(o.logPath)).toBe(o.ws.logsFolder);
    expect(o.log).toContain('the run did not start');
    expect(o.log).toContain(`${USER2}.password: is missing`);
    const after = expectLogAttached(o, mail);
    expect(after).toContain('Notification e-mail sent');
    // Printed once, not by the run and again by the entry point.
    expect((o.r.stdout + o.r.stderr).split('The configuration has 2 problems').length).toBe(2);
    expectNoSecrets(o);
  });

  it('a missing mailbox list is mailed too; a broken notification section or logs path is not used, and the console still says it all', async () => {
    const missing = await runWith({ tls: 'starttls', users: { [SMTP_USER]: SMTP_PASS } }, smtpLogin, {
      prepare: (ws) => fs.rmSync(path.join(ws.dir, 'mailboxes_to_backup.yml')),
    });
    expect(missing.r.code).toBe(2);
    expect(onlyMail(missing).subject).toMatch(/\[FAILED\] not started: mailboxes_to_backup\.yml: does not exist/);
    expect(missing.log).toContain('does not exist');

    const badMail = await runWith({ tls: 'starttls', users: { [SMTP_USER]: SMTP_PASS } }, [...smtpLogin, "sendOn: 'sometimes'"], {
      mailboxes: [{ address: USER1, password: '' }],
    });
    expect(badMail.r.code).toBe(2);
    expect(badMail.sink.connections, 'the notification settings are in question: not used').toBe(0);
    expect(badMail.log).toContain('mailNotification.sendOn');
    expect(badMail.r.stdout + badMail.r.stderr).toContain(`${USER1}.password: is empty`);

    const badLogs = await runWith({ tls: 'starttls', users: { [SMTP_USER]: SMTP_PASS } }, smtpLogin, {
      mailboxes: [{ address: USER1, password: '' }],
      prepare: (ws) => {
        const cfg = fs.readFileSync(ws.configPath, 'utf8').replace("logsFolderFullPath: 'backup/logs'", 'logsFolderFullPath: [logs, other]');
        fs.writeFileSync(ws.configPath, cfg);
      },
    });
    expect(badLogs.r.code).toBe(2);
    expect(badLogs.log, 'no log where the logs path is in question').toBe('');
    const mail = onlyMail(badLogs);
    expect(mail.text).toContain('No log file was written: the logs path is among the problems');
    expect(mail.text).toContain('common.logsFolderFullPath');
    expect(badLogs.r.stdout + badLogs.r.stderr).toContain(`${USER1}.password: is empty`);
    for (const o of [missing, badMail, badLogs]) expectNoSecrets(o);
  });

  it('a not-started mail never carries a password: one quoted by a YAML error, one written where a file path goes', async () => {
    const listWith = (from: string, to: string) => (ws: Workspace) => {
      const list = path.join(ws.dir, 'mailboxes_to_backup.yml');
      fs.writeFileSync(list, fs.readFileSync(list, 'utf8').replace(from, to));
    };
    // Found in review: the parser's message quoted the line (`…extra characters: >Mailbox-One-S3cret`).
    const yaml = await runWith({ tls: 'starttls', users: { [SMTP_USER]: SMTP_PASS } }, smtpLogin, { prepare: listWith(`password: '${PASS1}'`, `password: >${PASS1}`) });
    expect(yaml.r.code).toBe(2);
    expect(onlyMail(yaml).subject).toContain('a value starting with > or | is read as a block of text; put it in single quotes');
    const file = await runWith({ tls: 'starttls', users: { [SMTP_USER]: SMTP_PASS } }, smtpLogin, { prepare: listWith(`password: '${PASS1}'`, `passwordFile: '${PASS1}'`) });
    expect(file.r.code).toBe(2);
    expect(onlyMail(file).text).toMatch(/passwordFile: cannot read \S*\*\*\*; create it/);
    for (const o of [yaml, file]) expectNoSecrets(o);
  });

  it('a problem elsewhere in common keeps the log; a misspelt key is named where it explains the problem', async () => {
    const o = await runWith({ tls: 'starttls', users: { [SMTP_USER]: SMTP_PASS } }, smtpLogin, {
      prepare: (ws) => {
        fs.writeFileSync(ws.configPath, fs.readFileSync(ws.configPath, 'utf8').replace("mailboxList: 'mailboxes_to_backup.yml'", "mailboxList: 'mailboxes_to_backup.yml'\n  concurrency: 100"));
        const list = path.join(ws.dir, 'mailboxes_to_backup.yml');
        fs.writeFileSync(list, fs.readFileSync(list, 'utf8').replace(`password: '${PASS1}'`, `pasword: '${PASS1}'`));
      },
    });
    expect(o.r.code).toBe(2);
    expect(path.dirname(o.logPath)).toBe(o.ws.logsFolder);
    const mail = onlyMail(o);
    expect(mail.text).toContain('common.concurrency: expected a whole number from 1 to 64');
    expect(mail.text).toContain(`${USER1}.password: is missing`);
    expect(mail.text).toContain(`- mailboxes_to_backup.yml: ${USER1}.pasword is not a setting of the tool, so it is ignored: did you mean password?`);
    expect(o.log).toContain('did you mean password?');
    expectLogAttached(o, mail);
    expectNoSecrets(o);
  });

  it('run --dry-run with a configuration error mails nothing and writes no log', async () => {
    const o = await runWith({ tls: 'starttls', users: { [SMTP_USER]: SMTP_PASS } }, smtpLogin, {
      mailboxes: [{ address: USER1, password: '' }],
      args: ['run', '--dry-run'],
    });
    expect(o.r.code).toBe(2);
    expect(o.sink.connections).toBe(0);
    expect(o.logPath).toBe('');
    expect(o.r.stderr).toContain(`${USER1}.password: is empty`);
  });

  it('a misspelt setting is named in the mail: the run is OK, its subject says a setting was ignored', async () => {
    const o = await runWith({ tls: 'starttls', users: { [SMTP_USER]: SMTP_PASS } }, smtpLogin, {
      prepare: (ws) => fs.writeFileSync(ws.configPath, fs.readFileSync(ws.configPath, 'utf8').replace("rollingMethod: 'DAYS'", "rolingMethod: 'DAYS'")),
    });
    expect(o.r.code, o.r.stdout + o.r.stderr).toBe(0);
    const mail = onlyMail(o);
    expect(mail.subject).toBe(`${SUBJECT} [OK] 2 mailboxes, 5 new, 1 setting ignored`);
    expect(mail.text).toContain('- configuration.yml: storage.rolingMethod is not a setting of the tool, so it is ignored: did you mean rollingMethod?');
    expectNoSecrets(o);
  });

  it('sendOn: failure sends nothing after an OK run', async () => {
    const o = await runWith({ tls: 'starttls', users: { [SMTP_USER]: SMTP_PASS } }, [...smtpLogin, "sendOn: 'failure'"]);
    expect(o.r.code).toBe(0);
    expect(o.sink.connections).toBe(0);
    expect(o.log).toContain('sendOn is failure: no notification e-mail');
  });
});

describe('notify --test and check', () => {
  it('notify --test sends a [TEST] message; without a user there is no AUTH', async () => {
    const o = await runWith({ tls: 'starttls' }, [], { args: ['notify', '--test'] });
    expect(o.r.code, o.r.stdout + o.r.stderr).toBe(0);
    const mail = onlyMail(o);
    expect(mail.subject).toBe(`${SUBJECT} [TEST] notification settings work`);
    expect(mail.text).toMatch(/It went through 127\.0\.0\.1:\d+ without login/);
    expect(o.sink.logins).toHaveLength(0);
    expect(o.sink.messages[0]!.secure).toBe(true);
  });

  it('check logs in to SMTP too: OK, then a wrong SMTP password fails with advice', async () => {
    const good = await runWith({ tls: 'starttls', users: { [SMTP_USER]: SMTP_PASS } }, smtpLogin, { args: ['check'] });
    expect(good.r.code, good.r.stdout + good.r.stderr).toBe(0);
    expect(good.r.stdout).toMatch(/Notification: SMTP login as alerts OK at 127\.0\.0\.1:\d+ \(STARTTLS\)/);
    expect(good.sink.messages).toHaveLength(0);
    const bad = await runWith({ tls: 'starttls', users: { [SMTP_USER]: 'something else' } }, smtpLogin, { args: ['check'] });
    expect(bad.r.code).toBe(1);
    expect(bad.r.stdout + bad.r.stderr).toMatch(/Notification: Login as "alerts" refused by the SMTP server 127\.0\.0\.1:\d+ \(STARTTLS\)\. It said: 535[^\n]*Check mailNotification\.user and password/);
    expect(bad.r.stdout + bad.r.stderr).not.toContain(SMTP_PASS);
  });
});

describe('log attachment', () => {
  it('a log over 5 MB is gzipped, and a secret that slipped into it is redacted', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ibt-log-'));
    const file = path.join(dir, 'mailbackup-2024-05-01_020000.log');
    const line = '2024-05-01 02:00:00 [info] office@contoso.com / INBOX: saved a message\n';
    fs.writeFileSync(file, `${line.repeat(Math.ceil(GZIP_OVER_BYTES / line.length) + 10)}leak ${SMTP_PASS}\n`);
    const prepared = await prepareLog(file, [SMTP_PASS]);
    expect(prepared.info.attachment).toMatchObject({ filename: 'mailbackup-2024-05-01_020000.log.gz', gzipped: true });
    expect(prepared.info.attachment!.bytes).toBeLessThan(GZIP_OVER_BYTES / 10);
    const unpacked = gunzipSync(prepared.attachment!.content).toString('utf8');
    expect(unpacked.endsWith('leak ***\n')).toBe(true);
    expect(unpacked.length).toBe(fs.statSync(file).size - SMTP_PASS.length + 3);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
