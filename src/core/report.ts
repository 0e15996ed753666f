/** What a run did, per mailbox and folder: the basis of the summary, the exit code and the e-mail. */
export interface FolderReport {
  /** The server's folder path. */
  folder: string;
  /** Local path below the mailbox folder, '/'-joined. */
  local: string;
  newCount: number;
  present: number;
  /** Copies of a message already saved in this run: same Message-ID and same size. */
  duplicates: number;
  /** Listed by the header fetch but gone (expunged) before their body was fetched. */
  vanished: number;
  failed: number;
  bytes: number;
  seconds: number;
  /** With --dry-run: what would have been downloaded. */
  wouldDownload?: number;
  error?: string;
  /** The process folder's disk ran full: the run makes no archive and neither cleans nor rolls. */
  diskFull?: boolean;
}

export interface MailboxReport {
  mailbox: string;
  ok: boolean;
  error?: string;
  interrupted?: boolean;
  folders: FolderReport[];
  seconds: number;
}

export type RunStatus = 'OK' | 'PARTIAL' | 'FAILED';

/** The archive, cleaning and rolling stage (storage section of configuration.yml). */
export interface ArchiveReport {
  /** Final path of the archive written by this run; undefined when none was written. */
  path?: string;
  entries: number;
  /** Sum of the entries' uncompressed sizes. */
  bytes: number;
  /** Size of the archive file. */
  archiveBytes: number;
  seconds: number;
  verified: boolean;
  /** Why the archive failed; cleaning and rolling are then skipped. */
  error?: string;
  /** Why no archive was made although archiveToZip is on (nothing to archive); not a failure. */
  skipped?: string;
  /** Cleaning or rolling could not remove something; the archive itself is good. */
  warnings?: string[];
  /** Files the cleaning step removed from the process folder (undefined: cleaning not run). */
  cleanedFiles?: number;
  rolling?: { method: 'DAYS' | 'ITEMS'; removed: string[]; kept: string[]; skipped?: string };
}

export interface RunReport {
  startedAt: Date;
  finishedAt: Date;
  dryRun: boolean;
  interrupted: boolean;
  mailboxes: MailboxReport[];
  archive?: ArchiveReport;
  /** Keys in the configuration files that are not settings (config-keys.ts): mailed, as the log says them once. */
  ignoredSettings?: string[];
}

export function emptyFolderReport(folder: string, local: string): FolderReport {
  return { folder, local, newCount: 0, present: 0, duplicates: 0, vanished: 0, failed: 0, bytes: 0, seconds: 0 };
}

export function mailboxFailed(m: MailboxReport): boolean {
  return !m.ok || m.folders.some((f) => f.error !== undefined || f.failed > 0);
}

export function runStatus(report: RunReport): RunStatus {
  const failed = report.mailboxes.filter(mailboxFailed).length;
  // A backup without its archive, or old archives piling up, needs the admin: never OK.
  const archiveTrouble = report.archive !== undefined && (report.archive.error !== undefined || (report.archive.warnings?.length ?? 0) > 0);
  if (failed === 0 && !report.interrupted && !archiveTrouble) return 'OK';
  const total = report.mailboxes.length;
  const nothingDone = report.mailboxes.every((m) => !m.ok || m.folders.every((f) => f.error !== undefined));
  return failed === total && nothingDone ? 'FAILED' : 'PARTIAL';
}

export function totals(report: RunReport): { newCount: number; present: number; failed: number; bytes: number } {
  const all = report.mailboxes.flatMap((m) => m.folders);
  return {
    newCount: all.reduce((n, f) => n + f.newCount, 0),
    present: all.reduce((n, f) => n + f.present, 0),
    failed: all.reduce((n, f) => n + f.failed, 0) + report.mailboxes.filter((m) => !m.ok).length,
    bytes: all.reduce((n, f) => n + f.bytes, 0),
  };
}
