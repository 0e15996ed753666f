import { isRecord } from './config-reader.js';
import { editDistance } from './edit-distance.js';

/**
 * The keys the tool reads, per section: the original tool's and ours. A key outside them is most
 * likely a typo (`imapFolders`, `rolingMethod`) whose setting would silently not apply, so the
 * admin is told; a warning, not an error, so a file with a leftover key still runs. Pure.
 */
const KNOWN: Record<string, readonly string[]> = {
  '': ['common', 'storage', 'mailNotification'],
  common: ['rootFolderFullPath', 'logsFolderFullPath', 'mailboxList', 'concurrency', 'connectionsPerMailbox', 'retries', 'retryDelaySeconds', 'timeoutSeconds', 'lockStaleHours'],
  storage: ['processFolderFullPath', 'outputFolderFullPath', 'archiveToZip', 'cleanProcessFolder', 'rollingMethod', 'deleteOlderBackupThanDays', 'deleteBackupsItemsToKeep', 'zipCompressionLevel', 'verifyArchive'],
  mailNotification: ['send_notification', 'sendOn', 'server', 'port', 'user', 'password', 'passwordFile', 'from', 'to', 'subject', 'message', 'useTLS', 'tls', 'tlsCaFile', 'tlsRejectUnauthorized'],
  mailbox: ['UserFullEmail', 'password', 'passwordFile', 'oauth2', 'imapHost', 'imapPort', 'imapFolder', 'excludeFolders', 'tls', 'tlsCaFile', 'tlsRejectUnauthorized', 'allowInsecure'],
};

/** One line per unknown key: which file, which key, and the known key it is closest to. */
export function unknownKeys(main: unknown, mailboxes: unknown, files: { config: string; mailboxList: string }): string[] {
  const out: string[] = [];
  const check = (file: string, obj: unknown, known: readonly string[], at: string) => {
    if (!isRecord(obj)) return;
    for (const key of Object.keys(obj)) {
      if (known.includes(key)) continue;
      const near = known.find((k) => k.toLowerCase() === key.toLowerCase()) ?? known.find((k) => close(k.toLowerCase(), key.toLowerCase()));
      out.push(`${file}: ${at}${key} is not a setting of the tool, so it is ignored${near ? `: did you mean ${near}?` : ''}`);
    }
  };
  check(files.config, main, KNOWN[''] ?? [], '');
  if (isRecord(main)) for (const section of ['common', 'storage', 'mailNotification']) check(files.config, main[section], KNOWN[section] ?? [], `${section}.`);
  if (isRecord(mailboxes)) for (const [address, entry] of Object.entries(mailboxes)) check(files.mailboxList, entry, KNOWN['mailbox'] ?? [], `${address}.`);
  return out;
}

/** Within two edits, or one name starting the other (`imapFolders`, `deleteOlderBackupsThanDays`). */
export function close(a: string, b: string): boolean {
  if (a.startsWith(b) || b.startsWith(a)) return Math.abs(a.length - b.length) <= 2;
  return editDistance(a, b) <= 2;
}
