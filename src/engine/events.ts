import type { FolderReport, MailboxReport } from '../core/report.js';

/** Progress the engine reports; the CLI turns it into console and log lines. */
export type BackupEvent =
  | { type: 'mailbox-start'; mailbox: string }
  | { type: 'folders-resolved'; mailbox: string; folders: { spec: string; path: string; local: string }[] }
  | { type: 'folder-plan'; mailbox: string; folder: string; toDownload: number; present: number; fast: boolean; part?: number; parts?: number }
  | { type: 'message-saved'; mailbox: string; folder: string; fileName: string; bytes: number }
  | { type: 'folder-done'; mailbox: string; report: FolderReport }
  | { type: 'retry'; mailbox: string; folder?: string | undefined; attempt: number; delayMs: number; reason: string }
  | { type: 'warning'; mailbox: string; folder?: string | undefined; message: string }
  | { type: 'mailbox-done'; report: MailboxReport };

export type EventSink = (event: BackupEvent) => void;
