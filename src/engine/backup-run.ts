import type { AppConfig } from '../core/config-types.js';
import { selectMailboxes } from '../core/select-mailboxes.js';
import type { MailboxReport, RunReport } from '../core/report.js';
import type { EventSink } from './events.js';
import { StateStore } from '../io/state-store.js';
import { syncMailbox } from './mailbox-sync.js';

export interface BackupOptions {
  /** Only these addresses (--mailbox); empty means all. */
  only?: string[];
  dryRun?: boolean;
  signal?: AbortSignal;
  retryDelayMs?: number;
  onEvent?: EventSink;
  /** New UIDs per planned part of a folder (default PLAN_PART); tests make parts small to see them. */
  partSize?: number;
}

/** Backs up the selected mailboxes, `concurrency` at a time. Never throws for a mailbox's failure. */
export async function runBackup(config: AppConfig, opts: BackupOptions = {}): Promise<RunReport> {
  const mailboxes = selectMailboxes(config, opts.only);
  const signal = opts.signal ?? new AbortController().signal;
  const report: RunReport = { startedAt: new Date(), finishedAt: new Date(), dryRun: !!opts.dryRun, interrupted: false, mailboxes: [] };
  const results: (MailboxReport | undefined)[] = new Array(mailboxes.length);
  if (!opts.dryRun) await StateStore.removeLeftovers(config.processFolder);
  let next = 0;
  const worker = async () => {
    while (next < mailboxes.length && !signal.aborted) {
      const index = next++;
      const mailbox = mailboxes[index];
      if (!mailbox) break;
      results[index] = await syncMailbox({
          mailbox,
          processFolder: config.processFolder,
          retries: config.retries,
          timeoutMs: config.timeoutMs,
          connections: config.connectionsPerMailbox,
          retryDelayMs: opts.retryDelayMs ?? config.retryDelayMs,
          dryRun: !!opts.dryRun,
          signal,
          onEvent: opts.onEvent ?? (() => undefined),
          ...(opts.partSize ? { partSize: opts.partSize } : {}),
        });
    }
  };
  await Promise.all(Array.from({ length: Math.min(config.concurrency, mailboxes.length) }, worker));
  report.mailboxes = results.filter((r): r is MailboxReport => r !== undefined);
  report.interrupted = signal.aborted || report.mailboxes.some((m) => m.interrupted);
  report.finishedAt = new Date();
  return report;
}
