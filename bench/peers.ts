// Commands for the tools we measure against, on the same server and data.
import fs from 'node:fs';
import path from 'node:path';
import type { DovecotServer } from '../test/helpers/dovecot.js';

export interface Target {
  host: string;
  port: number;
  user: string;
  password: string;
  caFile: string;
}

/** mbsync (Debian isync): IMAPS, Maildir, pull only, its default per-message fsync. */
export function mbsyncCommand(t: Target, dir: string): string[] {
  fs.mkdirSync(path.join(dir, 'mail'), { recursive: true });
  const conf = path.join(dir, 'mbsyncrc');
  fs.writeFileSync(conf, [
    'IMAPAccount bench', `Host localhost`, `Port ${t.port}`, `User ${t.user}`, `Pass ${t.password}`,
    'SSLType IMAPS', `CertificateFile ${t.caFile}`, 'PipelineDepth 50', '',
    'IMAPStore remote', 'Account bench', '',
    'MaildirStore local', `Path ${path.join(dir, 'mail')}/`, `Inbox ${path.join(dir, 'mail', 'INBOX')}`, 'SubFolders Verbatim', '',
    'Channel bench', 'Far :remote:', 'Near :local:', 'Patterns *', 'Create Near', 'Sync Pull', 'SyncState *', 'Expunge None', '',
  ].join('\n'));
  return ['mbsync', '-c', conf, '-q', 'bench'];
}

/** OfflineIMAP 3: IMAPS, Maildir, read-only remote. */
export function offlineimapCommand(t: Target, dir: string): string[] {
  fs.mkdirSync(path.join(dir, 'mail'), { recursive: true });
  const conf = path.join(dir, 'offlineimaprc');
  fs.writeFileSync(conf, [
    '[general]', 'accounts = bench', `metadata = ${path.join(dir, 'meta')}`, 'ui = quiet', '',
    '[Account bench]', 'localrepository = local', 'remoterepository = remote', '',
    '[Repository local]', 'type = Maildir', `localfolders = ${path.join(dir, 'mail')}`, 'sep = /', '',
    '[Repository remote]', 'type = IMAP', `remotehost = localhost`, `remoteport = ${t.port}`, 'ssl = yes',
    `sslcacertfile = ${t.caFile}`, `remoteuser = ${t.user}`, `remotepass = ${t.password}`, 'readonly = True', 'maxconnections = 2', '',
  ].join('\n'));
  return ['offlineimap', '-c', conf, '-u', 'quiet'];
}

/** Our configuration in the original tool's format, archive off (the zip stage is measured alone). */
export function ourConfig(server: DovecotServer, t: Target, dir: string, folders: string, archive = false): string {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'configuration.yml'), [
    'common:', "  rootFolderFullPath: 'backup'", "  mailboxList: 'mailboxes.yml'",
    'storage:', `  archiveToZip: ${archive ? 'True' : 'False'}`, '  cleanProcessFolder: False',
    'mailNotification:', '  send_notification: False', '',
  ].join('\n'));
  fs.writeFileSync(path.join(dir, 'mailboxes.yml'), [
    `${t.user}:`, `  password: '${t.password}'`, `  imapHost: '${server.host}'`, `  imapPort: ${t.port}`,
    '  tls: implicit', `  tlsCaFile: '${t.caFile}'`, `  imapFolder: '${folders}'`, '',
  ].join('\n'));
  return path.join(dir, 'configuration.yml');
}
