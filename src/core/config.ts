import path from 'node:path';
import type { AppConfig, MailboxConfig, NotificationConfig, TlsMode, TlsOptions } from './config-types.js';
import { FieldReader, isEmptyValue, isRecord } from './config-reader.js';
import { unknownKeys } from './config-keys.js';
import { ConfigError, type ConfigIssue, type ConfigSalvage } from './errors.js';
import { readOAuth2 } from './config-oauth2.js';

/** Everything outside the two YAML documents that validation needs, injected so it stays pure. */
export interface ConfigContext {
  configPath: string;
  env: Record<string, string | undefined>;
  /** Reads a `passwordFile` or `tlsCaFile`; returns undefined when it cannot be read. */
  readTextFile(absPath: string): string | undefined;
  /** Path resolution for the platform the tool runs on (path.win32 on Windows). */
  pathApi?: path.PlatformPath;
  /** The tool as the admin types it (programName): advice that names a command names it so. */
  program?: string;
}

export interface RawConfig {
  main: unknown;
  mailboxListPath: string;
  mailboxes: unknown;
  /** Why the mailbox list could not be read (missing, not YAML): its problems, instead of its content. */
  mailboxListIssues?: ConfigIssue[];
}

/** Validates configuration.yml as written by the original tool, plus our optional keys. */
export function buildConfig(raw: RawConfig, ctx: ConfigContext): AppConfig {
  const issues: ConfigIssue[] = [];
  const r = new FieldReader(ctx.configPath, issues, ctx.program);
  const p = ctx.pathApi ?? path;
  const baseDir = p.dirname(ctx.configPath);
  const abs = (value: string) => (value ? p.resolve(baseDir, value) : value);
  const secrets: string[] = [];

  if (!isRecord(raw.main)) r.fail('', 'expected sections common, storage and mailNotification; the file is empty or not YAML keys');
  const common = r.section(raw.main, 'common', true);
  const storage = r.section(raw.main, 'storage', true);
  const notify = r.section(raw.main, 'mailNotification', false);

  // Read by the loader to find the mailbox list; checked here so a wrong type is reported, not ignored.
  r.path(common, 'mailboxList', 'common.mailboxList', '');
  const rootFolder = abs(r.path(common, 'rootFolderFullPath', 'common.rootFolderFullPath', '.'));
  const under = (value: string, sub: string) => (value ? abs(value) : p.join(rootFolder, sub));
  const config: AppConfig = {
    configPath: ctx.configPath,
    mailboxListPath: raw.mailboxListPath,
    rootFolder,
    logsFolder: under(r.path(common, 'logsFolderFullPath', 'common.logsFolderFullPath', ''), 'logs'),
    processFolder: under(r.path(storage, 'processFolderFullPath', 'storage.processFolderFullPath', ''), 'process'),
    outputFolder: under(r.path(storage, 'outputFolderFullPath', 'storage.outputFolderFullPath', ''), 'output'),
    archiveToZip: r.bool(storage, 'archiveToZip', 'storage.archiveToZip', true),
    cleanProcessFolder: r.bool(storage, 'cleanProcessFolder', 'storage.cleanProcessFolder', false),
    rollingMethod: r.oneOf(storage, 'rollingMethod', 'storage.rollingMethod', ['DAYS', 'ITEMS'] as const, 'DAYS'),
    deleteOlderBackupThanDays: r.int(storage, 'deleteOlderBackupThanDays', 'storage.deleteOlderBackupThanDays', 0, 0, 100_000),
    deleteBackupsItemsToKeep: r.int(storage, 'deleteBackupsItemsToKeep', 'storage.deleteBackupsItemsToKeep', 0, 0, 100_000),
    zipCompressionLevel: r.int(storage, 'zipCompressionLevel', 'storage.zipCompressionLevel', 6, 0, 9),
    verifyArchive: r.bool(storage, 'verifyArchive', 'storage.verifyArchive', true),
    concurrency: r.int(common, 'concurrency', 'common.concurrency', 4, 1, 64),
    retries: r.int(common, 'retries', 'common.retries', 3, 0, 20),
    connectionsPerMailbox: r.int(common, 'connectionsPerMailbox', 'common.connectionsPerMailbox', 4, 1, 15),
    timeoutMs: r.int(common, 'timeoutSeconds', 'common.timeoutSeconds', 120, 1, 3600) * 1000,
    retryDelayMs: r.int(common, 'retryDelaySeconds', 'common.retryDelaySeconds', 2, 0, 600) * 1000,
    lockStaleMs: r.int(common, 'lockStaleHours', 'common.lockStaleHours', 12, 1, 8760) * 3_600_000,
    notification: readNotification(r, notify, ctx, abs, secrets),
    mailboxes: [],
    secrets,
  };
  const mr = new FieldReader(raw.mailboxListPath, issues, ctx.program);
  if (raw.mailboxListIssues) issues.push(...raw.mailboxListIssues);
  else config.mailboxes = readMailboxes(mr, raw.mailboxes, ctx, abs, secrets);
  config.warnings = [
    ...unknownKeys(raw.main, raw.mailboxes, { config: p.basename(ctx.configPath), mailboxList: p.basename(raw.mailboxListPath) }),
    ...windowsPaths(raw.main, p, p.basename(ctx.configPath)),
    ...unusedSmtpPassword(config.notification, p.basename(ctx.configPath)),
  ];
  if (issues.length > 0) throw new ConfigError(issues, { ...salvage(config, issues), warnings: config.warnings });
  return config;
}

const PATH_KEYS = [['common', 'rootFolderFullPath'], ['common', 'logsFolderFullPath'], ['common', 'mailboxList'], ['storage', 'processFolderFullPath'], ['storage', 'outputFolderFullPath']] as const;

/**
 * The original's files hold Windows paths (`c:\mailbox_backup\logs`); on Linux and macOS such a
 * path is one folder of that odd name beside configuration.yml (found in review: a run wrote
 * into `c:\mailbox_backup\process` next to the executable, and check said valid).
 */
function windowsPaths(main: unknown, p: path.PlatformPath, file: string): string[] {
  if (p.sep !== '/' || !isRecord(main)) return [];
  return PATH_KEYS.flatMap(([section, key]) => {
    const sec = main[section];
    const value = isRecord(sec) ? sec[key] : undefined;
    if (typeof value !== 'string' || !/^[A-Za-z]:[\\/]|\\/.test(value)) return [];
    return [`${file}: ${section}.${key} is '${value}', a Windows path: on this system it names one folder of that name beside ${file}. Write it with / (e.g. '${value.replace(/^[A-Za-z]:[\\/]?/, '').replace(/\\/g, '/')}') or as an absolute path of this system`];
  });
}

/**
 * What a run that cannot start may still use to say so: the logs folder and the notification, each
 * only if nothing about it (or about the file as a whole) is in question. A scheduled run with a
 * mistyped mailbox then still leaves its log and mails the admin, instead of an exit code alone.
 */
function salvage(config: AppConfig, issues: ConfigIssue[]): ConfigSalvage {
  const clean = (...keys: string[]) => !issues.some((i) => i.file === config.configPath && (i.key === '' || keys.some((k) => i.key === k || i.key.startsWith(`${k}.`))));
  const sectionOk = !issues.some((i) => i.file === config.configPath && i.key === 'common');
  return {
    configPath: config.configPath,
    logsFolder: sectionOk && clean('common.rootFolderFullPath', 'common.logsFolderFullPath') ? config.logsFolder : undefined,
    notification: clean('mailNotification') ? config.notification : undefined,
    secrets: config.secrets,
  };
}

function readMailboxes(r: FieldReader, root: unknown, ctx: ConfigContext, abs: (p: string) => string, secrets: string[]): MailboxConfig[] {
  if (!isRecord(root) || Object.keys(root).length === 0) {
    r.fail('', 'lists no mailbox; expected one section per mailbox address, e.g. "office@contoso.com:" with imapHost, password, imapFolder');
    return [];
  }
  return Object.entries(root).map(([address, value]) => {
    const key = address.trim();
    const m = isRecord(value) ? value : (r.fail(key, 'expected a section with UserFullEmail, password, imapHost, imapPort, imapFolder'), {});
    const port = r.int(m, 'imapPort', `${key}.imapPort`, 993, 1, 65535);
    const tls = readTls(r, m, key, port);
    const folders = r.list(m, 'imapFolder', `${key}.imapFolder`);
    const fullEmail = r.bool(m, 'UserFullEmail', `${key}.UserFullEmail`, true);
    const oauth2 = m['oauth2'] !== undefined ? readOAuth2(r, m, key, ctx, abs, secrets) : undefined;
    const password = oauth2 || m['oauth2'] !== undefined ? '' : readSecret(r, m, key, ctx, abs, secrets);
    if (password) secrets.push(password);
    if (!key.includes('@') && fullEmail) r.fail(key, 'is not an e-mail address; the key of each mailbox must be its address');
    return {
      address: key,
      login: fullEmail ? key : (key.split('@')[0] ?? key),
      password,
      ...(oauth2 ? { oauth2 } : {}),
      host: r.string(m, 'imapHost', `${key}.imapHost`),
      port,
      tls,
      allowInsecure: r.bool(m, 'allowInsecure', `${key}.allowInsecure`, false),
      tlsOptions: readTlsOptions(r, m, key, ctx, abs),
      folders: folders.length === 0 || folders.includes('*') ? { kind: 'all' as const } : { kind: 'list' as const, names: folders },
      excludeFolders: r.list(m, 'excludeFolders', `${key}.excludeFolders`),
    };
  }).map((mb) => {
    if (mb.tls === 'none' && !mb.allowInsecure) {
      r.fail(`${mb.address}.tls`, 'is none: the password would cross the network unencrypted; use imapPort 993 or STARTTLS, or set allowInsecure: true if you accept that risk');
    }
    return mb;
  });
}

function readTls(r: FieldReader, m: Record<string, unknown>, key: string, port: number): TlsMode {
  const value = m['tls'];
  if (value === true || value === undefined || value === null) return port === 993 ? 'implicit' : 'starttls';
  if (value === false) return 'none';
  return r.oneOf(m, 'tls', `${key}.tls`, ['implicit', 'starttls', 'none'] as const, port === 993 ? 'implicit' : 'starttls');
}

function readTlsOptions(r: FieldReader, m: Record<string, unknown>, key: string, ctx: ConfigContext, abs: (p: string) => string): TlsOptions {
  const caFile = r.path(m, 'tlsCaFile', `${key}.tlsCaFile`, '');
  let ca: string | undefined;
  if (caFile) {
    ca = ctx.readTextFile(abs(caFile));
    if (ca === undefined) r.fail(`${key}.tlsCaFile`, `cannot read ${abs(caFile)}; give the path of a PEM certificate file`);
  }
  return { rejectUnauthorized: r.bool(m, 'tlsRejectUnauthorized', `${key}.tlsRejectUnauthorized`, true), ca };
}

/** `password: '${ENV}'` or `passwordFile: path` keep secrets out of the YAML when the admin wants. */
function readSecret(r: FieldReader, m: Record<string, unknown>, key: string, ctx: ConfigContext, abs: (p: string) => string, secrets: string[]): string {
  const file = r.path(m, 'passwordFile', `${key}.passwordFile`, '');
  if (file) {
    const text = ctx.readTextFile(abs(file));
    // Not found may mean the password itself was written here: it is redacted like one.
    if (text === undefined) {
      secrets.push(file);
      r.fail(`${key}.passwordFile`, `cannot read ${abs(file)}; create it with the password as its only line (passwordFile takes the path of that file)`);
    }
    return (text ?? '').replace(/\r?\n$/, '');
  }
  const raw = m['password'];
  if (isEmptyValue(m, 'passwordFile') && raw === undefined) {
    r.fail(`${key}.passwordFile`, 'is empty; give the path of the file that holds the password (relative to the configuration\'s folder), or write the password itself: password: \'…\'');
    return '';
  }
  if (isEmptyValue(m, 'password')) {
    // Found in review: `password: null` read as "is missing", beside the key the admin wrote.
    r.fail(`${key}.password`, 'is empty: after "password:" YAML reads nothing, ~ and null as no value. Write the password in single quotes (password: \'null\' for a password that is the word null; a \' inside written twice), or give password: \'${ENV_NAME}\' or passwordFile');
    return '';
  }
  if (raw === undefined) {
    r.fail(`${key}.password`, 'is missing; give password, password: ${ENV_NAME} or passwordFile');
    return '';
  }
  if (typeof raw !== 'string' && typeof raw !== 'number') {
    r.fail(`${key}.password`, 'expected a text value');
    return '';
  }
  const text = String(raw);
  const env = /^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$/.exec(text.trim());
  if (!env) return text;
  const name = env[1] ?? '';
  const value = ctx.env[name];
  if (value === undefined) r.fail(`${key}.password`, `refers to the environment variable ${name}, which is not set for the account this runs as (a scheduled task as SYSTEM sees only system variables: setx /M ${name} …), or use passwordFile`);
  else if (value === '') r.fail(`${key}.password`, `refers to the environment variable ${name}, which is set but empty for the account this runs as: give it the password (setx /M ${name} … for a task as SYSTEM), or use passwordFile`);
  return value ?? '';
}

/**
 * A password beside an empty user is sent nowhere: nothing logs in without a user. Found in review:
 * `check` passed (it connects without a login), and every report then failed at the server (530).
 */
function unusedSmtpPassword(n: NotificationConfig, configName: string): string[] {
  if (!n.enabled || n.user !== '' || n.password === '') return [];
  return [`${configName}: mailNotification.password is set but mailNotification.user is empty, so no login is made and the password is not used: set user (the login the SMTP server knows, often the from address), or remove the password for a relay that needs no login`];
}

function readNotification(r: FieldReader, n: Record<string, unknown>, ctx: ConfigContext, abs: (p: string) => string, secrets: string[]): NotificationConfig {
  const enabled = r.bool(n, 'send_notification', 'mailNotification.send_notification', false);
  const key = 'mailNotification';
  const need = (k: string) => (enabled ? r.string(n, k, `${key}.${k}`) : r.string(n, k, `${key}.${k}`, ''));
  const user = r.string(n, 'user', `${key}.user`, '');
  // Without a user nothing logs in: then `password: ''` (or null) beside `user: ''` just says so.
  const given = (k: string) => n[k] !== undefined && !(user === '' && isEmptyValue(n, k));
  const password = enabled && (given('password') || given('passwordFile')) ? readSecret(r, n, key, ctx, abs, secrets) : '';
  if (password) secrets.push(password);
  const to = r.list(n, 'to', `${key}.to`);
  if (enabled && to.length === 0) r.fail(`${key}.to`, `${n['to'] === undefined ? 'is missing' : 'is empty'}; give the address (or a list of addresses) that gets the report`);
  const port = r.int(n, 'port', `${key}.port`, 587, 1, 65535);
  const useTLS = r.bool(n, 'useTLS', `${key}.useTLS`, true);
  // Optional `tls` overrides what port and useTLS imply: a relay with implicit TLS on another port than 465.
  const tls = r.oneOf(n, 'tls', `${key}.tls`, ['implicit', 'starttls', 'none'] as const, port === 465 ? 'implicit' : useTLS ? 'starttls' : 'none');
  return {
    enabled,
    server: need('server'),
    port,
    user,
    password,
    from: need('from'),
    to,
    subject: r.string(n, 'subject', `${key}.subject`, 'imap-backup-tool report'),
    message: r.string(n, 'message', `${key}.message`, ''),
    useTLS,
    tls,
    tlsOptions: readTlsOptions(r, n, key, ctx, abs),
    sendOn: r.oneOf(n, 'sendOn', `${key}.sendOn`, ['always', 'failure'] as const, 'always'),
  };
}
