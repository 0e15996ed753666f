import { describe, expect, it } from 'vitest';
import { buildConfig } from '../../src/core/config.js';
import type { NotificationConfig } from '../../src/core/config-types.js';
import { ConfigError } from '../../src/core/errors.js';
import { redactSecrets } from '../../src/core/redact.js';
import { buildNotification, esc, redactHtml, statusLine, type LogInfo, type NotificationOutcome } from '../../src/core/notification.js';
import { emptyFolderReport, type FolderReport, type MailboxReport, type RunReport } from '../../src/core/report.js';
import { smtpAdvice, transportOptions } from '../../src/io/mailer.js';

const config: NotificationConfig = {
  enabled: true, server: 'smtp.contoso.com', port: 587, user: 'alerts', password: 'Smtp-S3cret', from: 'alerts@contoso.com',
  to: ['admin@contoso.com'], subject: 'Backup <report>', message: 'The mailbox copy has been triggered.\nDo not reply.',
  useTLS: true, tls: 'starttls', tlsOptions: { rejectUnauthorized: true }, sendOn: 'always',
};
const ctx = { host: 'srv01', version: '1.2.3', now: new Date(2024, 4, 1, 2, 5, 0), log: { path: '/logs/mailbackup-2024-05-01_020000.log', attachment: { filename: 'mailbackup-2024-05-01_020000.log', bytes: 2048, gzipped: false, originalBytes: 2048 } } as LogInfo };

const folder = (name: string, f: Partial<FolderReport> = {}): FolderReport => ({ ...emptyFolderReport(name, name), seconds: 1.5, ...f });
const mailbox = (name: string, folders: FolderReport[], m: Partial<MailboxReport> = {}): MailboxReport => ({ mailbox: name, ok: true, folders, seconds: 2, ...m });
const report = (mailboxes: MailboxReport[], r: Partial<RunReport> = {}): RunReport => ({
  startedAt: new Date(2024, 4, 1, 2, 0, 0), finishedAt: new Date(2024, 4, 1, 2, 3, 12), dryRun: false, interrupted: false, mailboxes, ...r,
});
const ok3 = report([
  mailbox('a@contoso.com', [folder('INBOX', { newCount: 1200, present: 10, bytes: 5 * 1024 * 1024 }), folder('Sent', { newCount: 4 })]),
  mailbox('b@contoso.com', [folder('INBOX')]),
  mailbox('c@contoso.com', [folder('INBOX')]),
]);
const partial = report([
  mailbox('a@contoso.com', [folder('INBOX', { newCount: 1204 })]),
  mailbox('b@contoso.com', [], { ok: false, error: 'login refused for "b@contoso.com" at imap:993: check the password of b@contoso.com in the mailbox list' }),
  mailbox('c@contoso.com', [folder('INBOX'), folder('Archive', { failed: 2 })]),
]);
const allFailed = report([mailbox('a@contoso.com', [], { ok: false, error: 'nothing answers at imap:993' })]);

describe('subject status', () => {
  const cases: [string, NotificationOutcome, string][] = [
    ['all OK', { kind: 'report', report: ok3 }, 'Backup <report> [OK] 3 mailboxes, 1,204 new'],
    ['one mailbox', { kind: 'report', report: report([mailbox('a@x', [folder('INBOX', { newCount: 1 })])]) }, 'Backup <report> [OK] 1 mailbox, 1 new'],
    ['failures', { kind: 'report', report: partial }, 'Backup <report> [PARTIAL] 2 of 3 mailboxes failed, 1,204 new'],
    ['every mailbox failed', { kind: 'report', report: allFailed }, 'Backup <report> [FAILED] 1 of 1 mailbox failed, 0 new'],
    ['interrupted', { kind: 'report', report: { ...ok3, interrupted: true } }, 'Backup <report> [PARTIAL] 3 mailboxes, interrupted, 1,204 new'],
    ['archive failed', { kind: 'report', report: { ...ok3, archive: { entries: 0, bytes: 0, archiveBytes: 0, seconds: 1, verified: false, error: 'disk full' } } }, 'Backup <report> [PARTIAL] 3 mailboxes, archive failed, 1,204 new'],
    ['crash', { kind: 'failure', error: new Error('EEXIST: file already exists,\nmkdir /x'), startedAt: new Date() }, 'Backup <report> [FAILED] run stopped: EEXIST: file already exists, mkdir /x'],
    ['test', { kind: 'test' }, 'Backup <report> [TEST] notification settings work'],
    ['settings ignored', { kind: 'report', report: { ...ok3, ignoredSettings: ['configuration.yml: storage.rolingMethod is not a setting of the tool, so it is ignored: did you mean rollingMethod?'] } }, 'Backup <report> [OK] 3 mailboxes, 1,204 new, 1 setting ignored'],
    ['configuration, one problem', { kind: 'failure', error: new ConfigError([{ file: 'C:\\backup\\mailboxes_to_backup.yml', key: 'a@x.password', message: 'is missing' }]), startedAt: new Date() }, 'Backup <report> [FAILED] not started: mailboxes_to_backup.yml: a@x.password: is missing'],
    ['configuration, three', { kind: 'failure', error: new ConfigError([{ file: '/etc/ibt/configuration.yml', key: '', message: 'is not valid YAML' }, { file: '/x', key: 'k', message: 'm' }, { file: '/x', key: 'k', message: 'm' }]), startedAt: new Date() }, 'Backup <report> [FAILED] not started: configuration.yml: is not valid YAML (+2 more)'],
  ];
  it.each(cases)('%s', (_name, outcome, subject) => {
    expect(buildNotification(outcome, config, ctx).subject).toBe(subject);
  });

  it('clips a long error to one short line', () => {
    const line = statusLine({ kind: 'failure', error: new Error('x'.repeat(500)), startedAt: new Date() });
    expect(line.length).toBeLessThan(130);
    expect(line.endsWith('…')).toBe(true);
  });
});

describe('body', () => {
  it('lists the settings ignored, in both parts', () => {
    const w = 'configuration.yml: storage.rolingMethod is not a setting of the tool, so it is ignored: did you mean rollingMethod?';
    const r = report([mailbox('a@x', [folder('INBOX', { newCount: 1 })])]);
    const mail = buildNotification({ kind: 'report', report: { ...r, ignoredSettings: [w] } }, config, ctx);
    expect(mail.text).toContain(`Settings ignored (not settings of the tool, so their default is in force; most likely a typo):\n- ${w}`);
    expect(mail.html).toContain(`<li>${esc(w)}</li>`);
    expect(buildNotification({ kind: 'report', report: r }, config, ctx).text).not.toContain('Settings ignored');
  });


  it('of a run that did not start lists every configuration problem with its file, and says nothing was done', () => {
    const error = new ConfigError([{ file: '/srv/mailboxes_to_backup.yml', key: 'a@x.password', message: 'is missing' }, { file: '/srv/configuration.yml', key: 'storage.rollingMethod', message: "expected one of 'DAYS', 'ITEMS'" }]);
    const mail = buildNotification({ kind: 'failure', error, startedAt: new Date(2024, 4, 1, 2, 0, 0) }, config, ctx);
    expect(mail.text).toContain('did not start: its configuration has 2 problems, so nothing was backed up, archived or deleted');
    expect(mail.text).toContain('- /srv/mailboxes_to_backup.yml: a@x.password: is missing\n- /srv/configuration.yml: storage.rollingMethod: expected one of');
    expect(mail.html).toContain('<li>/srv/configuration.yml: storage.rollingMethod: expected one of &#39;DAYS&#39;');
    expect(mail.text).not.toContain('after reading its configuration');
  });

  // Found in review: the mail said "imap-backup-tool check", which the single-file executable's admin cannot type (its folder is seldom on PATH).
  it.each<[string, string]>([
    ['/opt/mb/imap-backup-tool-linux-x64 check --config /opt/mb/configuration.yml', 'Fix it; "/opt/mb/imap-backup-tool-linux-x64 check --config /opt/mb/configuration.yml" shows whether'],
    ["/opt/mb/imap-backup-tool-linux-x64 check --config '/srv/Mail Backup/configuration.yml'", "Fix it; /opt/mb/imap-backup-tool-linux-x64 check --config '/srv/Mail Backup/configuration.yml' shows whether"],
    ['"C:\\Mail Backup\\imap-backup-tool-win-x64.exe" check --config C:\\MB\\configuration.yml', 'Fix it; "C:\\Mail Backup\\imap-backup-tool-win-x64.exe" check --config C:\\MB\\configuration.yml (in PowerShell, put & and a space before it) shows whether'],
  ])('of a run that did not start names the check command as the admin types it: %s', (check, want) => {
    const error = new ConfigError([{ file: '/srv/mailboxes_to_backup.yml', key: 'a@x.password', message: 'is missing' }]);
    const mail = buildNotification({ kind: 'failure', error, startedAt: new Date(2024, 4, 1, 2, 0, 0) }, config, { ...ctx, check });
    expect(mail.text).toContain(want);
    expect(mail.html).toContain(esc(want));
    expect(mail.text).not.toContain('"imap-backup-tool check"');
  });


  it('has the message, the per-folder table, sums and the log in both parts', () => {
    const mail = buildNotification({ kind: 'report', report: ok3 }, config, ctx);
    expect(mail.text.startsWith('The mailbox copy has been triggered.\nDo not reply.\n\n[OK] 3 mailboxes, 1,204 new')).toBe(true);
    expect(mail.text).toMatch(/Mailbox \/ folder\s+new\s+present\s+failed\s+bytes\s+seconds/);
    expect(mail.text).toMatch(/ {2}INBOX\s+1,200\s+10\s+0\s+5\.0 MB\s+1\.5/);
    expect(mail.text).toContain('2024-05-01 02:00:00 to 2024-05-01 02:03:12 (3 min 12 s)');
    expect(mail.text).toContain('The log is attached as mailbackup-2024-05-01_020000.log (2.0 KB). It is on srv01 at /logs/mailbackup-2024-05-01_020000.log.');
    expect(mail.text).not.toContain('Errors:');
    expect(mail.html).toContain('The mailbox copy has been triggered.<br>Do not reply.');
    expect(mail.html).toMatch(/<tr style="font-weight:bold;"><td[^>]*>a@contoso\.com<\/td>/);
    expect(mail.html).toMatch(/<td[^>]*>\u00a0\u00a0INBOX<\/td><td[^>]*>1,200<\/td><td[^>]*>10<\/td><td[^>]*>0<\/td><td[^>]*>5\.0 MB<\/td><td[^>]*>1\.5<\/td>/);
  });

  it('lists every error with its advice, and marks failed rows', () => {
    const mail = buildNotification({ kind: 'report', report: partial }, config, ctx);
    expect(mail.text).toContain('Errors:\n- b@contoso.com: login refused for "b@contoso.com" at imap:993: check the password of b@contoso.com in the mailbox list\n- c@contoso.com / Archive: 2 messages could not be saved; the log names them');
    expect(mail.html).toContain('<li>b@contoso.com: login refused for &quot;b@contoso.com&quot; at imap:993');
    expect(mail.html).toMatch(/<tr style="color:#b00;"><td[^>]*>\u00a0\u00a0Archive<\/td>/);
  });

  it('renders the archive and what rolling deleted', () => {
    const r = { ...ok3, archive: { path: '/out/backup-2024-05-01_020312.zip', entries: 1214, bytes: 5 * 1024 * 1024, archiveBytes: 3 * 1024 * 1024, seconds: 4, verified: true, rolling: { method: 'ITEMS' as const, removed: ['backup-2024-04-27_020000.zip'], kept: ['a', 'b', 'c'] } } };
    const mail = buildNotification({ kind: 'report', report: r }, config, ctx);
    expect(mail.text).toContain('Archive: /out/backup-2024-05-01_020312.zip, 1,214 entries, 5.0 MB in 3.0 MB, verified');
    expect(mail.text).toContain('Rolling (ITEMS): deleted backup-2024-04-27_020000.zip; 3 kept');
    expect(mail.html).toContain('<li>Archive: /out/backup-2024-05-01_020312.zip, 1,214 entries, 5.0 MB in 3.0 MB, verified</li>');
    expect(mail.html).toContain('<li>Rolling (ITEMS): deleted backup-2024-04-27_020000.zip; 3 kept</li>');
  });

  it('reports a crash with its error and the log', () => {
    const mail = buildNotification({ kind: 'failure', error: new Error('EEXIST: mkdir /x/process'), startedAt: new Date(2024, 4, 1, 2, 0, 0) }, config, ctx);
    expect(mail.text).toContain('stopped with an error after reading its configuration');
    expect(mail.text).toContain('- EEXIST: mkdir /x/process');
    expect(mail.text).toContain('The log is attached');
    expect(mail.html).toContain('<li>EEXIST: mkdir /x/process</li>');
  });

  const logCases: [string, LogInfo, string][] = [
    ['gzipped', { path: '/l/x.log', attachment: { filename: 'x.log.gz', bytes: 700 * 1024, gzipped: true, originalBytes: 6 * 1024 * 1024 } }, 'The log is attached gzipped as x.log.gz (700.0 KB; 6.0 MB unpacked, over the 5 MB limit for a plain attachment). It is on srv01 at /l/x.log.'],
    ['too large', { path: '/l/x.log', notAttached: 'it is 9.0 MB even gzipped, more than mail servers accept' }, 'The log is not attached: it is 9.0 MB even gzipped, more than mail servers accept. It is on srv01 at /l/x.log.'],
    ['no log', {}, 'No log file was written for this run'],
  ];
  it.each(logCases)('log line: %s', (_name, log, expected) => {
    expect(buildNotification({ kind: 'report', report: ok3 }, config, { ...ctx, log }).text).toContain(expected);
  });

  it('escapes everything in the HTML part', () => {
    const evil = report([mailbox('<script>alert(1)</script>@x', [folder('A&B "quoted" \'x\'', { error: '<b>bad</b>' })])]);
    const mail = buildNotification({ kind: 'report', report: evil }, { ...config, message: '<img src=x onerror=alert(1)>' }, ctx);
    expect(mail.html).not.toMatch(/<script|<img|<b>bad/);
    expect(mail.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;@x');
    expect(mail.html).toContain('A&amp;B &quot;quoted&quot; &#39;x&#39;');
    expect(mail.html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(esc('<&>"\'')).toBe('&lt;&amp;&gt;&quot;&#39;');
  });

  it('the test message names the route, never the password', () => {
    const mail = buildNotification({ kind: 'test' }, config, ctx);
    expect(mail.text).toContain('It went through smtp.contoso.com:587 as alerts. Runs send their report to admin@contoso.com after every run.');
    expect(mail.text + mail.html).not.toContain(config.password);
  });
});

describe('secrets and transport', () => {
  it('redacts every secret, longest first', () => {
    expect(redactSecrets('pw abc and abcdef', ['abc', 'abcdef', 'x'])).toBe('pw *** and ***');
  });

  it("a secret with & < > \" ' that reaches an error is redacted in the HTML part too, where it was escaped", () => {
    const secret = `Tr0ub&dor'3<"x">`;
    const report: RunReport = {
      startedAt: new Date(), finishedAt: new Date(), dryRun: false, interrupted: false,
      mailboxes: [{ mailbox: 'a@x.test', ok: false, error: `server said: BAD LOGIN a@x.test ${secret} (imap:993)`, folders: [], seconds: 0 }],
    };
    const mail = buildNotification({ kind: 'report', report }, config, ctx);
    expect(mail.html).toContain(esc(secret));
    const html = redactHtml(mail.html, [secret]);
    expect(html).not.toContain(esc(secret));
    expect(html).not.toContain('Tr0ub');
    expect(html).toContain('server said: BAD LOGIN a@x.test ***');
    expect(redactSecrets(mail.text, [secret])).not.toContain('Tr0ub');
  });

  const transports: [string, Partial<NotificationConfig>, Record<string, unknown>][] = [
    ['465 implicit', { port: 465, tls: 'implicit' }, { secure: true, requireTLS: false }],
    ['587 STARTTLS required', { tls: 'starttls' }, { secure: false, requireTLS: true }],
    ['useTLS False', { tls: 'none', useTLS: false }, { secure: false, requireTLS: false }],
    ['no login without user', { user: '' }, { auth: undefined }],
    ['login with user', {}, { auth: { user: 'alerts', pass: 'Smtp-S3cret' } }],
    ['CA and verification', { tlsOptions: { rejectUnauthorized: false, ca: 'PEM' } }, { tls: { rejectUnauthorized: false, ca: 'PEM' } }],
  ];
  it.each(transports)('%s', (_name, c, expected) => {
    expect(transportOptions({ ...config, ...c })).toMatchObject(expected);
  });

  const advice: [string, unknown, RegExp][] = [
    ['refused', Object.assign(new Error('connect ECONNREFUSED'), { code: 'ESOCKET', originalCode: 'ECONNREFUSED' }), /^Nothing answers at the SMTP server smtp\.contoso\.com:587 \(STARTTLS\): check mailNotification\.server and port/],
    ['auth', Object.assign(new Error('Invalid login: 535 nope'), { code: 'EAUTH', response: '535 nope' }), /^Login as "alerts" refused .* It said: 535 nope\. Check mailNotification\.user and password/],
    ['no STARTTLS', Object.assign(new Error('Error upgrading connection with STARTTLS: 502 no'), { code: 'ETLS', command: 'STARTTLS', response: '502 no' }), /does not offer STARTTLS, so the report and the SMTP password would have travelled in plaintext; nothing was sent/],
    ['certificate', Object.assign(new Error('self-signed certificate'), { code: 'ESOCKET' }), /TLS certificate .* not trusted .*mailNotification\.tlsCaFile/],
  ];
  it.each(advice)('advice: %s', (_name, err, expected) => {
    expect(smtpAdvice(config, err)).toMatch(expected);
  });
});

describe('mailNotification TLS mode from the original keys and the optional tls key', () => {
  const mode = (keys: Record<string, unknown>) => {
    const main = { common: {}, storage: {}, mailNotification: { send_notification: true, server: 's', from: 'f@x', to: 't@x', ...keys } };
    return buildConfig({ main, mailboxListPath: '/x/m.yml', mailboxes: { 'a@b.c': { password: 'p', imapHost: 'h' } } }, { configPath: '/x/configuration.yml', env: {}, readTextFile: () => undefined }).notification.tls;
  };
  const cases: [string, Record<string, unknown>, string][] = [
    ['default 587 with useTLS', {}, 'starttls'],
    ['port 465', { port: 465, useTLS: true }, 'implicit'],
    ['useTLS False', { port: 25, useTLS: 'False' }, 'none'],
    ['tls: implicit on another port', { port: 2465, tls: 'implicit' }, 'implicit'],
    ['tls: starttls overrides useTLS False', { useTLS: false, tls: 'STARTTLS' }, 'starttls'],
  ];
  it.each(cases)('%s', (_name, keys, expected) => {
    expect(mode(keys)).toBe(expected);
  });

  it('an unknown tls value is a configuration error naming the key', () => {
    expect(() => mode({ tls: 'ssl' })).toThrow(ConfigError);
    expect(() => mode({ tls: 'ssl' })).toThrow(/mailNotification\.tls: expected one of 'implicit', 'starttls', 'none'/);
  });
});
