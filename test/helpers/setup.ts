import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { DovecotServer } from './dovecot.js';

export interface MailboxEntry {
  address: string;
  password: string;
  folders?: string;
  port?: number;
  extra?: string[];
}

export interface Workspace {
  dir: string;
  configPath: string;
  processFolder: string;
  outputFolder: string;
  logsFolder: string;
}

/**
 * A configuration in the original tool's own format, pointed at the test Dovecot: the only
 * additions are tlsCaFile (to trust its self-signed certificate) and relative paths.
 */
export function writeWorkspace(server: DovecotServer, mailboxes: MailboxEntry[], opts: { storage?: string[]; common?: string[]; notification?: string[] } = {}): Workspace {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ibt-ws-'));
  fs.writeFileSync(path.join(dir, 'dovecot-ca.pem'), server.certPem);
  const config = [
    'common:',
    "  rootFolderFullPath: 'backup'",
    "  logsFolderFullPath: 'backup/logs'",
    "  mailboxList: 'mailboxes_to_backup.yml'",
    ...(opts.common ?? []).map((l) => `  ${l}`),
    'storage:',
    "  processFolderFullPath: 'backup/process'",
    "  outputFolderFullPath: 'backup/output'",
    '  archiveToZip: False',
    '  cleanProcessFolder: False',
    "  rollingMethod: 'DAYS'",
    '  deleteOlderBackupThanDays: 3',
    '  deleteBackupsItemsToKeep: 3',
    ...(opts.storage ?? []).map((l) => `  ${l}`),
    'mailNotification:',
    ...(opts.notification ?? ['  send_notification: False']),
    '',
  ].join('\n');
  fs.writeFileSync(path.join(dir, 'configuration.yml'), config);
  const list = mailboxes.map((m) => [
    `${m.address}:`,
    '    UserFullEmail: true',
    `    password: '${m.password}'`,
    `    imapHost: '${server.host}'`,
    `    imapPort: ${m.port ?? server.imapsPort}`,
    // Implicit TLS is assumed on 993 only; the test server's port is random.
    ...(m.port === undefined ? ['    tls: implicit'] : []),
    `    imapFolder: '${m.folders ?? 'INBOX'}'`,
    "    tlsCaFile: 'dovecot-ca.pem'",
    ...(m.extra ?? []).map((l) => `    ${l}`),
  ].join('\n'));
  fs.writeFileSync(path.join(dir, 'mailboxes_to_backup.yml'), `${list.join('\n')}\n`);
  return {
    dir,
    configPath: path.join(dir, 'configuration.yml'),
    processFolder: path.join(dir, 'backup', 'process'),
    outputFolder: path.join(dir, 'backup', 'output'),
    logsFolder: path.join(dir, 'backup', 'logs'),
  };
}

/** Every .eml below a folder: relative path → bytes. */
export function readTree(root: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (dir: string) => {
    if (!fs.existsSync(dir)) return;
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, e.name);
      if (e.isDirectory()) walk(full);
      else if (e.name.endsWith('.eml')) out.set(path.relative(root, full), fs.readFileSync(full));
    }
  };
  walk(root);
  return out;
}

export function allFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    if (!fs.existsSync(dir)) return;
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, e.name);
      if (e.isDirectory()) walk(full);
      else out.push(path.relative(root, full));
    }
  };
  walk(root);
  return out.sort();
}

/** A copy of the workspace's configuration with archiveToZip on; returns its path. */
export function archivingConfig(ws: Workspace): string {
  const configPath = path.join(ws.dir, 'zip.yml');
  fs.writeFileSync(configPath, fs.readFileSync(ws.configPath, 'utf8').replace('archiveToZip: False', 'archiveToZip: True'));
  return configPath;
}

/** The one archive in the workspace's output folder, checked by `unzip -t`, and its entry names, sorted. */
export function soleArchive(ws: Workspace): { zipPath: string; names: string[] } {
  const zips = fs.readdirSync(ws.outputFolder).filter((f) => f.endsWith('.zip'));
  if (zips.length !== 1) throw new Error(`expected one archive in ${ws.outputFolder}, found ${zips.join(', ') || 'none'}`);
  const zipPath = path.join(ws.outputFolder, zips[0] as string);
  execFileSync('unzip', ['-tq', zipPath]);
  return { zipPath, names: execFileSync('unzip', ['-Z1', zipPath], { encoding: 'utf8' }).trim().split('\n').sort() };
}
