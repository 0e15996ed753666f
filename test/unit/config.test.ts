import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { buildConfig } from '../../src/core/config.js';
import { ConfigError } from '../../src/core/errors.js';
import { loadConfig, locateConfig } from '../../src/io/config-files.js';
import { ORIGINAL_CONFIG, ORIGINAL_MAILBOXES } from '../helpers/config-fixture.js';

function writeFiles(config: string, mailboxes: string, extra: Record<string, string> = {}): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ibt-config-'));
  fs.writeFileSync(path.join(dir, 'configuration.yml'), config);
  fs.writeFileSync(path.join(dir, 'mailboxes_to_backup.yml'), mailboxes);
  for (const [name, text] of Object.entries(extra)) fs.writeFileSync(path.join(dir, name), text);
  return path.join(dir, 'configuration.yml');
}

function issuesOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err.issues.map((i) => `${path.basename(i.file)}|${i.key}|${i.message}`);
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('loading the original tool files unchanged', () => {
  it('reads every key with its meaning', () => {
    const file = writeFiles(ORIGINAL_CONFIG, ORIGINAL_MAILBOXES);
    const c = loadConfig(file, {});
    expect(c.archiveToZip).toBe(true);
    expect(c.cleanProcessFolder).toBe(false);
    expect(c.rollingMethod).toBe('ITEMS');
    expect(c.deleteBackupsItemsToKeep).toBe(3);
    expect(c.notification).toMatchObject({ enabled: true, server: 'smtp.contoso.com', port: 587, useTLS: true, to: ['admin@contoso.com'], sendOn: 'always' });
    expect(c.mailboxes.map((m) => [m.address, m.login, m.tls, m.port])).toEqual([
      ['office@contoso.com', 'office@contoso.com', 'implicit', 993],
      ['contact@mailbox.com', 'contact', 'implicit', 993],
    ]);
    expect(c.mailboxes[1]?.folders).toEqual({ kind: 'list', names: ['INBOX', 'SENT', 'DRAFT'] });
    expect(c.secrets.sort()).toEqual(['P@ssvvOrD', 'P@ssw0rd', 'P@ssw0rd']);
    expect(c.concurrency).toBe(4);
    expect(c.zipCompressionLevel).toBe(6);
  });

  it('resolves relative paths against the configuration file, not the working directory', () => {
    const file = writeFiles(ORIGINAL_CONFIG.replace('c:\\mailbox_backup\\process', 'data/process').replace("mailboxList: 'mailboxes_to_backup.yml'", "mailboxList: 'lists/mb.yml'"), '', { 'lists-placeholder': '' });
    fs.mkdirSync(path.join(path.dirname(file), 'lists'));
    fs.writeFileSync(path.join(path.dirname(file), 'lists', 'mb.yml'), ORIGINAL_MAILBOXES);
    const c = loadConfig(file, {});
    expect(c.processFolder).toBe(path.join(path.dirname(file), 'data', 'process'));
    expect(c.mailboxListPath).toBe(path.join(path.dirname(file), 'lists', 'mb.yml'));
  });

  it.each<[string, string]>([
    ['00731234', '00731234'],
    ['1e5', '1e5'],
    ['0x1F', '0x1F'],
    ['12345678', '12345678'],
    ['true', 'true'],
    ["'007'", '007'],
    ['*Secret1', '*Secret1'],
    ['&Sec x', '&Sec x'],
    ['!Secret1', '!Secret1'],
    ['!Se x', '!Se x'],
  ])('an unquoted password %s is the text as written, not what YAML makes of it', (written, want) => {
    const mailboxes = `a@x.org:\n  password: ${written}\n  imapHost: h\n  imapFolder: INBOX\n`;
    const config = ORIGINAL_CONFIG.replace(/mailNotification:[\s\S]*$/, `mailNotification:\n  send_notification: True\n  server: smtp.x.org\n  user: 0042\n  password: ${written}\n  from: a@x.org\n  to: b@x.org\n`);
    const c = loadConfig(writeFiles(config, mailboxes), {});
    expect(c.mailboxes[0]?.password).toBe(want);
    expect(c.notification.password).toBe(want);
    expect(c.notification.user).toBe('0042');
  });

  it.each<[string, string]>([
    ['outputFolderFullPath', '"c:\\backup\\temp\\new"'],
    ['processFolderFullPath', '"C:\\new folder"'],
  ])('a Windows path in double quotes that YAML turns into control characters (%s) is refused with the fix', (key, written) => {
    const config = ORIGINAL_CONFIG.replace(new RegExp(`${key}: .*`), `${key}: ${written}`);
    expect(issuesOf(() => loadConfig(writeFiles(config, ORIGINAL_MAILBOXES), {}))).toEqual([
      `configuration.yml|storage.${key}|contains a control character (a tab, a line break or a backspace), most likely from \\t, \\n or \\b between double quotes: put Windows paths in single quotes, e.g. 'c:\\backup\\temp'`,
    ]);
  });

  it('a password shared through a YAML anchor and alias resolves as YAML says (one password, several mailboxes)', () => {
    const mailboxes = "a@x.org:\n  password: &shared 'P@ssw0rd'\n  imapHost: h\n  imapFolder: INBOX\nb@x.org:\n  password: *shared\n  imapHost: h\n  imapFolder: INBOX\n";
    const c = loadConfig(writeFiles(ORIGINAL_CONFIG, mailboxes), {});
    expect(c.mailboxes.map((m) => m.password)).toEqual(['P@ssw0rd', 'P@ssw0rd']);
  });

  it('takes passwords from the environment and from files', () => {
    const mailboxes = `a@x.org:\n  password: '\${IBT_PW}'\n  imapHost: h\n  imapFolder: INBOX\nb@x.org:\n  passwordFile: 'b.secret'\n  imapHost: h\n`;
    const file = writeFiles(ORIGINAL_CONFIG, mailboxes, { 'b.secret': 's3cret-from-file\n' });
    const c = loadConfig(file, { IBT_PW: 'from-env' });
    expect(c.mailboxes.map((m) => m.password)).toEqual(['from-env', 's3cret-from-file']);
    expect(c.mailboxes[1]?.folders).toEqual({ kind: 'all' });
  });
});

describe('every problem reported at once, with file, key and advice', () => {
  it.each([
    ['missing mailbox list', ORIGINAL_CONFIG.replace('mailboxes_to_backup.yml', 'nope.yml'), ORIGINAL_MAILBOXES, ['nope.yml||does not exist']],
    ['yaml syntax error', ORIGINAL_CONFIG.replace('storage:', 'storage: [oops'), ORIGINAL_MAILBOXES, ['configuration.yml|line']],
    ['duplicate keys', `${ORIGINAL_CONFIG}storage:\n  archiveToZip: False\n`, ORIGINAL_MAILBOXES, ['configuration.yml|line']],
    ['wrong types', ORIGINAL_CONFIG.replace('archiveToZip: True', 'archiveToZip: maybe').replace('deleteOlderBackupThanDays: 3', 'deleteOlderBackupThanDays: -1').replace("rollingMethod: 'items'", "rollingMethod: 'weeks'"), ORIGINAL_MAILBOXES,
      ['configuration.yml|storage.archiveToZip|expected True or False', 'configuration.yml|storage.rollingMethod|expected one of', 'configuration.yml|storage.deleteOlderBackupThanDays|expected a whole number']],
    ['mailbox without host and password', ORIGINAL_CONFIG, 'a@b.c:\n  imapFolder: INBOX\n', ['mailboxes_to_backup.yml|a@b.c.password|is missing', 'mailboxes_to_backup.yml|a@b.c.imapHost|is missing']],
    ['unset environment variable', ORIGINAL_CONFIG, "a@b.c:\n  password: '${NOT_SET_ANYWHERE}'\n  imapHost: h\n", ['mailboxes_to_backup.yml|a@b.c.password|refers to the environment variable NOT_SET_ANYWHERE']],
    ['plaintext without allowInsecure', ORIGINAL_CONFIG, 'a@b.c:\n  password: x\n  imapHost: h\n  imapPort: 143\n  tls: none\n', ['mailboxes_to_backup.yml|a@b.c.tls|is none']],
    ['empty mailbox list', ORIGINAL_CONFIG, '# nothing\n', ['mailboxes_to_backup.yml||lists no mailbox']],
    ['notification without recipient', ORIGINAL_CONFIG.replace("  to: 'admin@contoso.com'\n", ''), ORIGINAL_MAILBOXES, ['configuration.yml|mailNotification.to|is missing']],
    ['not a mapping', 'just a string\n', ORIGINAL_MAILBOXES, ['configuration.yml||expected sections']],
    ['binary data', 'common:\n  a: "\u0000"\n\u0000\u0001', ORIGINAL_MAILBOXES, ['configuration.yml||contains binary data']],
  ])('%s', (_name, config, mailboxes, expected) => {
    const file = writeFiles(config, mailboxes);
    const issues = issuesOf(() => loadConfig(file, {}));
    for (const e of expected) expect(issues.some((i) => i.startsWith(e) || i.includes(e))).toBe(true);
  });

  it('never echoes a password in a message', () => {
    const issues = issuesOf(() => buildConfig({ main: {}, mailboxListPath: 'm.yml', mailboxes: { 'a@b.c': { password: 'Sup3rS3cret', imapPort: 'Sup3rS3cret' } } }, { configPath: '/x/configuration.yml', env: {}, readTextFile: () => undefined }));
    expect(issues.join('\n')).toContain('imapPort');
    expect(issues.join('\n')).toContain('Sup3rS3cret'); // imapPort echoes what it found: it is not a secret key
    const onlyPassword = issuesOf(() => buildConfig({ main: {}, mailboxListPath: 'm.yml', mailboxes: { 'a@b.c': { password: ['Sup3rS3cret'] } } }, { configPath: '/x/configuration.yml', env: {}, readTextFile: () => undefined }));
    expect(onlyPassword.join('\n')).not.toContain('Sup3rS3cret');
  });

  it('an alias bomb is refused, not expanded', () => {
    const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 12; i++) bomb.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10).fill(`*${String.fromCharCode(96 + i)}`).join(',')}]`);
    const file = writeFiles(`${bomb.join('\n')}\ncommon: {}\n`, ORIGINAL_MAILBOXES);
    const started = Date.now();
    const issues = issuesOf(() => loadConfig(file, {}));
    expect(Date.now() - started).toBeLessThan(2000);
    expect(issues.join('\n')).toMatch(/configuration\.yml\|\|/);
  });
});

describe('a missing mailbox list says how to get one without a dist-config folder', () => {
  const missingList = (config: string, init?: string) => {
    const file = writeFiles(config, '');
    fs.rmSync(path.join(path.dirname(file), 'mailboxes_to_backup.yml'));
    return issuesOf(() => loadConfig(file, {}, init)).find((i) => i.includes('does not exist')) ?? '';
  };

  it('names the file, the key, and the init that writes it beside configuration.yml', () => {
    expect(missingList(ORIGINAL_CONFIG, 'ibt.exe init')).toBe('mailboxes_to_backup.yml||does not exist; run "ibt.exe init" to write a commented sample of it beside configuration.yml (existing files are kept), or fix common.mailboxList in configuration.yml');
    expect(missingList(ORIGINAL_CONFIG.replace("  mailboxList: 'mailboxes_to_backup.yml'\n", ''), 'ibt.exe init')).toContain('or set common.mailboxList in configuration.yml');
    // Called without knowing how it was started: --config, which is right wherever the file is.
    expect(missingList(ORIGINAL_CONFIG)).toMatch(/run "imap-backup-tool init --config \/\S+\/configuration\.yml" to write/);
  });

  it('a list named outside the configuration\'s folder: init cannot write it there, and the message does not pretend', () => {
    const issue = missingList(ORIGINAL_CONFIG.replace("'mailboxes_to_backup.yml'", "'../elsewhere.yml'"), 'ibt init');
    expect(issue).toBe('elsewhere.yml||does not exist; create it, or fix common.mailboxList in configuration.yml to name a list in its folder ("ibt init" writes a commented sample beside configuration.yml; existing files are kept)');
  });
});

describe('what a configuration with problems still lets a run report (ConfigSalvage)', () => {
  const salvageOf = (config: string, mailboxes: string | undefined) => {
    const file = writeFiles(config, mailboxes ?? '');
    if (mailboxes === undefined) fs.rmSync(path.join(path.dirname(file), 'mailboxes_to_backup.yml'));
    try {
      loadConfig(file, {});
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      const s = err.salvage;
      return { logs: s?.logsFolder !== undefined, mail: s?.notification?.enabled === true, secrets: s?.secrets ?? [] };
    }
    throw new Error('expected a ConfigError');
  };
  const noPassword = ORIGINAL_MAILBOXES.replace("    password: 'P@ssvvOrD'\n", '');
  it.each([
    ['a mailbox without its password', ORIGINAL_CONFIG, noPassword, true, true],
    ['no mailbox list at all', ORIGINAL_CONFIG, undefined, true, true],
    ['a mailbox list that is not YAML', ORIGINAL_CONFIG, 'a:\n\tb: 1\n', true, true],
    ['a storage key wrong', ORIGINAL_CONFIG.replace("rollingMethod: 'items'", "rollingMethod: 'weeks'"), ORIGINAL_MAILBOXES, true, true],
    ['the logs path not a path', ORIGINAL_CONFIG.replace("logsFolderFullPath: 'c:\\mailbox_backup\\logs'", 'logsFolderFullPath: [a, b]'), noPassword, false, true],
    ['the root path not a path (the logs folder is below it by default)', ORIGINAL_CONFIG.replace("rootFolderFullPath: 'c:\\mailbox_backup'", 'rootFolderFullPath: {a: 1}'), ORIGINAL_MAILBOXES, false, true],
    ['a notification key wrong', ORIGINAL_CONFIG.replace('port: 587', 'port: smtp'), noPassword, true, false],
    ['the notification section not a section', ORIGINAL_CONFIG.replace(/mailNotification:[\s\S]*$/, 'mailNotification: yes\n'), noPassword, true, false],
  ])('%s: log %s, mail %s', (_, config, mailboxes, logs, mail) => {
    const s = salvageOf(config, mailboxes);
    expect({ logs: s.logs, mail: s.mail }).toEqual({ logs, mail });
  });

  it('carries every secret read, for redaction', () => {
    expect(salvageOf(ORIGINAL_CONFIG, noPassword).secrets.sort()).toEqual(['P@ssw0rd', 'P@ssw0rd'].sort());
  });
});

describe('a YAML error never repeats a password written on its line', () => {
  const SECRET = 'Zq7-Vexor-Plim9';
  it.each([
    ['a block scalar header', `password: >${SECRET}`],
    ['a block scalar header with a space', `password: > ${SECRET} x`],
    ['a keep indicator', `password: |+${SECRET}`],
    ['an escape between double quotes', `password: "Zq7\\UVexor-Plim9"`],
    ['a quote inside single quotes', `password: 'Zq7-Vex'or-Plim9'`],
    ['an unclosed flow sequence', `password: [${SECRET}`],
    ['a colon inside', `password: ${SECRET}: x`],
    ['an unclosed double quote', `password: "${SECRET}`],
    ['a reserved first character', `password: @${SECRET}`],
  ])('%s', (_, line) => {
    const mailboxes = ORIGINAL_MAILBOXES.replace("    password: 'P@ssw0rd'", `    ${line}`);
    const issues = issuesOf(() => loadConfig(writeFiles(ORIGINAL_CONFIG, mailboxes), {}));
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatch(/^mailboxes_to_backup\.yml\|line \d+, column \d+\|is not valid YAML/);
    const message = issues[0]?.split('|')[2] ?? '';
    for (let i = 0; i + 4 <= SECRET.length; i++) expect(message, SECRET.slice(i, i + 4)).not.toContain(SECRET.slice(i, i + 4));
  });

  it('keeps the parser\'s own words when they repeat nothing of the line', () => {
    const issues = issuesOf(() => loadConfig(writeFiles(ORIGINAL_CONFIG, ORIGINAL_MAILBOXES.replace("imapFolder: 'INBOX, SENT'", 'imapFolder: [INBOX, SENT')), {}));
    expect(issues[0]).toMatch(/is not valid YAML: [A-Z]/);
  });
});

it('a missing section says how to get a sample of it without the dist-config folder (the executable has none)', () => {
  const issues = issuesOf(() => loadConfig(writeFiles(ORIGINAL_CONFIG.replace(/storage:[\s\S]*?(?=mailNotification:)/, ''), ORIGINAL_MAILBOXES), {}));
  expect(issues).toEqual(['configuration.yml|storage|section is missing; copy it from a commented sample ("imap-backup-tool init --dir sample" writes one into the folder sample)']);
  // Found in review: a bare "init --dir sample" is no command the admin can type; the executable is named by its path.
  const file = writeFiles(ORIGINAL_CONFIG.replace(/storage:[\s\S]*?(?=mailNotification:)/, ''), ORIGINAL_MAILBOXES);
  const fromBinary = issuesOf(() => loadConfig(file, {}, undefined, "'/opt/Mail Backup/imap-backup-tool-linux-x64'"));
  expect(fromBinary).toEqual(["configuration.yml|storage|section is missing; copy it from a commented sample ('/opt/Mail Backup/imap-backup-tool-linux-x64' init --dir sample writes one into the folder sample)"]);
});

describe('Windows paths where they are not (Linux, macOS)', () => {
  it('each is named in a warning with the path to write instead; none on Windows', () => {
    const file = writeFiles(ORIGINAL_CONFIG, ORIGINAL_MAILBOXES);
    const warnings = loadConfig(file, {}).warnings ?? [];
    expect(warnings).toEqual([
      "configuration.yml: common.rootFolderFullPath is 'c:\\mailbox_backup', a Windows path: on this system it names one folder of that name beside configuration.yml. Write it with / (e.g. 'mailbox_backup') or as an absolute path of this system",
      "configuration.yml: common.logsFolderFullPath is 'c:\\mailbox_backup\\logs', a Windows path: on this system it names one folder of that name beside configuration.yml. Write it with / (e.g. 'mailbox_backup/logs') or as an absolute path of this system",
      "configuration.yml: storage.processFolderFullPath is 'c:\\mailbox_backup\\process', a Windows path: on this system it names one folder of that name beside configuration.yml. Write it with / (e.g. 'mailbox_backup/process') or as an absolute path of this system",
      "configuration.yml: storage.outputFolderFullPath is 'c:\\mailbox_backup\\output', a Windows path: on this system it names one folder of that name beside configuration.yml. Write it with / (e.g. 'mailbox_backup/output') or as an absolute path of this system",
    ]);
    const onWindows = buildConfig(
      { main: YAML.parse(ORIGINAL_CONFIG), mailboxListPath: 'C:\\mb\\mailboxes_to_backup.yml', mailboxes: YAML.parse(ORIGINAL_MAILBOXES) },
      { configPath: 'C:\\mb\\configuration.yml', env: {}, readTextFile: () => undefined, pathApi: path.win32 },
    );
    expect(onWindows.warnings).toEqual([]);
    expect(loadConfig(writeFiles(ORIGINAL_CONFIG.replace(/'c:\\mailbox_backup(?:\\(\w+))?'/g, (_, sub?: string) => (sub ? `'backup/${sub}'` : "'backup'")), ORIGINAL_MAILBOXES), {}).warnings).toEqual([]);
  });
});

it('no configuration.yml beside the executable, which is the working directory too: the folder is named once', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ibt-none-'));
  let file = '';
  try {
    locateConfig(undefined, dir, dir);
  } catch (err) {
    file = err instanceof ConfigError ? (err.issues[0]?.file ?? '') : '';
  }
  expect(file).toBe(path.join(dir, 'configuration.yml'));
});

// Found in review: `password: null` read as "is missing", though the admin had written the key.
describe('a password key written without a value is named empty, with how to write the password', () => {
  const EMPTY = 'is empty: after "password:" YAML reads nothing, ~ and null as no value. Write the password in single quotes (password: \'null\' for a password that is the word null; a \' inside written twice), or give password: \'${ENV_NAME}\' or passwordFile';
  const withLine = (line: string) => ORIGINAL_MAILBOXES.replace("    password: 'P@ssw0rd'\n", line);
  it.each<[string, string, string[]]>([
    ['null', '    password: null\n', [`mailboxes_to_backup.yml|office@contoso.com.password|${EMPTY}`]],
    ['Null', '    password: Null\n', [`mailboxes_to_backup.yml|office@contoso.com.password|${EMPTY}`]],
    ['~', '    password: ~\n', [`mailboxes_to_backup.yml|office@contoso.com.password|${EMPTY}`]],
    ['nothing after the colon', '    password:\n', [`mailboxes_to_backup.yml|office@contoso.com.password|${EMPTY}`]],
    ["''", "    password: ''\n", [`mailboxes_to_backup.yml|office@contoso.com.password|${EMPTY}`]],
    ['passwordFile with nothing after the colon', '    passwordFile:\n', ["mailboxes_to_backup.yml|office@contoso.com.passwordFile|is empty; give the path of the file that holds the password (relative to the configuration's folder), or write the password itself: password: '…'"]],
    ['no password key at all', '', ['mailboxes_to_backup.yml|office@contoso.com.password|is missing; give password, password: ${ENV_NAME} or passwordFile']],
  ])('%s', (_label, line, want) => {
    expect(issuesOf(() => loadConfig(writeFiles(ORIGINAL_CONFIG, withLine(line)), {}))).toEqual(want);
  });

  it("the word null in single quotes is the password 'null'", () => {
    const c = loadConfig(writeFiles(ORIGINAL_CONFIG.replace("  password: 'P@ssw0rd'", "  password: 'null'"), withLine("    password: 'null'\n")), {});
    expect(c.mailboxes[0]?.password).toBe('null');
    expect(c.notification.password).toBe('null');
  });

  it('the notification says the same of its password, unless no user logs in (no password needed then)', () => {
    const smtp = (lines: string) => ORIGINAL_CONFIG.replace("  user: 'alerts'\n", '').replace("  password: 'P@ssw0rd'\n", lines);
    expect(issuesOf(() => loadConfig(writeFiles(smtp("  user: 'alerts'\n  password: null\n"), ORIGINAL_MAILBOXES), {}))).toEqual([`configuration.yml|mailNotification.password|${EMPTY}`]);
    expect(issuesOf(() => loadConfig(writeFiles(smtp("  user: 'alerts'\n  passwordFile: ~\n"), ORIGINAL_MAILBOXES), {}))).toEqual([
      "configuration.yml|mailNotification.passwordFile|is empty; give the path of the file that holds the password (relative to the configuration's folder), or write the password itself: password: '…'",
    ]);
    for (const lines of ["  user: ''\n  password: ''\n", '  user:\n  password:\n', "  password: ~\n"]) {
      const c = loadConfig(writeFiles(smtp(lines), ORIGINAL_MAILBOXES), {});
      expect(c.notification).toMatchObject({ enabled: true, user: '', password: '' });
    }
  });

  // Found in review: check passed (it connects without a login) and every report failed at the server.
  it('a notification password beside an empty user is named in a warning: nothing logs in, so it is not used', () => {
    const smtp = (lines: string) => ORIGINAL_CONFIG.replace("  user: 'alerts'\n", '').replace("  password: 'P@ssw0rd'\n", lines);
    const warnings = (lines: string) => (loadConfig(writeFiles(smtp(lines), ORIGINAL_MAILBOXES.replace(/password: .*/g, "password: 'x'")), {}).warnings ?? []).filter((w) => w.includes('mailNotification'));
    expect(warnings("  user: ''\n  password: 'Smtp-S3cret'\n")).toEqual([
      'configuration.yml: mailNotification.password is set but mailNotification.user is empty, so no login is made and the password is not used: set user (the login the SMTP server knows, often the from address), or remove the password for a relay that needs no login',
    ]);
    expect(warnings("  user: 'alerts'\n  password: 'Smtp-S3cret'\n")).toEqual([]);
    expect(warnings("  user: ''\n  password: ''\n")).toEqual([]);
    expect(warnings("  user: ''\n  password: 'Smtp-S3cret'\n").join('')).not.toContain('Smtp-S3cret');
  });

  // Found in review: '${ENV}' of a variable set to nothing was "not set for the account this runs as".
  it('a password from a variable that is set but empty says so', () => {
    const issues = issuesOf(() => loadConfig(writeFiles(ORIGINAL_CONFIG, withLine("    password: '${OFFICE_PW}'\n")), { OFFICE_PW: '' }));
    expect(issues).toEqual(['mailboxes_to_backup.yml|office@contoso.com.password|refers to the environment variable OFFICE_PW, which is set but empty for the account this runs as: give it the password (setx /M OFFICE_PW … for a task as SYSTEM), or use passwordFile']);
  });

  it('the notification\'s to written without a value is empty, not missing', () => {
    for (const line of ['  to:\n', "  to: ''\n", '  to: []\n']) {
      const issues = issuesOf(() => loadConfig(writeFiles(ORIGINAL_CONFIG.replace("  to: 'admin@contoso.com'\n", line), ORIGINAL_MAILBOXES), {}));
      expect(issues, line).toEqual(['configuration.yml|mailNotification.to|is empty; give the address (or a list of addresses) that gets the report']);
    }
  });

  it('any other key written without a value is empty, not missing', () => {
    expect(issuesOf(() => loadConfig(writeFiles(ORIGINAL_CONFIG, ORIGINAL_MAILBOXES.replace("    imapHost: 'imap.contoso.com'", '    imapHost: ~')), {}))).toEqual([
      'mailboxes_to_backup.yml|office@contoso.com.imapHost|is empty; expected a text value',
    ]);
  });
});

describe('files saved as UTF-16 or with a byte-order mark (Windows PowerShell 5.1, Notepad)', () => {
  const utf16le = (t: string) => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(t, 'utf16le')]);
  const utf16be = (t: string) => Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(t, 'utf16le').swap16()]);
  const utf8bom = (t: string) => Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(t)]);

  it.each([
    ['UTF-16 LE (PowerShell 5.1: \'S3cret\' > pw.txt)', utf16le('Sœ3cret-Ü\r\n')],
    ['UTF-16 BE', utf16be('Sœ3cret-Ü\r\n')],
    ['UTF-8 with a mark (Set-Content -Encoding UTF8)', utf8bom('Sœ3cret-Ü\r\n')],
    ['UTF-8', Buffer.from('Sœ3cret-Ü\n')],
  ])('a passwordFile in %s is the password', (_name, bytes) => {
    const mailboxes = "b@x.org:\n  passwordFile: 'b.secret'\n  imapHost: h\n";
    const file = writeFiles(ORIGINAL_CONFIG, mailboxes);
    fs.writeFileSync(path.join(path.dirname(file), 'b.secret'), bytes);
    expect(loadConfig(file, {}).mailboxes[0]?.password).toBe('Sœ3cret-Ü');
  });

  it('a configuration and a mailbox list saved as UTF-16 are read as the text they hold', () => {
    const file = writeFiles('', '');
    fs.writeFileSync(file, utf16le(ORIGINAL_CONFIG));
    fs.writeFileSync(path.join(path.dirname(file), 'mailboxes_to_backup.yml'), utf16be("ä@x.org:\n  password: 'Grüße'\n  imapHost: h\n"));
    const c = loadConfig(file, {});
    expect(c.mailboxes.map((m) => [m.address, m.password])).toEqual([['ä@x.org', 'Grüße']]);
  });
});
